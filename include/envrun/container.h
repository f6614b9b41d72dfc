/* envrun — the container lifecycle, shared by both command-line faces.
 *
 * The OCI face (create/start/run/...) and the environment face (env run)
 * both end in these calls; the environment face builds its
 * struct envrun_config in memory instead of reading config.json.
 */
#ifndef ENVRUN_CONTAINER_H
#define ENVRUN_CONTAINER_H

#include <envrun/config.h>
#include <envrun/error.h>

#include <stdbool.h>
#include <sys/types.h>

struct envrun_run_options
{
  const char *state_root;     /* --root; required unless stateless */
  const char *id;             /* container id */
  const char *bundle;         /* absolute bundle dir (root.path relative to
                                 it; reported in state) */
  const char *config_text;    /* raw config.json kept in the state dir for
                                 delete-time hooks; may be NULL */
  size_t config_len;
  const char *console_socket; /* AF_UNIX path to send the pty master to */
  const char *pid_file;       /* write the container pid here */
  unsigned int preserve_fds;  /* pass fds 3..3+N-1 through */
  bool detach;                /* run: return once started */
  bool keep;                  /* run: keep the state after exit */
  bool no_pivot;              /* MS_MOVE + chroot instead of pivot_root */
  bool stateless;             /* env run: no state dir, not listable */
  bool cgroup_if_needed;      /* env run: join a cgroup only when the config
                                 sets a limit */
  const char *seccomp_cache;  /* directory caching compiled seccomp filters
                                 (root-owned, 0700), or NULL */
};

/* Validate a container id: [A-Za-z0-9][A-Za-z0-9_.+-]{0,1023}, no "..".  */
int envrun_validate_id (const char *id, envrun_error_t *err);

/* create: the container process is set up in all its namespaces and blocked
   before executing the user program until envrun_container_start().  */
int envrun_container_create (const struct envrun_run_options *opts,
                             struct envrun_config *cfg, envrun_error_t *err);

/* run: create + start; unless opts->detach, wait for the process and put
   its exit status in *status (128+N when killed by signal N), forwarding
   signals to it.  Returns < 0 on failure; err->status is ENOENT when the
   program was not found and EACCES/ENOEXEC when it could not be executed. */
int envrun_container_run (const struct envrun_run_options *opts,
                          struct envrun_config *cfg, int *status,
                          envrun_error_t *err);

/* exec: start `proc` inside the running container `opts->id` (its
   namespaces, cgroup and seccomp filter; the process's own user, caps,
   env, cwd, rlimits).  Uses opts->state_root, id, console_socket,
   pid_file, preserve_fds and detach.  Unless detached, *status is the
   process's exit status.  */
int envrun_container_exec (const struct envrun_run_options *opts,
                           struct envrun_process *proc, int *status,
                           envrun_error_t *err);

/* The container's own config (saved at create), for exec's defaults.  */
int envrun_container_config (const char *state_root, const char *id,
                             struct envrun_config **out, envrun_error_t *err);

int envrun_container_start (const char *state_root, const char *id,
                            envrun_error_t *err);

enum envrun_status
{
  ENVRUN_STATUS_CREATING,
  ENVRUN_STATUS_CREATED,
  ENVRUN_STATUS_RUNNING,
  ENVRUN_STATUS_STOPPED,
  ENVRUN_STATUS_PAUSED
};

const char *envrun_status_name (enum envrun_status s);

struct envrun_container_state
{
  char *id;
  char *bundle;
  char *oci_version;
  pid_t pid; /* 0 when stopped */
  enum envrun_status status;
  char *created; /* RFC 3339 */
  char *owner;
  struct envrun_kv *annotations;
  size_t n_annotations;
  char *rootfs;
};

int envrun_container_state (const char *state_root, const char *id,
                            struct envrun_container_state **out,
                            envrun_error_t *err);
void envrun_container_state_free (struct envrun_container_state *s);
/* The state as the spec's state JSON (state-schema.json), pretty-printed. */
int envrun_container_state_json (const struct envrun_container_state *s,
                                 char **out, envrun_error_t *err);

int envrun_container_list (const char *state_root,
                           struct envrun_container_state ***out, size_t *n,
                           envrun_error_t *err);

int envrun_container_kill (const char *state_root, const char *id, int sig,
                           bool all, envrun_error_t *err);

int envrun_container_delete (const char *state_root, const char *id,
                             bool force, envrun_error_t *err);

/* Parse "KILL", "SIGKILL", "9" → 9.  */
int envrun_parse_signal (const char *s, int *out, envrun_error_t *err);

#endif
