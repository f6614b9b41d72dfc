/* Shared by the cgroup verbs (pause, resume, update, ps, events): find a
   container's state and open its cgroup.  */
#ifndef ENVRUN_CLI_CGROUP_VERBS_H
#define ENVRUN_CLI_CGROUP_VERBS_H

#include "cgroup.h"
#include "state.h"

#include <envrun/container.h>

struct cgverb_target
{
  int dirfd; /* the locked state dir, -1 once released */
  struct container_state *state;
  enum envrun_status status; /* paused when the cgroup is frozen */
  struct cgroup_handle *cgroup;
};

/* Load the state of `id` and open its cgroup; fail with "container `id`
   has no cgroup" when it was run without one.  Holds the state lock
   until cgverb_release().  */
int cgverb_open (const char *root, const char *id, struct cgverb_target *t,
                 envrun_error_t *err);
/* Drop the state lock (long-running verbs must not block delete).  */
void cgverb_release (struct cgverb_target *t);
void cgverb_close (struct cgverb_target *t);

#endif
