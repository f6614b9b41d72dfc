/* linux.seccomp → a filter that really does what the profile says: each
   test builds a program, loads it in a forked child and looks at what the
   kernel then does to the child's syscalls.  */
#include "config-host.h"

#include "json.h"
#include "seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h>

/* cmocka needs the headers above first.  */
#include <cmocka.h>

#define NAMES(...)                                                            \
  (char *[]){ __VA_ARGS__ },                                                  \
      sizeof ((char *[]){ __VA_ARGS__ }) / sizeof (char *)
#define ARGS(...)                                                             \
  (struct envrun_seccomp_arg[]){ __VA_ARGS__ },                               \
      sizeof ((struct envrun_seccomp_arg[]){ __VA_ARGS__ })                   \
          / sizeof (struct envrun_seccomp_arg)

/* What a process needs to live under an allow list, sanitizer runtimes
   included (they map memory and write reports).  */
#define LIFE_SUPPORT                                                          \
  "exit_group", "exit", "getpid", "gettid", "mmap", "munmap", "mprotect",     \
      "madvise", "brk", "write", "rt_sigprocmask", "rt_sigaction",            \
      "sigaltstack", "futex", "sched_yield", "prctl", "getrlimit",            \
      "prlimit64", "readlink", "openat", "open", "read", "close", "fstat",    \
      "newfstatat", "tgkill"

/* A profile with default action ALLOW and the given rules.  */
static struct envrun_seccomp
profile (const char *default_action, struct envrun_seccomp_rule *rules,
         size_t n)
{
  struct envrun_seccomp s = { .default_action = (char *)default_action,
                              .syscalls = rules,
                              .n_syscalls = n };
  return s;
}

static struct seccomp_program *
build_ok (const struct envrun_seccomp *s)
{
  struct seccomp_program *p = NULL;
  envrun_error_t err = NULL;
  int ret = seccomp_program_build (s, &p, &err);

  if (ret < 0)
    fail_msg ("build failed: %s", envrun_error_message (err));
  assert_non_null (p);
  assert_true (seccomp_program_size (p) > 0);
  return p;
}

static void
build_fails (const struct envrun_seccomp *s, const char *expected)
{
  struct seccomp_program *p = NULL;
  envrun_error_t err = NULL;

  assert_true (seccomp_program_build (s, &p, &err) < 0);
  assert_null (p);
  assert_non_null (err);
  if (strstr (envrun_error_message (err), expected) == NULL)
    fail_msg ("message \"%s\" lacks \"%s\"", envrun_error_message (err),
              expected);
  envrun_error_free (&err);
}

/* Fork; the child loads `p` (with no_new_privs, as the core does) and
   returns fn's value as its exit status.  Returns the wait status.  */
static int
run_filtered (const struct seccomp_program *p, int (*fn) (void *), void *arg)
{
  pid_t pid = fork ();
  int status;

  assert_true (pid >= 0);
  if (pid == 0)
    {
      int listener = -1;
      /* cmocka catches SIGSYS and friends; the child must die of them
         as a container process would.  */
      for (int sig = 1; sig < NSIG; sig++)
        signal (sig, SIG_DFL);
      if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        _exit (100);
      if (seccomp_program_install (p, &listener, NULL) < 0)
        _exit (101);
      _exit (fn (arg));
    }
  assert_int_equal (waitpid (pid, &status, 0), pid);
  return status;
}

static void
assert_exit_zero (int status)
{
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    fail_msg ("child: %s %d", WIFEXITED (status) ? "exit" : "signal",
              WIFEXITED (status) ? WEXITSTATUS (status) : WTERMSIG (status));
}

/* getppid ignores its arguments and never fails: any error it returns
   came from the filter, and the filter sees the arguments we pass.  */
static long
getppid_args (long a0, long a1)
{
  return syscall (SYS_getppid, a0, a1);
}

static int
expect_getppid_errno (void *arg)
{
  int want = *(int *)arg;
  errno = 0;
  if (getppid_args (0, 0) != -1 || errno != want)
    return 1;
  if (syscall (SYS_getpid) != getpid ())
    return 2;
  return 0;
}

static void
test_errno_rule (void **state)
{
  struct envrun_seccomp_rule r
      = { NAMES ("getppid"), "SCMP_ACT_ERRNO", true, 42 };
  struct envrun_seccomp s = profile ("SCMP_ACT_ALLOW", &r, 1);
  struct seccomp_program *p = build_ok (&s);
  int want = 42;

  assert_false (seccomp_program_needs_listener (p));
  assert_exit_zero (run_filtered (p, expect_getppid_errno, &want));
  seccomp_program_free (p);
}

