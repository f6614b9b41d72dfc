/* Runtime-side steps of container.c: clone, the setup handshake, and for
   `run` the supervision of the running container.  */
#ifndef ENVRUN_CONTAINER_SPAWN_H
#define ENVRUN_CONTAINER_SPAWN_H

#include "container-internal.h"

#include <envrun/error.h>

/* Clone the container process into its namespaces (and cgroup where the
   kernel can do it at clone time).  */
int spawn_container (struct setup *s, pid_t *pid, envrun_error_t *err);
/* Maps, cgroup, GO, then serve the child's requests until it is ready.
   *pid is updated when the child forks the real init.  */
int handshake (struct setup *s, pid_t *pid, int *pty_master,
               envrun_error_t *err);
/* After READY of a run: wait until execve succeeded or failed.  */
int wait_exec (struct setup *s, pid_t pid, envrun_error_t *err);
void run_poststart (struct setup *s, pid_t pid);
/* Forward signals, proxy a pty, reap; *status as a shell reports it.  */
int supervise (struct setup *s, pid_t pid, int pty_master, int *status,
               envrun_error_t *err);
/* poststop hooks, cgroup and state removal unless --keep.  */
void finish_run (struct setup *s);

#endif
