/* Runtime side of container setup (see container-spawn.h).  */
#include "config-host.h"

#include "cgroup.h"
#include "cleanup.h"
#include "container-spawn.h"
#include "hooks.h"
#include "namespaces.h"
#include "seccomp.h"
#include "state.h"
#include "sync.h"
#include "terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

/* Signals a foreground run passes on to the container.  */
static const int forwarded_signals[]
    = { SIGHUP,  SIGINT,  SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2,
        SIGWINCH, SIGCONT, SIGALRM, SIGTSTP, SIGTTIN, SIGTTOU, SIGPWR };

static void
supervised_set (sigset_t *set)
{
  sigemptyset (set);
  sigaddset (set, SIGCHLD);
  for (size_t i = 0; i < sizeof forwarded_signals / sizeof (int); i++)
    sigaddset (set, forwarded_signals[i]);
}

char *
setup_state_json (const struct setup *s, pid_t pid, int status)
{
  struct container_state *st = setup_state (s, pid);
  char *json = NULL;

  if (st)
    state_oci_json (st, (enum envrun_status) status, false, &json, NULL);
  container_state_free (st);
  return json;
}

static pid_t
clone_child (int flags, int cgroup_fd)
{
  struct clone_args args = { .flags = (uint64_t) flags,
                             .exit_signal = SIGCHLD };
  if (cgroup_fd >= 0)
    {
      args.flags |= CLONE_INTO_CGROUP;
      args.cgroup = (uint64_t) cgroup_fd;
    }
  pid_t pid = (pid_t) syscall (SYS_clone3, &args, sizeof args);
  if (pid < 0 && errno == ENOSYS && cgroup_fd < 0)
    pid = (pid_t) syscall (SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
  return pid;
}

int
spawn_container (struct setup *s, pid_t *out, envrun_error_t *err)
{
  sigset_t block;
  int cgfd = s->cgroup ? cgroup_clone_fd (s->cgroup) : -1;
  int flags = s->second_fork ? (s->new_flags & CLONE_NEWUSER) : s->new_flags;
  pid_t pid;

  supervised_set (&block);
  sigprocmask (SIG_BLOCK, &block, &s->saved_mask);
  /* The init forked by an intermediate process must stay our child.  */
  if (s->second_fork && !s->opts->detach)
    prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  s->need_go = (flags & CLONE_NEWUSER) || (s->cgroup != NULL);
  pid = clone_child (flags, cgfd);
  if (pid < 0 && cgfd >= 0)
    {
      cgfd = -1; /* e.g. a kernel without CLONE_INTO_CGROUP */
      pid = clone_child (flags, -1);
    }
  if (pid < 0)
    return envrun_error_set (err, errno, "clone the container process");
  if (pid == 0)
    {
      if (s->is_exec)
        exec_child_main (s);
      container_child_main (s);
    }
  if (cgfd >= 0)
    cgroup_note_cloned_into (s->cgroup);
  close (s->child_sock);
  s->child_sock = -1;
  *out = pid;
  return 0;
}

static int
serve_runtime_hooks (struct setup *s, pid_t pid, envrun_error_t *err)
{
  cleanup_free char *json = setup_state_json (s, pid, ENVRUN_STATUS_CREATING);

  if (json == NULL)
    return envrun_error_set (err, ENOMEM, "state for hooks");
  if (hooks_run (s->cfg, ENVRUN_HOOK_PRESTART, json, err) < 0
      || hooks_run (s->cfg, ENVRUN_HOOK_CREATE_RUNTIME, json, err) < 0)
    return -1;
  sync_send (s->runtime_sock, SYNC_HOOKS_DONE, 0, json, strlen (json), -1);
  return 0;
}

static int
serve_seccomp_fd (struct setup *s, pid_t pid, int fd, envrun_error_t *err)
{
  const struct envrun_seccomp *sc = s->cfg->linux_->seccomp;
  cleanup_free char *json = setup_state_json (s, pid, ENVRUN_STATUS_CREATING);

  if (sc->listener_path
      && seccomp_notify_send (sc->listener_path, fd, sc->listener_metadata,
                              json, pid, err)
             < 0)
    return envrun_error_prefix (err, "linux.seccomp.listenerPath");
  sync_send (s->runtime_sock, SYNC_FD_DONE, 0, NULL, 0, -1);
  return 0;
}

static int
serve_message (struct setup *s, struct sync_msg *m, pid_t *pid,
               int *pty_master, envrun_error_t *err)
{
  switch (m->type)
    {
    case SYNC_CHILD_PID:
      waitpid (*pid, NULL, 0); /* the intermediate process */
      *pid = m->value;
      return 0;
    case SYNC_RUNTIME_HOOKS:
      return serve_runtime_hooks (s, *pid, err);
    case SYNC_PTY_MASTER:
      if (s->opts->console_socket)
        {
          if (terminal_send_to_socket (s->opts->console_socket, m->fd, err)
              < 0)
            return -1;
        }
      else
        {
          /* A foreground run: the pty follows the caller's terminal.  */
          struct winsize ws;
          if (!s->cfg->process->has_console_size
              && ioctl (0, TIOCGWINSZ, &ws) == 0)
            ioctl (m->fd, TIOCSWINSZ, &ws);
          *pty_master = m->fd;
          m->fd = -1;
        }
      sync_send (s->runtime_sock, SYNC_FD_DONE, 0, NULL, 0, -1);
      return 0;
    case SYNC_SECCOMP_FD:
      return serve_seccomp_fd (s, *pid, m->fd, err);
    case SYNC_ERROR:
    case SYNC_EXEC_ERROR:
      /* The message already ends with strerror: keep errno aside.  */
      envrun_error_set (err, 0, "%s",
                        m->len ? m->payload : "container setup failed");
      if (*err)
        (*err)->status = m->value;
      return -1;
    default:
      return envrun_error_set (err, EPROTO, "unexpected message %d from the "
                               "container process", m->type);
    }
}

int
handshake (struct setup *s, pid_t *pid, int *pty_master, envrun_error_t *err)
{
  if ((s->new_flags & CLONE_NEWUSER) && ns_write_id_maps (*pid, s->cfg, err)
                                            < 0)
    return -1;
  if (s->cgroup && cgroup_enter (s->cgroup, *pid, err) < 0)
    return -1;
  if (s->need_go && sync_send (s->runtime_sock, SYNC_GO, 0, NULL, 0, -1) < 0)
    return envrun_error_set (err, errno, "signal the container process");
  while (1)
    {
      struct sync_msg m;
      int r = sync_recv (s->runtime_sock, &m, err);
      if (r < 0)
        return -1;
      if (r == 0)
        return envrun_error_set (err, ECHILD, "the container process "
                                              "exited during setup");
      if (m.type == SYNC_READY)
        {
          sync_msg_clear (&m);
          return 0;
        }
      r = serve_message (s, &m, pid, pty_master, err);
      sync_msg_clear (&m);
      if (r < 0)
        return -1;
    }
}

int
wait_exec (struct setup *s, pid_t pid, envrun_error_t *err)
{
  struct sync_msg m;
  int r = sync_recv (s->runtime_sock, &m, err);

  (void) pid;
  if (r <= 0)
    return r; /* EOF: execve closed the socket, the program runs */
  r = envrun_error_set (err, m.value, "exec `%s`", s->cfg->process->args[0]);
  sync_msg_clear (&m);
  return r;
}

void
run_poststart (struct setup *s, pid_t pid)
{
  if (s->cfg->hooks.n_hooks[ENVRUN_HOOK_POSTSTART] == 0)
    return;
  cleanup_free char *json = setup_state_json (s, pid, ENVRUN_STATUS_RUNNING);
  if (json)
    hooks_run_warn (s->cfg, ENVRUN_HOOK_POSTSTART, json);
}
