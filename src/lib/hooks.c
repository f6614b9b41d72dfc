/* Hook execution (see hooks.h).  */
#include "config-host.h"

#include "cleanup.h"
#include "hooks.h"
#include "warn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *
hooks_kind_name (enum envrun_hook_kind kind)
{
  static const char *const names[] = {
    [ENVRUN_HOOK_PRESTART] = "prestart",
    [ENVRUN_HOOK_CREATE_RUNTIME] = "createRuntime",
    [ENVRUN_HOOK_CREATE_CONTAINER] = "createContainer",
    [ENVRUN_HOOK_START_CONTAINER] = "startContainer",
    [ENVRUN_HOOK_POSTSTART] = "poststart",
    [ENVRUN_HOOK_POSTSTOP] = "poststop",
  };
  return names[kind];
}

static void
hook_child (const struct envrun_hook *h, int in)
{
  static char *const empty[] = { NULL };
  char *default_args[] = { h->path, NULL };

  if (dup2 (in, 0) < 0)
    _exit (127);
  sigset_t all;
  sigemptyset (&all);
  sigprocmask (SIG_SETMASK, &all, NULL);
  execve (h->path, h->args ? h->args : default_args,
          h->env ? h->env : empty);
  _exit (127);
}

/* Wait for pid, at most timeout seconds (0: forever).  */
static int
wait_hook (pid_t pid, int timeout, int *status)
{
  int pfd = (int) syscall (SYS_pidfd_open, pid, 0);
  if (pfd >= 0 && timeout > 0)
    {
      struct pollfd p = { .fd = pfd, .events = POLLIN };
      int r;
      do
        r = poll (&p, 1, timeout * 1000);
      while (r < 0 && errno == EINTR);
      if (r == 0)
        {
          kill (pid, SIGKILL);
          waitpid (pid, status, 0);
          close (pfd);
          return -ETIMEDOUT;
        }
    }
  if (pfd >= 0)
    close (pfd);
  while (waitpid (pid, status, 0) < 0)
    if (errno != EINTR)
      return -errno;
  return 0;
}

static int
run_one (const struct envrun_hook *h, const char *kind, size_t idx,
         const char *state, envrun_error_t *err)
{
  int pipefd[2];
  int status = 0;

  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return envrun_error_set (err, errno, "hooks.%s[%zu]: pipe", kind, idx);
  pid_t pid = fork ();
  if (pid < 0)
    {
      close (pipefd[0]);
      close (pipefd[1]);
      return envrun_error_set (err, errno, "hooks.%s[%zu]: fork", kind, idx);
    }
  if (pid == 0)
    hook_child (h, pipefd[0]);
  close (pipefd[0]);
  /* A hook that does not read its stdin must not block us.  */
  signal (SIGPIPE, SIG_IGN);
  size_t len = strlen (state);
  if (write (pipefd[1], state, len) < 0 && errno != EPIPE)
    {
      /* ignore: the hook decides what to do with a short stdin */
    }
  close (pipefd[1]);
  int r = wait_hook (pid, h->has_timeout ? h->timeout : 0, &status);
  if (r == -ETIMEDOUT)
    return envrun_error_set (err, ETIMEDOUT,
                             "hooks.%s[%zu] `%s`: timed out after %d s",
                             kind, idx, h->path, h->timeout);
  if (r < 0)
    return envrun_error_set (err, -r, "hooks.%s[%zu]: wait", kind, idx);
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return 0;
  if (WIFSIGNALED (status))
    return envrun_error_set (err, 0, "hooks.%s[%zu] `%s`: killed by signal "
                             "%d", kind, idx, h->path, WTERMSIG (status));
  return envrun_error_set (err, 0, "hooks.%s[%zu] `%s`: exited with status "
                           "%d", kind, idx, h->path, WEXITSTATUS (status));
}

int
hooks_run (const struct envrun_config *cfg, enum envrun_hook_kind kind,
           const char *state_json, envrun_error_t *err)
{
  for (size_t i = 0; i < cfg->hooks.n_hooks[kind]; i++)
    if (run_one (&cfg->hooks.hooks[kind][i], hooks_kind_name (kind), i,
                 state_json, err)
        < 0)
      return -1;
  return 0;
}

void
hooks_run_warn (const struct envrun_config *cfg, enum envrun_hook_kind kind,
                const char *state_json)
{
  for (size_t i = 0; i < cfg->hooks.n_hooks[kind]; i++)
    {
      envrun_error_t err = NULL;
      if (run_one (&cfg->hooks.hooks[kind][i], hooks_kind_name (kind), i,
                   state_json, &err)
          < 0)
        envrun_warn ("%s", envrun_error_message (err));
      envrun_error_free (&err);
    }
}
