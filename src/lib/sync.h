/* Messages between the runtime and the container process during setup, on
   a SOCK_SEQPACKET socketpair.  Each message is one packet: a header and an
   optional payload (text or an fd passed with SCM_RIGHTS).  */
#ifndef ENVRUN_SYNC_H
#define ENVRUN_SYNC_H

#include <envrun/error.h>

#include <stddef.h>
#include <sys/types.h>

enum sync_type
{
  SYNC_GO = 1,        /* runtime → child: maps written, cgroup joined */
  SYNC_CHILD_PID,     /* child → runtime: the init's pid (after a second
                         fork), in `value` */
  SYNC_RUNTIME_HOOKS, /* child → runtime: run createRuntime hooks now */
  SYNC_HOOKS_DONE,    /* runtime → child: payload is the state JSON */
  SYNC_PTY_MASTER,    /* child → runtime: the pty master fd */
  SYNC_SECCOMP_FD,    /* child → runtime: the seccomp listener fd */
  SYNC_FD_DONE,       /* runtime → child: the fd was handed on */
  SYNC_READY,         /* child → runtime: set up, about to wait/exec */
  SYNC_ERROR,         /* child → runtime: errno in `value`, message */
  SYNC_EXEC_ERROR,    /* child → runtime: execve failed, errno in value */
};

#define SYNC_MAX_PAYLOAD (256 * 1024)

struct sync_msg
{
  enum sync_type type;
  int value;
  size_t len;    /* payload length */
  char *payload; /* malloc'd on receive, NUL-terminated */
  int fd;        /* received fd or -1 */
};

int sync_send (int sock, enum sync_type type, int value, const void *payload,
               size_t len, int fd);
/* Receive one message; returns 0 on EOF (peer closed), 1 on a message,
   < 0 on error.  */
int sync_recv (int sock, struct sync_msg *msg, envrun_error_t *err);
void sync_msg_clear (struct sync_msg *msg);

/* Child side: report an error to the runtime and _exit(1).  */
__attribute__ ((noreturn)) void sync_fail (int sock, envrun_error_t *err);

#endif
