/* The container process, from clone to execve.  Each step is small and
   says what it defends against; on any failure the error goes to the
   runtime over the sync socket and the process exits.  */
#include "config-host.h"

#include "container-internal.h"
#include "hooks.h"
#include "mounts.h"
#include "namespaces.h"
#include "process.h"
#include "seccomp.h"
#include "sync.h"
#include "terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static char *state_json; /* from the runtime, for in-container hooks */

static void
expect_from_runtime (int sock, enum sync_type type, envrun_error_t *err)
{
  struct sync_msg msg;
  int r = sync_recv (sock, &msg, err);

  if (r <= 0 || msg.type != type)
    _exit (1); /* the runtime is gone or failed: nothing to report to */
  if (msg.len)
    state_json = strdup (msg.payload);
  sync_msg_clear (&msg);
}

/* Join, create what clone could not, and fork the real init when a pid
   namespace is joined or a time namespace must get its offsets first.  */
static void
enter_namespaces (struct setup *s, envrun_error_t *err)
{
  int sock = s->child_sock;

  if (ns_join (s->ns_fds, err) < 0)
    sync_fail (sock, err);
  if (!s->second_fork)
    return;
  if (unshare (s->new_flags & ~CLONE_NEWUSER) < 0)
    {
      envrun_error_set (err, errno, "create namespaces");
      sync_fail (sock, err);
    }
  if ((s->new_flags & CLONE_NEWTIME) && ns_write_time_offsets (s->cfg, err)
                                            < 0)
    sync_fail (sock, err);
  pid_t pid = fork ();
  if (pid < 0)
    {
      envrun_error_set (err, errno, "fork the container init");
      sync_fail (sock, err);
    }
  if (pid > 0)
    {
      sync_send (sock, SYNC_CHILD_PID, pid, NULL, 0, -1);
      _exit (0);
    }
}

static void
setup_filesystem (struct setup *s, envrun_error_t *err)
{
  const struct envrun_config *cfg = s->cfg;
  int sock = s->child_sock;
  bool userns = s->new_flags & CLONE_NEWUSER;
  int rootfd = rootfs_prepare (cfg, s->rootfs, err);

  if (rootfd < 0
      || mounts_apply (cfg, rootfd, s->opts->bundle,
                       s->new_flags & CLONE_NEWNET, userns, err)
             < 0
      || devices_create (cfg, rootfd, userns, err) < 0)
    sync_fail (sock, err);
  if (s->need_state)
    {
      /* createRuntime/prestart run in the runtime namespace; the
         createContainer hooks here, before pivot_root, as the spec says. */
      sync_send (sock, SYNC_RUNTIME_HOOKS, 0, NULL, 0, -1);
      expect_from_runtime (sock, SYNC_HOOKS_DONE, err);
      if (hooks_run (cfg, ENVRUN_HOOK_CREATE_CONTAINER, state_json, err) < 0)
        sync_fail (sock, err);
    }
  if (rootfs_pivot (rootfd, s->opts->no_pivot, err) < 0)
    sync_fail (sock, err);
  close (rootfd);
  /* sysctls go through /proc/sys, which readonlyPaths is about to lock.  */
  if (process_apply_sysctl (cfg, err) < 0 || mounts_mask_paths (cfg, err) < 0
      || mounts_readonly_paths (cfg, err) < 0 || rootfs_finalize (cfg, err) < 0)
    sync_fail (sock, err);
}

static void
setup_terminal (struct setup *s, envrun_error_t *err)
{
  const struct envrun_process *p = s->cfg->process;

  /* A new session: the container must not share the caller's terminal
     session or be able to send it signals through job control.  An exec'd
     process without a terminal stays in the caller's session, as in runc.  */
  if ((!s->is_exec || p->terminal) && setsid () < 0)
    {
      envrun_error_set (err, errno, "setsid");
      sync_fail (s->child_sock, err);
    }
  if (!p->terminal)
    return;
  int master = terminal_setup_in_container (p, err);
  if (master < 0)
    sync_fail (s->child_sock, err);
  sync_send (s->child_sock, SYNC_PTY_MASTER, 0, NULL, 0, master);
  close (master);
  /* The runtime sizes the pty like the caller's terminal (or hands it to
     the console socket) before the program can ask for its size.  */
  expect_from_runtime (s->child_sock, SYNC_FD_DONE, err);
}

static void
install_seccomp (struct setup *s, envrun_error_t *err)
{
  int listener = -1;

  if (s->seccomp == NULL)
    return;
  if (seccomp_program_install (s->seccomp, &listener, err) < 0)
    sync_fail (s->child_sock, err);
  if (listener >= 0)
    {
      sync_send (s->child_sock, SYNC_SECCOMP_FD, 0, NULL, 0, listener);
      close (listener);
      expect_from_runtime (s->child_sock, SYNC_FD_DONE, err);
    }
}

/* Identity and privileges, in the order that keeps each step possible:
   bounding set (needs CAP_SETPCAP), seccomp before the uid change when
   no_new_privs is off (loading then needs CAP_SYS_ADMIN), uid/gid and the
   capability sets, no_new_privs, then seccomp as late as possible.  */
