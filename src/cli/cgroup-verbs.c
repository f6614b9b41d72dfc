/* Shared by the cgroup verbs: state lookup and the container's cgroup.  */
#include "config-host.h"

#include "cgroup-verbs.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

int
cgverb_open (const char *root, const char *id, struct cgverb_target *t,
             envrun_error_t *err)
{
  bool frozen = false;

  memset (t, 0, sizeof *t);
  t->dirfd = state_dir_open (root, id, err);
  if (t->dirfd < 0)
    return -1;
  if (state_read (t->dirfd, id, &t->state, err) < 0)
    return -1;
  if (t->state->cgroup_path == NULL)
    return envrun_error_set (err, ENOTSUP, "container `%s` has no cgroup", id);
  if (cgroup_open (t->state->cgroup_path, &t->cgroup, err) < 0)
    return -1;
  t->status = state_status (t->dirfd, t->state);
  if (t->status == ENVRUN_STATUS_RUNNING
      && cgroup_is_frozen (t->cgroup, &frozen, NULL) == 0 && frozen)
    t->status = ENVRUN_STATUS_PAUSED;
  return 0;
}

void
cgverb_release (struct cgverb_target *t)
{
  if (t->dirfd >= 0)
    close (t->dirfd);
  t->dirfd = -1;
}

void
cgverb_close (struct cgverb_target *t)
{
  cgverb_release (t);
  container_state_free (t->state);
  cgroup_handle_free (t->cgroup);
  memset (t, 0, sizeof *t);
  t->dirfd = -1;
}
