/* The cgroup layer on this machine's real cgroup filesystems (hybrid on the
   development hosts, but the tests hold on v1 and v2 hosts too).  Every
   test works under its own uniquely named cgroup and removes it; tests
   skip when not root.  */
#include "config-host.h"

#include "cgroup.h"
#include "json.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

struct fixture
{
  char path[128];
  struct envrun_config cfg;
  struct envrun_linux lx;
  struct envrun_resources res;
  struct cgroup_handle *h;
  pid_t child;
  int go[2]; /* the child blocks reading go[0] */
};

static int
setup (void **state)
{
  static int seq;
  struct fixture *f = calloc (1, sizeof *f);

  if (geteuid () != 0 || access ("/sys/fs/cgroup", F_OK) != 0)
    {
      free (f);
      skip ();
    }
  snprintf (f->path, sizeof f->path, "/envrun-unit-%d-%d", (int)getpid (),
            seq++);
  f->lx.cgroups_path = f->path;
  f->cfg.linux_ = &f->lx;
  f->child = -1;
  f->go[0] = f->go[1] = -1;
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  struct fixture *f = *state;

  if (f->h)
    {
      envrun_error_t err = NULL;

      cgroup_destroy (f->h, &err);
      envrun_error_free (&err);
      cgroup_handle_free (f->h);
    }
  if (f->child > 0)
    {
      kill (f->child, SIGKILL);
      waitpid (f->child, NULL, 0);
    }
  if (f->go[0] >= 0)
    close (f->go[0]);
  if (f->go[1] >= 0)
    close (f->go[1]);
  free (f);
  return 0;
}

/* A child parked on a pipe; with `dev` it first tries to open dev once
   released and exits 0 when that open failed with EPERM.  */
static void
spawn (struct fixture *f, const char *dev)
{
  assert_int_equal (pipe2 (f->go, O_CLOEXEC), 0);
  f->child = fork ();
  assert_true (f->child >= 0);
  if (f->child == 0)
    {
      char c;
      int fd;

      close (f->go[1]);
      if (read (f->go[0], &c, 1) < 0 || dev == NULL)
        _exit (3);
      fd = open (dev, O_RDONLY);
      _exit (fd < 0 && errno == EPERM ? 0 : 1);
    }
  close (f->go[0]);
  f->go[0] = -1;
}

static bool
dir_exists (const char *dir)
{
  struct stat st;

  return stat (dir, &st) == 0 && S_ISDIR (st.st_mode);
}

static void
test_create_join_destroy_removes_every_hierarchy (void **state)
{
  struct fixture *f = *state;
  envrun_error_t err = NULL;
  pid_t *pids = NULL;
  size_t n = 0;
  int status;

  assert_int_equal (cgroup_create (&f->cfg, "unit", &f->h, &err), 0);
  assert_string_equal (cgroup_path (f->h), f->path);
  for (size_t i = 0; i < f->h->n_hier; i++)
    assert_true (dir_exists (f->h->hier[i].dir));
  spawn (f, NULL);
  assert_int_equal (cgroup_enter (f->h, f->child, &err), 0);
  assert_int_equal (cgroup_pids (f->h, &pids, &n, &err), 0);
  assert_int_equal (n, 1);
  assert_int_equal (pids[0], f->child);
  free (pids);

  assert_int_equal (cgroup_destroy (f->h, &err), 0);
  assert_int_equal (waitpid (f->child, &status, 0), f->child);
  f->child = -1;
  assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
  for (size_t i = 0; i < f->h->n_hier; i++)
    assert_false (dir_exists (f->h->hier[i].dir));
  cgroup_handle_free (f->h);
  f->h = NULL;
}

static void
test_create_refuses_cgroup_with_processes (void **state)
{
  struct fixture *f = *state;
  struct cgroup_handle *h2 = NULL;
  envrun_error_t err = NULL;

  assert_int_equal (cgroup_create (&f->cfg, "unit", &f->h, &err), 0);
  spawn (f, NULL);
  assert_int_equal (cgroup_enter (f->h, f->child, &err), 0);
  assert_true (cgroup_create (&f->cfg, "unit", &h2, &err) < 0);
  assert_int_equal (err->status, EBUSY);
  assert_null (h2);
  envrun_error_free (&err);
  /* the failed create removed nothing of the first */
  for (size_t i = 0; i < f->h->n_hier; i++)
    assert_true (dir_exists (f->h->hier[i].dir));
}

static void
test_open_from_path_finds_same_cgroup (void **state)
{
  struct fixture *f = *state;
  struct cgroup_handle *h2 = NULL;
  envrun_error_t err = NULL;
  pid_t *pids = NULL;
  size_t n = 0;

  assert_int_equal (cgroup_create (&f->cfg, "unit", &f->h, &err), 0);
  spawn (f, NULL);
  assert_int_equal (cgroup_enter (f->h, f->child, &err), 0);
  assert_int_equal (cgroup_open (cgroup_path (f->h), &h2, &err), 0);
  assert_int_equal (h2->n_hier, f->h->n_hier);
  assert_int_equal (cgroup_pids (h2, &pids, &n, &err), 0);
  assert_int_equal (n, 1);
  assert_int_equal (pids[0], f->child);
  free (pids);
  cgroup_handle_free (h2);
}