static void
drop_privileges (struct setup *s, envrun_error_t *err)
{
  const struct envrun_process *p = s->cfg->process;
  int sock = s->child_sock;

  if (capabilities_drop_bounding (p->capabilities, err) < 0)
    sync_fail (sock, err);
  if (!p->no_new_privileges)
    install_seccomp (s, err);
  if (process_apply_identity (p, err) < 0)
    sync_fail (sock, err);
  if (p->no_new_privileges && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    {
      envrun_error_set (err, errno, "process.noNewPrivileges");
      sync_fail (sock, err);
    }
  if (p->no_new_privileges)
    install_seccomp (s, err);
}

static void
enter_cwd (const struct envrun_process *p, int sock, envrun_error_t *err)
{
  char buf[PATH_MAX];

  if (chdir (p->cwd ? p->cwd : "/") < 0)
    {
      envrun_error_set (err, errno, "process.cwd `%s`",
                        p->cwd ? p->cwd : "/");
      sync_fail (sock, err);
    }
  /* CVE-2024-21626: a cwd reached through a leaked fd lies outside the
     root and getcwd says "(unreachable)".  */
  if (getcwd (buf, sizeof buf) == NULL || buf[0] != '/')
    {
      envrun_error_set (err, EPERM, "process.cwd `%s` is outside the "
                        "container", p->cwd);
      sync_fail (sock, err);
    }
}

/* Block until `start` opens the fifo for reading.  The fd stays open
   (close-on-exec) and is written only after the startContainer hooks:
   `start` takes the byte, then waits for end-of-file, which execve gives
   it, before running poststart, as the spec orders them.  */
static int
wait_for_start (struct setup *s)
{
  char path[32];
  int fd;

  if (s->fifo_fd < 0)
    return -1;
  snprintf (path, sizeof path, "/proc/self/fd/%d", s->fifo_fd);
  do
    fd = open (path, O_WRONLY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0)
    _exit (1);
  close (s->fifo_fd);
  return fd;
}

static __attribute__ ((noreturn)) void
exec_program (struct setup *s, const char *prog, envrun_error_t *err)
{
  const struct envrun_process *p = s->cfg->process;
  int e;

  sigprocmask (SIG_SETMASK, &s->saved_mask, NULL);
  execve (prog, p->args, p->env ? p->env : (char *[]){ NULL });
  e = errno;
  sync_send (s->child_sock, SYNC_EXEC_ERROR, e, NULL, 0, -1);
  fprintf (stderr, "envrun: exec `%s`: %s\n", prog, strerror (e));
  _exit (e == ENOENT ? 127 : 126);
  (void) err;
}

/* From the process's own settings to execve: shared by the container's
   init and by processes started with exec.  */
static __attribute__ ((noreturn)) void
finish_process (struct setup *s, envrun_error_t *err)
{
  const struct envrun_process *p = s->cfg->process;
  int sock = s->child_sock;
  char *prog;

  setup_terminal (s, err);
  if (process_apply_limits (p, s->cfg, err) < 0)
    sync_fail (sock, err);
  enter_cwd (p, sock, err);
  prog = process_find_program (p, err);
  if (prog == NULL)
    sync_fail (sock, err);
  drop_privileges (s, err);
  if (process_close_fds (s->opts->preserve_fds, err) < 0)
    sync_fail (sock, err);
  sync_send (sock, SYNC_READY, 0, NULL, 0, -1);
  int started = wait_for_start (s);
  if (s->cfg->hooks.n_hooks[ENVRUN_HOOK_START_CONTAINER]
      && hooks_run (s->cfg, ENVRUN_HOOK_START_CONTAINER, state_json, err)
             < 0)
    {
      fprintf (stderr, "envrun: %s\n", envrun_error_message (*err));
      _exit (1);
    }
  if (started >= 0 && write (started, "0", 1) != 1)
    _exit (1);
  exec_program (s, prog, err);
}

/* Until execve this process runs the runtime's binary: nobody in the
   container may ptrace it or open its /proc/<pid>/exe (CVE-2019-5736).  */
static void
start_child (struct setup *s, envrun_error_t *err)
{
  close (s->runtime_sock);
  if (s->state_dirfd >= 0)
    close (s->state_dirfd);
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  /* A stateless run (env run) has nobody but its runtime to stop it: if
     the runtime is killed, so is the container, and its layer can go.  */
  if (s->opts->stateless && !s->is_exec)
    prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (s->need_go)
    expect_from_runtime (s->child_sock, SYNC_GO, err);
}

void
container_child_main (struct setup *s)
{
  envrun_error_t err = NULL;
  int sock = s->child_sock;

  start_child (s, &err);
  if ((s->new_flags & CLONE_NEWUSER)
      && (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0))
    {
      envrun_error_set (&err, errno, "become root in the user namespace");
      sync_fail (sock, &err);
    }
  enter_namespaces (s, &err);
  setup_filesystem (s, &err);
  if (process_apply_uts (s->cfg, s->new_flags & CLONE_NEWUTS, &err) < 0)
    sync_fail (sock, &err);
  finish_process (s, &err);
}

void
exec_child_main (struct setup *s)
{
  envrun_error_t err = NULL;

  start_child (s, &err);
  /* The runtime already joined the pid namespace for us (it only applies
     to children); the others now, user first.  */
  if (ns_join (s->ns_fds, &err) < 0)
    sync_fail (s->child_sock, &err);
  finish_process (s, &err);
}