static void
test_errno_defaults_to_eperm (void **state)
{
  struct envrun_seccomp_rule r = { NAMES ("getppid"), "SCMP_ACT_ERRNO" };
  struct envrun_seccomp s = profile ("SCMP_ACT_ALLOW", &r, 1);
  struct seccomp_program *p = build_ok (&s);
  int want = EPERM;

  assert_exit_zero (run_filtered (p, expect_getppid_errno, &want));
  seccomp_program_free (p);
}

/* TRACE with no tracer attached: the kernel fails the call with ENOSYS.  */
static void
test_trace_without_tracer (void **state)
{
  struct envrun_seccomp_rule r = { NAMES ("getppid"), "SCMP_ACT_TRACE" };
  struct envrun_seccomp s = profile ("SCMP_ACT_ALLOW", &r, 1);
  struct seccomp_program *p = build_ok (&s);
  int want = ENOSYS;

  assert_exit_zero (run_filtered (p, expect_getppid_errno, &want));
  seccomp_program_free (p);
}

/* An allow list: the default errno for everything not listed.  */
static void
test_default_errno (void **state)
{
  struct envrun_seccomp_rule r = { NAMES (LIFE_SUPPORT), "SCMP_ACT_ALLOW" };
  struct envrun_seccomp s = profile ("SCMP_ACT_ERRNO", &r, 1);
  struct seccomp_program *p;
  int want = EACCES;

  s.has_default_errno_ret = true;
  s.default_errno_ret = EACCES;
  p = build_ok (&s);
  assert_exit_zero (run_filtered (p, expect_getppid_errno, &want));
  seccomp_program_free (p);
}

static int
call_getppid (void *arg)
{
  getppid_args (0, 0);
  return 0;
}

static void
expect_killed_by (const char *action, int sig)
{
  struct envrun_seccomp_rule r = { NAMES ("getppid"), (char *)action };
  struct envrun_seccomp s = profile ("SCMP_ACT_ALLOW", &r, 1);
  struct seccomp_program *p = build_ok (&s);
  int status = run_filtered (p, call_getppid, NULL);

  if (!WIFSIGNALED (status) || WTERMSIG (status) != sig)
    fail_msg ("%s: child not killed by signal %d (status %#x)", action, sig,
              status);
  seccomp_program_free (p);
}

static void
test_kill_actions (void **state)
{
  expect_killed_by ("SCMP_ACT_KILL", SIGSYS);
  expect_killed_by ("SCMP_ACT_KILL_THREAD", SIGSYS);
  expect_killed_by ("SCMP_ACT_KILL_PROCESS", SIGSYS);
  /* TRAP raises SIGSYS, whose default disposition kills too.  */
  expect_killed_by ("SCMP_ACT_TRAP", SIGSYS);
}

static int
expect_getppid_works (void *arg)
{
  return getppid_args (0, 0) == getppid () ? 0 : 1;
}

/* ALLOW and LOG rules against an errno default.  */
static void
test_log_and_allow (void **state)
{
  struct envrun_seccomp_rule r[] = {
    { NAMES (LIFE_SUPPORT), "SCMP_ACT_ALLOW" },
    { NAMES ("getppid"), "SCMP_ACT_LOG" },
  };
  struct envrun_seccomp s = profile ("SCMP_ACT_ERRNO", r, 2);
  struct seccomp_program *p = build_ok (&s);

  assert_exit_zero (run_filtered (p, expect_getppid_works, NULL));
  seccomp_program_free (p);
}

static void
test_unknown_syscall_skipped (void **state)
{
  struct envrun_seccomp_rule r = { NAMES ("no_such_syscall_at_all", "getppid"),
                                   "SCMP_ACT_ERRNO", true, 42 };
  struct envrun_seccomp s = profile ("SCMP_ACT_ALLOW", &r, 1);
  struct seccomp_program *p = build_ok (&s);
  int want = 42;

  assert_exit_zero (run_filtered (p, expect_getppid_errno, &want));
  seccomp_program_free (p);
}

/* A rule whose action is the default one changes nothing; libseccomp
   refuses it, runc skips it.  */