static void
test_freeze_and_thaw (void **state)
{
  struct fixture *f = *state;
  envrun_error_t err = NULL;
  bool frozen = true;

  assert_int_equal (cgroup_create (&f->cfg, "unit", &f->h, &err), 0);
  if (cgroup_v1 (f->h, "freezer") == NULL
      && !cgroup_file_exists (cgroup_unified (f->h)->dir, "cgroup.freeze"))
    skip ();
  spawn (f, NULL);
  assert_int_equal (cgroup_enter (f->h, f->child, &err), 0);
  assert_int_equal (cgroup_is_frozen (f->h, &frozen, &err), 0);
  assert_false (frozen);
  assert_int_equal (cgroup_freeze (f->h, true, &err), 0);
  assert_int_equal (cgroup_is_frozen (f->h, &frozen, &err), 0);
  assert_true (frozen);
  /* destroy must thaw to kill: leave it frozen for teardown to prove it */
  assert_int_equal (cgroup_freeze (f->h, false, &err), 0);
  assert_int_equal (cgroup_is_frozen (f->h, &frozen, &err), 0);
  assert_false (frozen);
  assert_int_equal (cgroup_freeze (f->h, true, &err), 0);
}

static void
test_destroy_kills_frozen_container (void **state)
{
  struct fixture *f = *state;
  envrun_error_t err = NULL;
  int status;

  assert_int_equal (cgroup_create (&f->cfg, "unit", &f->h, &err), 0);
  spawn (f, NULL);
  assert_int_equal (cgroup_enter (f->h, f->child, &err), 0);
  if (cgroup_freeze (f->h, true, &err) < 0)
    {
      envrun_error_free (&err);
      skip ();
    }
  assert_int_equal (cgroup_destroy (f->h, &err), 0);
  assert_int_equal (waitpid (f->child, &status, 0), f->child);
  f->child = -1;
  assert_true (WIFSIGNALED (status));
}

static void
test_memory_and_pids_limits_written (void **state)
{
  struct fixture *f = *state;
  envrun_error_t err = NULL;
  const struct cgroup_hierarchy *mem, *pids;
  uint64_t v = 0;

  f->res.has_memory_limit = true;
  f->res.memory_limit = 64 << 20;
  f->res.has_pids_limit = true;
  f->res.pids_limit = 17;
  f->res.has_cpu_shares = true;
  f->res.cpu_shares = 512;
  f->lx.resources = &f->res;
  assert_int_equal (cgroup_create (&f->cfg, "unit", &f->h, &err), 0);
  mem = cgroup_v1 (f->h, "memory");
  pids = cgroup_v1 (f->h, "pids");
  assert_int_equal (
      cgroup_read_u64 (mem ? mem->dir : cgroup_unified (f->h)->dir,
                       mem ? "memory.limit_in_bytes" : "memory.max", &v, &err),
      0);
  assert_int_equal (v, 64 << 20);
  assert_int_equal (
      cgroup_read_u64 (pids ? pids->dir : cgroup_unified (f->h)->dir,
                       "pids.max", &v, &err),
      0);
  assert_int_equal (v, 17);

  /* update lowers it */
  f->res.memory_limit = 32 << 20;
  f->res.has_pids_limit = false;
  f->res.has_cpu_shares = false;
  assert_int_equal (cgroup_update (f->h, &f->res, &err), 0);
  assert_int_equal (
      cgroup_read_u64 (mem ? mem->dir : cgroup_unified (f->h)->dir,
                       mem ? "memory.limit_in_bytes" : "memory.max", &v, &err),
      0);
  assert_int_equal (v, 32 << 20);
}

static void
test_device_rule_denies_dev_null (void **state)
{
  struct fixture *f = *state;
  struct envrun_device_rule rules[2] = {
    { false, 'a', -1, -1, NULL },
    { false, 'c', 1, 3, (char *)"rwm" },
  };
  envrun_error_t err = NULL;
  int status;

  f->res.devices = rules;
  f->res.n_devices = 2;
  f->lx.resources = &f->res;
  assert_int_equal (cgroup_create (&f->cfg, "unit", &f->h, &err), 0);
  spawn (f, "/dev/null");
  assert_int_equal (cgroup_enter (f->h, f->child, &err), 0);
  assert_int_equal (write (f->go[1], "x", 1), 1);
  assert_int_equal (waitpid (f->child, &status, 0), f->child);
  f->child = -1;
  assert_true (WIFEXITED (status));
  assert_int_equal (WEXITSTATUS (status), 0);
}

/* The v2 device program, attached to a cgroup2 directory of its own even
   on a hybrid host (where the container's rules go to v1).  */
