/* The built-in default profile parses, compiles, and refuses what it
   exists to refuse (keyctl, bpf, new user namespaces, mount, …) with
   EPERM while ordinary syscalls keep working.  */
#include "config-host.h"

#include "seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* cmocka needs the headers above first.  */
#include <cmocka.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

static struct seccomp_program *
default_program (void)
{
  struct envrun_seccomp *s = NULL;
  struct seccomp_program *p = NULL;
  envrun_error_t err = NULL;

  if (seccomp_default_profile (&s, &err) < 0)
    fail_msg ("parse: %s", envrun_error_message (err));
  assert_string_equal (s->default_action, "SCMP_ACT_ERRNO");
  assert_true (s->has_default_errno_ret);
  assert_int_equal (s->default_errno_ret, EPERM);
  if (seccomp_program_build (s, &p, &err) < 0)
    fail_msg ("build: %s", envrun_error_message (err));
  assert_false (seccomp_program_needs_listener (p));
  envrun_seccomp_free (s);
  return p;
}

/* Each probe returns 0 when the syscall was refused with EPERM.  */
static int
refused (long ret)
{
  return ret == -1 && errno == EPERM ? 0 : 1;
}

static int
probe_denied (int which)
{
  errno = 0;
  switch (which)
    {
    case 0:
      return refused (
          syscall (SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0));
    case 1:
      return refused (syscall (SYS_add_key, "user", "k", "v", 1, -3));
    case 2:
      {
        union bpf_attr attr;
        memset (&attr, 0, sizeof attr);
        return refused (syscall (SYS_bpf, BPF_MAP_CREATE, &attr, sizeof attr));
      }
    case 3:
      return refused (syscall (SYS_perf_event_open, NULL, 0, -1, -1, 0));
    case 4:
      return refused (syscall (SYS_kexec_load, 0, 0, NULL, 0));
    case 5:
      return refused (syscall (SYS_init_module, NULL, 0, ""));
    case 6:
      return refused (syscall (SYS_open_by_handle_at, AT_FDCWD, NULL, 0));
    case 7:
      return refused (mount ("none", "/", "tmpfs", 0, NULL));
    case 8:
      return refused (unshare (CLONE_NEWUSER));
    /* clone itself is allowed, but not with namespace flags.  */
    case 9:
      return refused (
          syscall (SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0));
    case 10:
      return refused (socket (AF_VSOCK, SOCK_STREAM, 0));
    case 11:
      return refused (syscall (SYS_setns, -1, 0));
    case 12:
      return refused (syscall (SYS_pivot_root, "/", "/"));
    case 13:
      return refused (syscall (SYS_reboot, 0, 0, 0, NULL));
    }
  return 2;
}

#define N_DENIED_PROBES 14

/* And the things an ordinary program does still work.  */
static int
probe_allowed (void)
{
  int sv[2];
  pid_t pid;
  int status;

  if (syscall (SYS_getppid) != getppid ())
    return 10;
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    return 11;
  close (sv[0]);
  close (sv[1]);
  pid = fork ();
  if (pid < 0)
    return 12;
  if (pid == 0)
    _exit (7);
  if (waitpid (pid, &status, 0) != pid || !WIFEXITED (status)
      || WEXITSTATUS (status) != 7)
    return 13;
  /* personality(0xffffffff) queries; it is on the list.  */
  if (syscall (SYS_personality, 0xffffffffUL) < 0)
    return 14;
  return 0;
}

static int
run_probe (const struct seccomp_program *p, int which)
{
  pid_t pid = fork ();
  int status;

  assert_true (pid >= 0);
  if (pid == 0)
    {
      for (int sig = 1; sig < NSIG; sig++)
        signal (sig, SIG_DFL);
      if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0
          || seccomp_program_install (p, NULL, NULL) < 0)
        _exit (100);
      _exit (which < 0 ? probe_allowed () : probe_denied (which));
    }
  assert_int_equal (waitpid (pid, &status, 0), pid);
  assert_true (WIFEXITED (status));
  return WEXITSTATUS (status);
}

static void
test_default_profile_refuses_dangerous_syscalls (void **state)
{
  struct seccomp_program *p = default_program ();

  for (int i = 0; i < N_DENIED_PROBES; i++)
    if (run_probe (p, i) != 0)
      fail_msg ("probe %d was not refused with EPERM", i);
  seccomp_program_free (p);
}

static void
test_default_profile_allows_ordinary_work (void **state)
{
  struct seccomp_program *p = default_program ();
  int ret = run_probe (p, -1);

  if (ret != 0)
    fail_msg ("ordinary probe failed with %d", ret);
  seccomp_program_free (p);
}

/* The probes are not vacuous: without the filter, as root, most of them
   do not fail with EPERM (keyctl works, clone with a new user namespace
   works...).  */
static void
test_probes_pass_without_filter (void **state)
{
  int ok = 0;

  if (geteuid () != 0)
    skip ();
  for (int i = 0; i < N_DENIED_PROBES; i++)
    {
      pid_t pid = fork ();
      int status;
      assert_true (pid >= 0);
      if (pid == 0)
        _exit (probe_denied (i));
      assert_int_equal (waitpid (pid, &status, 0), pid);
      if (WIFEXITED (status) && WEXITSTATUS (status) != 0)
        ok++;
    }
  /* keyctl, add_key, unshare, clone, socket(AF_VSOCK) at least.  */
  assert_true (ok >= 5);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_default_profile_refuses_dangerous_syscalls),
    cmocka_unit_test (test_default_profile_allows_ordinary_work),
    cmocka_unit_test (test_probes_pass_without_filter),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