static void
test_rule_same_as_default_skipped (void **state)
{
  struct envrun_seccomp_rule r = { NAMES ("getppid"), "SCMP_ACT_ALLOW" };
  struct envrun_seccomp s = profile ("SCMP_ACT_ALLOW", &r, 1);
  struct seccomp_program *p = build_ok (&s);

  assert_exit_zero (run_filtered (p, expect_getppid_works, NULL));
  seccomp_program_free (p);
}

struct arg_case
{
  long a0, a1;
  bool denied;
};

struct arg_cases
{
  const struct arg_case *cases;
  size_t n;
};

static int
check_arg_cases (void *arg)
{
  const struct arg_cases *c = arg;

  for (size_t i = 0; i < c->n; i++)
    {
      long r;
      errno = 0;
      r = getppid_args (c->cases[i].a0, c->cases[i].a1);
      if (c->cases[i].denied != (r == -1 && errno == E2BIG))
        return 10 + i;
    }
  return 0;
}

static void
expect_arg_cases (struct envrun_seccomp_arg *args, size_t n_args,
                  const struct arg_case *cases, size_t n_cases)
{
  struct envrun_seccomp_rule r
      = { NAMES ("getppid"), "SCMP_ACT_ERRNO", true, E2BIG, args, n_args };
  struct envrun_seccomp s = profile ("SCMP_ACT_ALLOW", &r, 1);
  struct seccomp_program *p = build_ok (&s);
  struct arg_cases c = { cases, n_cases };
  int status = run_filtered (p, check_arg_cases, &c);

  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    fail_msg ("op %d: case %d went wrong", args[0].op,
              WIFEXITED (status) ? WEXITSTATUS (status) - 10 : -1);
  seccomp_program_free (p);
}

#define CASES(...)                                                            \
  (const struct arg_case[]){ __VA_ARGS__ },                                   \
      sizeof ((const struct arg_case[]){ __VA_ARGS__ })                       \
          / sizeof (struct arg_case)

static void
test_every_operator (void **state)
{
  expect_arg_cases (ARGS ({ 0, 5, 0, ENVRUN_SCMP_EQ }),
                    CASES ({ 5, 0, true }, { 4, 0, false }, { 6, 0, false }));
  expect_arg_cases (ARGS ({ 0, 5, 0, ENVRUN_SCMP_NE }),
                    CASES ({ 5, 0, false }, { 4, 0, true }, { 6, 0, true }));
  expect_arg_cases (ARGS ({ 0, 5, 0, ENVRUN_SCMP_LT }),
                    CASES ({ 4, 0, true }, { 5, 0, false }, { 6, 0, false }));
  expect_arg_cases (ARGS ({ 0, 5, 0, ENVRUN_SCMP_LE }),
                    CASES ({ 4, 0, true }, { 5, 0, true }, { 6, 0, false }));
  expect_arg_cases (ARGS ({ 0, 5, 0, ENVRUN_SCMP_GT }),
                    CASES ({ 4, 0, false }, { 5, 0, false }, { 6, 0, true }));
  expect_arg_cases (ARGS ({ 0, 5, 0, ENVRUN_SCMP_GE }),
                    CASES ({ 4, 0, false }, { 5, 0, true }, { 6, 0, true }));
  /* value is the mask, valueTwo what the masked argument must equal.  */
  expect_arg_cases (ARGS ({ 0, 0xf0, 0x30, ENVRUN_SCMP_MASKED_EQ }),
                    CASES ({ 0x35, 0, true }, { 0x45, 0, false },
                           { 0x3f, 0, true }, { 0x130, 0, true }));
}

/* Conditions on different arguments: all must hold (one rule).  */
static void
test_conditions_on_different_args_are_anded (void **state)
{
  expect_arg_cases (
      ARGS ({ 0, 1, 0, ENVRUN_SCMP_EQ }, { 1, 2, 0, ENVRUN_SCMP_EQ }),
      CASES ({ 1, 2, true }, { 1, 3, false }, { 0, 2, false }));
}

/* Two conditions on the same argument: runc makes each its own rule, so
   either matching is enough.  */
static void
test_conditions_on_same_arg_are_ored (void **state)
{
  expect_arg_cases (
      ARGS ({ 0, 1, 0, ENVRUN_SCMP_EQ }, { 0, 2, 0, ENVRUN_SCMP_EQ }),
      CASES ({ 1, 0, true }, { 2, 0, true }, { 3, 0, false }));
}