static void
test_bpf_program_denies_dev_null_on_cgroup2 (void **state)
{
  struct fixture *f = *state;
  struct envrun_device_rule rules[1] = { { false, 'c', 1, 3, (char *)"r" } };
  struct cgroup_device_rule *eff = NULL;
  envrun_error_t err = NULL;
  const struct cgroup_hierarchy *u;
  size_t n = 0;
  int dirfd, status;

  f->res.devices = rules;
  f->res.n_devices = 1;
  assert_int_equal (cgroup_create (&f->cfg, "unit", &f->h, &err), 0);
  u = cgroup_unified (f->h);
  if (u == NULL)
    skip ();
  dirfd = open (u->dir, O_DIRECTORY | O_CLOEXEC);
  assert_true (dirfd >= 0);
  assert_int_equal (cgroup_device_rules (NULL, &f->res, &eff, &n, &err), 0);
  assert_int_equal (cgroup_bpf_attach (dirfd, eff, n, &err), 0);
  /* attaching again replaces, not stacks, the program */
  assert_int_equal (cgroup_bpf_attach (dirfd, eff, n, &err), 0);
  free (eff);
  close (dirfd);
  spawn (f, "/dev/null");
  assert_int_equal (cgroup_enter (f->h, f->child, &err), 0);
  assert_int_equal (write (f->go[1], "x", 1), 1);
  assert_int_equal (waitpid (f->child, &status, 0), f->child);
  f->child = -1;
  assert_true (WIFEXITED (status));
  assert_int_equal (WEXITSTATUS (status), 0);
}

/* A child that allocates past its memory limit is OOM-killed, the watch
   reports it, and the stats are JSON with the usage in them.  */
static void
test_oom_kill_is_reported_and_stats_are_json (void **state)
{
  struct fixture *f = *state;
  struct cgroup_oom_watch *w = NULL;
  envrun_error_t err = NULL;
  struct pollfd pfd;
  struct json_gen *g;
  struct json_doc *doc = NULL;
  uint64_t n_oom = 0;
  char *text = NULL;
  size_t len = 0;
  int status;

  f->res.has_memory_limit = true;
  f->res.memory_limit = 16 << 20;
  f->res.has_memory_swap = true;
  f->res.memory_swap = 16 << 20;
  f->lx.resources = &f->res;
  assert_int_equal (cgroup_create (&f->cfg, "unit", &f->h, &err), 0);
  assert_int_equal (cgroup_oom_watch_open (f->h, &w, &err), 0);
  assert_int_equal (pipe2 (f->go, O_CLOEXEC), 0);
  f->child = fork ();
  assert_true (f->child >= 0);
  if (f->child == 0)
    {
      char c;

      if (read (f->go[0], &c, 1) != 1)
        _exit (3);
      for (int i = 0; i < 64; i++)
        {
          char *p = mmap (NULL, 1 << 20, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
          if (p == MAP_FAILED)
            _exit (2);
          memset (p, 1, 1 << 20);
        }
      _exit (0);
    }
  assert_int_equal (cgroup_enter (f->h, f->child, &err), 0);
  assert_int_equal (write (f->go[1], "x", 1), 1);
  assert_int_equal (waitpid (f->child, &status, 0), f->child);
  f->child = -1;
  assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
  pfd.fd = cgroup_oom_watch_fd (w);
  pfd.events = POLLIN;
  assert_int_equal (poll (&pfd, 1, 5000), 1);
  assert_int_equal (cgroup_oom_watch_read (w, &n_oom, &err), 0);
  assert_true (n_oom >= 1);
  cgroup_oom_watch_free (w);

  g = json_gen_new (false);
  assert_int_equal (cgroup_stats_json (f->h, g, &err), 0);
  assert_int_equal (json_gen_finish (g, &text, &len, &err), 0);
  json_gen_free (g);
  assert_int_equal (json_parse (text, len, "stats", &doc, &err), 0);
  {
    json_node *mem = json_object_get (json_doc_root (doc), "memory");
    json_node *usage = mem ? json_object_get (mem, "usage") : NULL;
    json_node *cpu = json_object_get (json_doc_root (doc), "cpu");
    uint64_t v = 0;

    assert_non_null (usage);
    assert_non_null (cpu);
    assert_int_equal (json_get_uint64 (doc, json_object_get (usage, "limit"),
                                       ".memory.usage.limit", &v, &err),
                      0);
    assert_int_equal (v, 16 << 20);
    assert_int_equal (json_get_uint64 (doc, json_object_get (usage, "max"),
                                       ".memory.usage.max", &v, &err),
                      0);
    assert_true (v > (8 << 20));
  }
  json_doc_free (doc);
  free (text);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown (fn, setup, teardown)
    T (test_create_join_destroy_removes_every_hierarchy),
    T (test_create_refuses_cgroup_with_processes),
    T (test_open_from_path_finds_same_cgroup),
    T (test_freeze_and_thaw),
    T (test_destroy_kills_frozen_container),
    T (test_memory_and_pids_limits_written),
    T (test_device_rule_denies_dev_null),
    T (test_bpf_program_denies_dev_null_on_cgroup2),
    T (test_oom_kill_is_reported_and_stats_are_json),
#undef T
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
