/* What the runtime and the container process share while a container is
   being set up (container.c is the runtime side, container-child.c the
   container process).  */
#ifndef ENVRUN_CONTAINER_INTERNAL_H
#define ENVRUN_CONTAINER_INTERNAL_H

#include <envrun/container.h>

#include <limits.h>
#include <signal.h>
#include <stdbool.h>

struct seccomp_program;
struct cgroup_handle;

struct setup
{
  const struct envrun_run_options *opts;
  struct envrun_config *cfg;
  char rootfs[PATH_MAX];  /* absolute host path of root.path */
  int runtime_sock;       /* runtime end of the sync socketpair */
  int child_sock;         /* container end */
  int fifo_fd;            /* O_PATH exec.fifo (create only), else -1 */
  int state_dirfd;        /* the locked state dir: the container process
                             closes it at once so the flock is released
                             with the runtime's */
  int ns_fds[ENVRUN_NS_COUNT]; /* namespaces to join by path */
  int new_flags;          /* CLONE_NEW* to create */
  bool second_fork;       /* joining a pid ns / new time ns needs a fork */
  bool need_go;           /* the runtime acts after clone before setup */
  bool need_state;        /* hooks in the container want the state JSON */
  bool is_exec;           /* a process joining a running container */
  struct seccomp_program *seccomp;
  struct cgroup_handle *cgroup;
  sigset_t saved_mask;    /* restored in the container before execve */
};

struct container_state;
/* The state of the container being set up (for hooks and state.json).  */
struct container_state *setup_state (const struct setup *s, pid_t pid);
/* Same as OCI state JSON with the given status; NULL on failure.  */
char *setup_state_json (const struct setup *s, pid_t pid, int status);

/* The container process: never returns.  */
__attribute__ ((noreturn)) void container_child_main (struct setup *s);
/* A process started by exec: joins, then the same final steps.  */
__attribute__ ((noreturn)) void exec_child_main (struct setup *s);

#endif
