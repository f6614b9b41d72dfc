/* The per-container state directory under --root:
     <root>/<id>/state.json   what `state` reports plus what delete needs
     <root>/<id>/exec.fifo    exists between create and start
     <root>/<id>/config.json  copy of the config, only when hooks need it
   Commands on one id serialise on an flock of the directory.  */
#ifndef ENVRUN_STATE_H
#define ENVRUN_STATE_H

#include <envrun/config.h>
#include <envrun/container.h>
#include <envrun/error.h>

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct container_state
{
  char *id;
  char *bundle;
  char *rootfs;
  char *oci_version;
  char *created; /* RFC 3339 with nanoseconds */
  char *owner;
  pid_t pid;
  uint64_t pid_start_time; /* field 22 of /proc/<pid>/stat */
  char *cgroup_path;       /* NULL when the container has no cgroup */
  bool has_config_copy;    /* config.json saved for hooks */
  struct envrun_kv *annotations;
  size_t n_annotations;
};

/* Create <root>/<id> (fails "container exists" when present) and lock it.
   Returns the locked directory fd.  */
int state_dir_create (const char *root, const char *id, envrun_error_t *err);
/* Open and lock an existing state dir; "container `id` does not exist".  */
int state_dir_open (const char *root, const char *id, envrun_error_t *err);
/* Remove the whole directory (the caller holds the lock).  */
int state_dir_remove (const char *root, const char *id, envrun_error_t *err);

int state_write (int dirfd, const struct container_state *s,
                 envrun_error_t *err);
int state_read (int dirfd, const char *id, struct container_state **out,
                envrun_error_t *err);
/* Parse state.json text (exposed for the fuzzer).  */
int state_parse (const char *text, size_t len, const char *name,
                 struct container_state **out, envrun_error_t *err);
void container_state_free (struct container_state *s);

/* Compute the status from the process and the fifo.  */
enum envrun_status state_status (int dirfd, const struct container_state *s);

/* Start time of a live pid, 0 when gone or a zombie.  */
uint64_t process_start_time (pid_t pid);

/* Current time as RFC 3339 (malloc'd).  */
char *state_now_rfc3339 (void);

/* The OCI state JSON (state-schema.json) for s with the given status.  */
int state_oci_json (const struct container_state *s, enum envrun_status st,
                    bool pretty, char **out, envrun_error_t *err);

#endif
