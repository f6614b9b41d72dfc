/* OCI hooks: each runs with the container state JSON on stdin, its own
   args and env, and its timeout honoured.  */
#ifndef ENVRUN_HOOKS_H
#define ENVRUN_HOOKS_H

#include <envrun/config.h>
#include <envrun/error.h>

/* Run the hooks of one kind in order; the first failure stops the list and
   is returned.  */
int hooks_run (const struct envrun_config *cfg, enum envrun_hook_kind kind,
               const char *state_json, envrun_error_t *err);

/* Same, but failures only reach the warning handler (poststart,
   poststop: the spec says to log and go on).  */
void hooks_run_warn (const struct envrun_config *cfg,
                     enum envrun_hook_kind kind, const char *state_json);

const char *hooks_kind_name (enum envrun_hook_kind kind);

#endif
