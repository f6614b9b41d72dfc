/* A foreground `run`: forward signals, proxy the pty, reap, clean up.  */
#include "config-host.h"

#include "cgroup.h"
#include "cleanup.h"
#include "container-spawn.h"
#include "hooks.h"
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

struct supervision
{
  pid_t pid;
  int sfd;
  int master;     /* pty master, -1 without a terminal */
  bool stdin_open;
  bool exited;
  int status;
  bool raw;
  struct termios saved;
};

static void
copy_winsize (int from, int to)
{
  struct winsize ws;
  if (ioctl (from, TIOCGWINSZ, &ws) == 0)
    ioctl (to, TIOCSWINSZ, &ws);
}

static void
terminal_raw (struct supervision *v)
{
  struct termios t;

  if (v->master < 0 || !isatty (0) || tcgetattr (0, &v->saved) < 0)
    return;
  t = v->saved;
  cfmakeraw (&t);
  if (tcsetattr (0, TCSANOW, &t) == 0)
    v->raw = true;
  copy_winsize (0, v->master);
}

static void
reap (struct supervision *v)
{
  int st;
  pid_t w;

  /* We may be a subreaper: collect every child, note ours.  */
  while ((w = waitpid (-1, &st, WNOHANG)) > 0)
    if (w == v->pid)
      {
        v->exited = true;
        v->status = WIFEXITED (st) ? WEXITSTATUS (st) : 128 + WTERMSIG (st);
      }
}

static void
on_signal (struct supervision *v)
{
  struct signalfd_siginfo si;

  while (read (v->sfd, &si, sizeof si) == sizeof si)
    {
      if (si.ssi_signo == SIGCHLD)
        reap (v);
      else if (si.ssi_signo == SIGWINCH && v->master >= 0)
        copy_winsize (0, v->master);
      else
        kill (v->pid, (int) si.ssi_signo);
    }
}

static bool
pump (int from, int to)
{
  char buf[8192];
  ssize_t n = read (from, buf, sizeof buf);

  if (n <= 0)
    return n < 0 && (errno == EAGAIN || errno == EINTR);
  for (ssize_t off = 0; off < n;)
    {
      ssize_t w = write (to, buf + off, (size_t) (n - off));
      if (w < 0 && errno != EINTR)
        return false;
      if (w > 0)
        off += w;
    }
  return true;
}

int
supervise (struct setup *s, pid_t pid, int pty_master, int *status,
           envrun_error_t *err)
{
  struct supervision v = { .pid = pid, .master = pty_master,
                           .stdin_open = pty_master >= 0 };
  sigset_t set;

  /* spawn_container blocked exactly the supervised set.  */
  sigprocmask (SIG_SETMASK, NULL, &set);
  v.sfd = signalfd (-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (v.sfd < 0)
    return envrun_error_set (err, errno, "signalfd");
  terminal_raw (&v);
  reap (&v);
  while (!v.exited)
    {
      struct pollfd p[3] = { { v.sfd, POLLIN, 0 },
                             { v.master, POLLIN, 0 },
                             { v.stdin_open ? 0 : -1, POLLIN, 0 } };
      if (poll (p, 3, -1) < 0 && errno != EINTR)
        break;
      if (p[0].revents)
        on_signal (&v);
      if (p[1].revents && !pump (v.master, 1))
        v.master = -1; /* EIO: every slave closed */
      if (p[2].revents && !pump (0, pty_master))
        v.stdin_open = false;
    }
  /* Drain what the program wrote just before exiting.  */
  while (v.master >= 0 && pump (v.master, 1))
    {
      struct pollfd p = { v.master, POLLIN, 0 };
      if (poll (&p, 1, 0) <= 0)
        break;
    }
  if (v.raw)
    tcsetattr (0, TCSANOW, &v.saved);
  close (v.sfd);
  *status = v.status;
  return 0;
}

void
finish_run (struct setup *s)
{
  const struct envrun_run_options *opts = s->opts;
  envrun_error_t err = NULL;

  if (opts->keep && !opts->stateless)
    return;
  if (!opts->stateless && s->cfg->hooks.n_hooks[ENVRUN_HOOK_POSTSTOP])
    {
      cleanup_free char *json = setup_state_json (s, 0, ENVRUN_STATUS_STOPPED);
      if (json)
        hooks_run_warn (s->cfg, ENVRUN_HOOK_POSTSTOP, json);
    }
  if (s->cgroup)
    cgroup_destroy (s->cgroup, &err);
  envrun_error_free (&err);
  if (opts->stateless)
    return;
  int fd = state_dir_open (opts->state_root, opts->id, NULL);
  if (fd >= 0)
    {
      state_dir_remove (opts->state_root, opts->id, NULL);
      close (fd);
    }
}