static void
test_bad_profiles_refused (void **state)
{
  struct envrun_seccomp_rule r = { NAMES ("getppid"), "SCMP_ACT_ALLOW" };
  struct envrun_seccomp s = profile ("SCMP_ACT_BOGUS", NULL, 0);

  build_fails (&s, ".linux.seccomp.defaultAction: unknown action");
  s = profile ("SCMP_ACT_NOTIFY", NULL, 0);
  build_fails (&s, "cannot be the default action");
  s = profile ("SCMP_ACT_ERRNO", &r, 1);
  r.action = "SCMP_ACT_JUMP";
  build_fails (&s, ".linux.seccomp.syscalls[0].action: unknown action");
  r.action = "SCMP_ACT_ALLOW";
  r.has_errno_ret = true;
  build_fails (&s, ".linux.seccomp.syscalls[0].action: errnoRet is only");
  r.has_errno_ret = false;
  r.args = (struct envrun_seccomp_arg[]){ { 6, 1, 0, ENVRUN_SCMP_EQ } };
  r.n_args = 1;
  build_fails (&s, ".linux.seccomp.syscalls[0].args[0].index: must be below");
  r.args[0].index = 0;
  r.args[0].op = (enum envrun_seccomp_op)99;
  build_fails (&s, ".linux.seccomp.syscalls[0].args[0].op");
  r.n_args = 0;
  s.architectures = (char *[]){ "SCMP_ARCH_X86_64", "SCMP_ARCH_VAX" };
  s.n_architectures = 2;
  build_fails (&s, ".linux.seccomp.architectures[1]: unknown architecture");
  s.n_architectures = 0;
  s.flags = (char *[]){ "SECCOMP_FILTER_FLAG_BOGUS" };
  s.n_flags = 1;
  build_fails (&s, ".linux.seccomp.flags[0]: unknown flag");
}

static void
test_architectures_and_flags (void **state)
{
  struct envrun_seccomp_rule r
      = { NAMES ("getppid", "socketcall"), "SCMP_ACT_ERRNO", true, 42 };
  struct envrun_seccomp s = profile ("SCMP_ACT_ALLOW", &r, 1);
  struct seccomp_program *p;
  int want = 42;

  assert_true (seccomp_flag_supported ("SECCOMP_FILTER_FLAG_LOG"));
  assert_false (seccomp_flag_supported ("SECCOMP_FILTER_FLAG_BOGUS"));
  s.architectures
      = (char *[]){ "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32" };
  s.n_architectures = 3;
  s.flags = (char *[]){ "SECCOMP_FILTER_FLAG_LOG",
                        "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                        "SECCOMP_FILTER_FLAG_TSYNC" };
  s.n_flags = 3;
  p = build_ok (&s);
  assert_exit_zero (run_filtered (p, expect_getppid_errno, &want));
  seccomp_program_free (p);
}

/* The agent's side of SCMP_ACT_NOTIFY: receive the listener fd and the
   containerProcessState, check them, then answer the child's getppid
   with EXDEV.  */
static void
agent_answer (int lsock, pid_t child)
{
  char buf[4096], control[CMSG_SPACE (sizeof (int))];
  struct iovec iov = { buf, sizeof buf - 1 };
  struct msghdr msg = { .msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = control,
                        .msg_controllen = sizeof control };
  struct seccomp_notif req;
  struct seccomp_notif_resp resp;
  struct json_doc *doc = NULL;
  json_node *root;
  int conn, fd;
  ssize_t n;

  conn = accept4 (lsock, NULL, NULL, SOCK_CLOEXEC);
  assert_true (conn >= 0);
  n = recvmsg (conn, &msg, MSG_CMSG_CLOEXEC);
  assert_true (n > 0);
  assert_non_null (CMSG_FIRSTHDR (&msg));
  assert_int_equal (CMSG_FIRSTHDR (&msg)->cmsg_type, SCM_RIGHTS);
  memcpy (&fd, CMSG_DATA (CMSG_FIRSTHDR (&msg)), sizeof fd);
  for (ssize_t m; (m = read (conn, buf + n, sizeof buf - 1 - n)) > 0;)
    n += m;
  buf[n] = '\0';
  close (conn);
  assert_int_equal (json_parse (buf, n, "message", &doc, NULL), 0);
  root = json_doc_root (doc);
  assert_string_equal (
      json_string_value (json_array_at (json_object_get (root, "fds"), 0)),
      "seccompFd");
  assert_string_equal (json_string_value (json_object_get (root, "metadata")),
                       "meta");
  assert_string_equal (json_string_value (json_object_get (
                           json_object_get (root, "state"), "id")),
                       "c1");
  {
    int64_t pid;
    assert_int_equal (json_get_int64 (doc, json_object_get (root, "pid"),
                                      ".pid", &pid, NULL),
                      0);
    assert_int_equal (pid, child);
  }
  json_doc_free (doc);

  memset (&req, 0, sizeof req);
  assert_int_equal (ioctl (fd, SECCOMP_IOCTL_NOTIF_RECV, &req), 0);
  assert_int_equal (req.data.nr, SYS_getppid);
  assert_int_equal (req.pid, child);
  memset (&resp, 0, sizeof resp);
  resp.id = req.id;
  resp.error = -EXDEV;
  assert_int_equal (ioctl (fd, SECCOMP_IOCTL_NOTIF_SEND, &resp), 0);
  close (fd);
}

static int
notify_child (const struct seccomp_program *p, const char *path)
{
  int listener = -1;

  for (int sig = 1; sig < NSIG; sig++)
    signal (sig, SIG_DFL);
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0
      || seccomp_program_install (p, &listener, NULL) < 0)
    return 1;
  if (listener < 0 || !(fcntl (listener, F_GETFD) & FD_CLOEXEC))
    return 2;
  if (seccomp_notify_send (path, listener, "meta",
                           "{\"ociVersion\":\"1.2.0\",\"id\":\"c1\","
                           "\"status\":\"creating\",\"pid\":1,"
                           "\"bundle\":\"/b\"}",
                           getpid (), NULL)
      < 0)
    return 3;
  close (listener);
  errno = 0;
  if (getppid_args (0, 0) != -1 || errno != EXDEV)
    return 4;
  return 0;
}

static void
test_notify_sends_listener_to_agent (void **state)
{
  struct envrun_seccomp_rule r = { NAMES ("getppid"), "SCMP_ACT_NOTIFY" };
  struct envrun_seccomp s = profile ("SCMP_ACT_ALLOW", &r, 1);
  struct seccomp_program *p = build_ok (&s);
  char dir[] = "/tmp/envrun-test-notify-XXXXXX";
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  envrun_error_t err = NULL;
  int lsock, status;
  pid_t pid;

  assert_true (seccomp_program_needs_listener (p));
  /* Nobody to take the listener: refused before anything is loaded.  */
  assert_true (seccomp_program_install (p, NULL, &err) < 0);
  envrun_error_free (&err);

  assert_non_null (mkdtemp (dir));
  snprintf (addr.sun_path, sizeof addr.sun_path, "%s/agent.sock", dir);
  lsock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_int_equal (bind (lsock, (struct sockaddr *)&addr, sizeof addr), 0);
  assert_int_equal (listen (lsock, 1), 0);
  pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    _exit (notify_child (p, addr.sun_path));
  agent_answer (lsock, pid);
  assert_int_equal (waitpid (pid, &status, 0), pid);
  assert_exit_zero (status);
  close (lsock);
  unlink (addr.sun_path);
  rmdir (dir);
  seccomp_program_free (p);
}

static void
test_notify_send_errors (void **state)
{
  envrun_error_t err = NULL;

  assert_true (seccomp_notify_send (NULL, 0, NULL, "{}", 1, &err) < 0);
  assert_non_null (strstr (envrun_error_message (err), "listenerPath"));
  assert_true (
      seccomp_notify_send ("/nonexistent/agent.sock", 0, NULL, "{}", 1, &err)
      < 0);
  assert_non_null (
      strstr (envrun_error_message (err), "/nonexistent/agent.sock"));
  envrun_error_free (&err);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_errno_rule),
    cmocka_unit_test (test_errno_defaults_to_eperm),
    cmocka_unit_test (test_trace_without_tracer),
    cmocka_unit_test (test_default_errno),
    cmocka_unit_test (test_kill_actions),
    cmocka_unit_test (test_log_and_allow),
    cmocka_unit_test (test_unknown_syscall_skipped),
    cmocka_unit_test (test_rule_same_as_default_skipped),
    cmocka_unit_test (test_every_operator),
    cmocka_unit_test (test_conditions_on_different_args_are_anded),
    cmocka_unit_test (test_conditions_on_same_arg_are_ored),
    cmocka_unit_test (test_bad_profiles_refused),
    cmocka_unit_test (test_architectures_and_flags),
    cmocka_unit_test (test_notify_sends_listener_to_agent),
    cmocka_unit_test (test_notify_send_errors),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
