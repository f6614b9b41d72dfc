/* The cgroup layer's pure logic (runc's conversions, io.max lines, path
   resolution, the v2 device program) and the v2 code path against a fake
   cgroupfs tree in a temporary directory.  */
#include "config-host.h"

#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

static void
test_cpu_shares_to_weight_matches_runc (void **state)
{
  assert_int_equal (cgroup_cpu_shares_to_weight (0), 0);
  assert_int_equal (cgroup_cpu_shares_to_weight (1), 1);
  assert_int_equal (cgroup_cpu_shares_to_weight (2), 1);
  assert_int_equal (cgroup_cpu_shares_to_weight (3), 2);
  assert_int_equal (cgroup_cpu_shares_to_weight (512), 59);
  assert_int_equal (cgroup_cpu_shares_to_weight (1024), 100);
  assert_int_equal (cgroup_cpu_shares_to_weight (2048), 174);
  assert_int_equal (cgroup_cpu_shares_to_weight (262143), 10000);
  assert_int_equal (cgroup_cpu_shares_to_weight (262144), 10000);
  assert_int_equal (cgroup_cpu_shares_to_weight (1000000), 10000);
}

static void
test_blkio_weight_to_io_weight_matches_runc (void **state)
{
  assert_int_equal (cgroup_blkio_weight_to_io_weight (0), 0);
  assert_int_equal (cgroup_blkio_weight_to_io_weight (10), 1);
  assert_int_equal (cgroup_blkio_weight_to_io_weight (500), 4950);
  assert_int_equal (cgroup_blkio_weight_to_io_weight (1000), 10000);
}

static void
test_swap_to_v2 (void **state)
{
  envrun_error_t err = NULL;
  int64_t v = 42;

  assert_int_equal (cgroup_swap_to_v2 (0, -1, &v, &err), 0);
  assert_int_equal (v, -1);
  assert_int_equal (cgroup_swap_to_v2 (0, 100, &v, &err), 0);
  assert_int_equal (v, 0);
  assert_int_equal (cgroup_swap_to_v2 (-1, 100, &v, &err), 0);
  assert_int_equal (v, -1);
  assert_int_equal (cgroup_swap_to_v2 (300, 100, &v, &err), 0);
  assert_int_equal (v, 200);
  assert_true (cgroup_swap_to_v2 (50, 100, &v, &err) < 0);
  assert_non_null (strstr (err->msg, ">="));
  envrun_error_free (&err);
  assert_true (cgroup_swap_to_v2 (300, 0, &v, &err) < 0);
  envrun_error_free (&err);
}

static void
test_io_max_lines_group_per_device (void **state)
{
  struct envrun_throttle_device rbps[] = { { 8, 0, 1048576 } };
  struct envrun_throttle_device wiops[] = { { 8, 0, 100 } };
  struct envrun_throttle_device riops[] = { { 253, 1, 50 } };
  struct envrun_resources r = { 0 };
  envrun_error_t err = NULL;
  char **lines = NULL;

  r.blkio_throttle_read_bps = rbps;
  r.n_blkio_throttle_read_bps = 1;
  r.blkio_throttle_write_iops = wiops;
  r.n_blkio_throttle_write_iops = 1;
  r.blkio_throttle_read_iops = riops;
  r.n_blkio_throttle_read_iops = 1;
  assert_int_equal (cgroup_io_max_lines (&r, &lines, &err), 0);
  assert_string_equal (lines[0], "8:0 rbps=1048576 wiops=100");
  assert_string_equal (lines[1], "253:1 riops=50");
  assert_null (lines[2]);
  for (char **p = lines; *p; p++)
    free (*p);
  free (lines);
}

static void
expect_path (const char *in, const char *id, const char *own, const char *want)
{
  envrun_error_t err = NULL;
  char *out = NULL;

  assert_int_equal (cgroup_resolve_path (in, id, own, &out, &err), 0);
  assert_string_equal (out, want);
  free (out);
}

static void
expect_bad_path (const char *in, const char *id)
{
  envrun_error_t err = NULL;
  char *out = NULL;

  assert_true (cgroup_resolve_path (in, id, "/", &out, &err) < 0);
  assert_null (out);
  assert_int_equal (err->status, EINVAL);
  envrun_error_free (&err);
}

static void
test_resolve_path_like_runc (void **state)
{
  expect_path (NULL, "c1", "/x", "/envrun/c1");
  expect_path ("", "c1", "/x", "/envrun/c1");
  expect_path ("/a/b", "c1", "/x", "/a/b");
  expect_path ("a/b", "c1", "/user.slice/x", "/user.slice/x/a/b");
  expect_path ("a", "c1", "/", "/a");
  expect_path ("//a/./b/", "c1", "/", "/a/b");
  expect_bad_path ("/a/../../b", "c1");
  expect_bad_path ("/", "c1");
  expect_bad_path ("/a;b", "c1");
  expect_bad_path (NULL, "../x");
  expect_bad_path (NULL, "a/b");
}

/* ---- device program ---- */

static struct bpf_insn *
build (const struct cgroup_device_rule *rules, size_t n, size_t *len)
{
  envrun_error_t err = NULL;
  void *insns = NULL;

  assert_int_equal (cgroup_bpf_build (rules, n, &insns, len, &err), 0);
  return insns;
}

/* Load into the kernel when we may (root): the verifier is the judge of
   what the builder emits.  */
static void
verifier_accepts (const struct bpf_insn *p, size_t n)
{
  union bpf_attr attr;
  int fd;

  if (geteuid () != 0)
    return;
  memset (&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t)(uintptr_t)p;
  attr.insn_cnt = (uint32_t)n;
  attr.license = (uint64_t)(uintptr_t) "GPL";
  fd = (int)syscall (SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr);
  assert_true (fd >= 0);
  close (fd);
}

static void
test_bpf_deny_all_is_prologue_and_return_0 (void **state)
{
  struct cgroup_device_rule deny = { false, 'a', -1, -1, CGROUP_DEV_ALL };
  size_t n = 0;
  struct bpf_insn *p = build (&deny, 1, &n);

  assert_int_equal (n, 8);
  assert_int_equal (p[6].code, BPF_ALU64 | BPF_MOV | BPF_K);
  assert_int_equal (p[6].dst_reg, BPF_REG_0);
  assert_int_equal (p[6].imm, 0);
  assert_int_equal (p[7].code, BPF_JMP | BPF_EXIT);
  verifier_accepts (p, n);
  free (p);
}

static void
test_bpf_allow_one_device_jumps_to_next_rule (void **state)
{
  struct cgroup_device_rule rules[] = {
    { false, 'a', -1, -1, CGROUP_DEV_ALL },
    { true, 'c', 1, 3, CGROUP_DEV_READ | CGROUP_DEV_WRITE },
  };
  size_t n = 0;
  struct bpf_insn *p = build (rules, 2, &n);

  assert_int_equal (n, 16);
  /* type test: not a char device -> skip the 8-instruction block */
  assert_int_equal (p[6].code, BPF_JMP | BPF_JNE | BPF_K);
  assert_int_equal (p[6].dst_reg, BPF_REG_2);
  assert_int_equal (p[6].imm, BPF_DEVCG_DEV_CHAR);
  assert_int_equal (6 + 1 + p[6].off, 14);
  /* access: requested & rw must equal requested */
  assert_int_equal (p[8].imm, CGROUP_DEV_READ | CGROUP_DEV_WRITE);
  assert_int_equal (p[9].code, BPF_JMP | BPF_JNE | BPF_X);
  assert_int_equal (9 + 1 + p[9].off, 14);
  assert_int_equal (p[10].dst_reg, BPF_REG_4);
  assert_int_equal (p[10].imm, 1);
  assert_int_equal (10 + 1 + p[10].off, 14);
  assert_int_equal (p[11].dst_reg, BPF_REG_5);
  assert_int_equal (p[11].imm, 3);
  assert_int_equal (11 + 1 + p[11].off, 14);
  assert_int_equal (p[12].imm, 1); /* allow */
  assert_int_equal (p[14].imm, 0); /* the deny-all block */
  verifier_accepts (p, n);
  free (p);
}

static void
test_bpf_later_allow_all_hides_earlier_rules (void **state)
{
  struct cgroup_device_rule rules[] = {
    { false, 'c', 1, 3, CGROUP_DEV_ALL },
    { true, 'a', -1, -1, CGROUP_DEV_ALL },
  };
  size_t n = 0;
  struct bpf_insn *p = build (rules, 2, &n);

  /* unreachable code would be refused by the verifier: nothing after */
  assert_int_equal (n, 8);
  assert_int_equal (p[6].imm, 1);
  verifier_accepts (p, n);
  free (p);
}

static void
test_effective_rules_keep_required_devices_after_deny_all (void **state)
{
  struct envrun_device_rule cfg_rules[] = {
    { false, 'a', -1, -1, (char *)"rwm" },
    { false, 'c', 1, 3, (char *)"rwm" },
  };
  struct envrun_resources r = { 0 };
  struct cgroup_device_rule *eff = NULL;
  envrun_error_t err = NULL;
  size_t n = 0, len = 0;
  struct bpf_insn *p;

  r.devices = cfg_rules;
  r.n_devices = 2;
  assert_int_equal (cgroup_device_rules (NULL, &r, &eff, &n, &err), 0);
  assert_true (n > 3);
  assert_false (eff[0].allow);
  assert_int_equal (eff[0].type, 'a');
  /* the last rule is the configuration's deny of 1:3 */
  assert_false (eff[n - 1].allow);
  assert_int_equal (eff[n - 1].major, 1);
  assert_int_equal (eff[n - 1].minor, 3);
  p = build (eff, n, &len);
  verifier_accepts (p, len);
  free (p);
  free (eff);

  cfg_rules[0].access = (char *)"rwx";
  assert_true (cgroup_device_rules (NULL, &r, &eff, &n, &err) < 0);
  assert_non_null (strstr (err->msg, "devices[0].access"));
  envrun_error_free (&err);
}

/* ---- fake cgroup2 tree ---- */

struct fake
{
  char root[64];
  char leaf[128];
};

static void
put (const char *dir, const char *file, const char *text)
{
  char path[256];
  FILE *f;

  snprintf (path, sizeof path, "%s/%s", dir, file);
  f = fopen (path, "we");
  assert_non_null (f);
  fputs (text, f);
  fclose (f);
}

static char *
get (const char *dir, const char *file)
{
  envrun_error_t err = NULL;
  char *s = NULL;

  assert_int_equal (cgroup_read (dir, file, &s, &err), 0);
  return s;
}

static void
expect_file (const char *dir, const char *file, const char *want)
{
  char *s = get (dir, file);

  assert_string_equal (s, want);
  free (s);
}

static const char *const leaf_files[]
    = { "memory.max",    "memory.swap.max", "memory.low", "cpu.weight",
        "cpu.max",       "pids.max",        "io.max",     "cgroup.procs",
        "cgroup.freeze", "cgroup.events",   NULL };

static int
fake_setup (void **state)
{
  struct fake *f = calloc (1, sizeof *f);
  char envrun[128];

  strcpy (f->root, "/tmp/envrun-cgtest-XXXXXX");
  assert_non_null (mkdtemp (f->root));
  snprintf (envrun, sizeof envrun, "%s/envrun", f->root);
  snprintf (f->leaf, sizeof f->leaf, "%s/envrun/t1", f->root);
  assert_int_equal (mkdir (envrun, 0755), 0);
  assert_int_equal (mkdir (f->leaf, 0755), 0);
  put (f->root, "cgroup.controllers", "cpuset cpu io memory pids\n");
  put (f->root, "cgroup.subtree_control", "cpu\n");
  put (envrun, "cgroup.controllers", "cpuset cpu io memory pids\n");
  put (envrun, "cgroup.subtree_control", "");
  for (size_t i = 0; leaf_files[i]; i++)
    put (f->leaf, leaf_files[i], "");
  cgroup_set_root_for_tests (f->root, CGROUP_MODE_UNIFIED);
  *state = f;
  return 0;
}

static int
fake_teardown (void **state)
{
  struct fake *f = *state;
  char cmd[128];

  cgroup_set_root_for_tests (NULL, CGROUP_MODE_UNIFIED);
  assert_int_equal (strncmp (f->root, "/tmp/envrun-cgtest-", 19), 0);
  snprintf (cmd, sizeof cmd, "rm -rf '%s'", f->root);
  assert_int_equal (system (cmd), 0);
  free (f);
  return 0;
}

static void
test_fake_v2_create_apply_destroy (void **state)
{
  struct fake *f = *state;
  struct envrun_throttle_device rbps[] = { { 8, 0, 1048576 } };
  struct envrun_resources r = { 0 };
  struct envrun_linux lx = { 0 };
  struct envrun_config cfg = { 0 };
  struct cgroup_handle *h = NULL;
  envrun_error_t err = NULL;
  bool frozen = false;
  char envrun[128];

  r.has_memory_limit = true, r.memory_limit = 256 << 20;
  r.has_memory_swap = true, r.memory_swap = 512 << 20;
  r.has_cpu_shares = true, r.cpu_shares = 1024;
  r.has_cpu_quota = true, r.cpu_quota = 20000;
  r.has_cpu_period = true, r.cpu_period = 100000;
  r.has_pids_limit = true, r.pids_limit = -1;
  r.blkio_throttle_read_bps = rbps, r.n_blkio_throttle_read_bps = 1;
  lx.resources = &r;
  lx.cgroups_path = (char *)"/envrun/t1";
  cfg.linux_ = &lx;
  assert_int_equal (cgroup_create (&cfg, "t1", &h, &err), 0);
  assert_string_equal (cgroup_path (h), "/envrun/t1");
  assert_true (cgroup_clone_fd (h) >= 0);
  expect_file (f->leaf, "memory.max", "268435456");
  expect_file (f->leaf, "memory.swap.max", "268435456");
  expect_file (f->leaf, "cpu.weight", "100");
  expect_file (f->leaf, "cpu.max", "20000 100000");
  expect_file (f->leaf, "pids.max", "max");
  expect_file (f->leaf, "io.max", "8:0 rbps=1048576");
  /* controllers enabled in every ancestor, not repeated where on */
  expect_file (f->root, "cgroup.subtree_control", "+cpuset +io +memory +pids");
  snprintf (envrun, sizeof envrun, "%s/envrun", f->root);
  expect_file (envrun, "cgroup.subtree_control",
               "+cpuset +cpu +io +memory +pids");

  r = (struct envrun_resources){ 0 };
  r.has_memory_limit = true, r.memory_limit = -1;
  assert_int_equal (cgroup_update (h, &r, &err), 0);
  expect_file (f->leaf, "memory.max", "max");
  expect_file (f->leaf, "memory.swap.max", "max");

  put (f->leaf, "cgroup.events", "populated 0\nfrozen 1\n");
  assert_int_equal (cgroup_freeze (h, true, &err), 0);
  expect_file (f->leaf, "cgroup.freeze", "1");
  assert_int_equal (cgroup_is_frozen (h, &frozen, &err), 0);
  assert_true (frozen);

  /* the kernel removes a cgroup's files with it; a fake tree cannot */
  for (size_t i = 0; leaf_files[i]; i++)
    {
      char p[256];

      snprintf (p, sizeof p, "%s/%s", f->leaf, leaf_files[i]);
      unlink (p);
    }
  assert_int_equal (cgroup_destroy (h, &err), 0);
  assert_int_equal (access (f->leaf, F_OK), -1);
  assert_int_equal (access (envrun, F_OK), 0); /* only the leaf goes */
  cgroup_handle_free (h);
}

static void
test_fake_v2_failed_create_removes_what_it_made (void **state)
{
  struct fake *f = *state;
  struct envrun_resources r = { 0 };
  struct envrun_kv kv = { (char *)"memory.high", (char *)"1G" };
  struct envrun_linux lx = { 0 };
  struct envrun_config cfg = { 0 };
  struct cgroup_handle *h = NULL;
  envrun_error_t err = NULL;
  char made[192];

  /* the new leaf has no memory.high file: the write fails */
  r.unified = &kv, r.n_unified = 1;
  lx.resources = &r;
  lx.cgroups_path = (char *)"/envrun/new/deeper";
  cfg.linux_ = &lx;
  assert_true (cgroup_create (&cfg, "x", &h, &err) < 0);
  assert_null (h);
  assert_non_null (strstr (err->msg, "memory.high"));
  envrun_error_free (&err);
  snprintf (made, sizeof made, "%s/envrun/new", f->root);
  assert_int_equal (access (made, F_OK), -1);
  assert_int_equal (access (f->leaf, F_OK), 0); /* not ours: untouched */

  kv.key = (char *)"../escape";
  assert_true (cgroup_create (&cfg, "x", &h, &err) < 0);
  assert_int_equal (err->status, EINVAL);
  envrun_error_free (&err);
  kv.key = (char *)"cgroup.procs";
  assert_true (cgroup_create (&cfg, "x", &h, &err) < 0);
  envrun_error_free (&err);
  assert_int_equal (access (made, F_OK), -1);
}

static void
test_fake_v2_refuses_cgroup_with_processes (void **state)
{
  struct fake *f = *state;
  struct envrun_linux lx = { 0 };
  struct envrun_config cfg = { 0 };
  struct cgroup_handle *h = NULL;
  envrun_error_t err = NULL;

  put (f->leaf, "cgroup.procs", "1234\n");
  lx.cgroups_path = (char *)"/envrun/t1";
  cfg.linux_ = &lx;
  assert_true (cgroup_create (&cfg, "t1", &h, &err) < 0);
  assert_int_equal (err->status, EBUSY);
  envrun_error_free (&err);
  assert_int_equal (access (f->leaf, F_OK), 0);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_cpu_shares_to_weight_matches_runc),
    cmocka_unit_test (test_blkio_weight_to_io_weight_matches_runc),
    cmocka_unit_test (test_swap_to_v2),
    cmocka_unit_test (test_io_max_lines_group_per_device),
    cmocka_unit_test (test_resolve_path_like_runc),
    cmocka_unit_test (test_bpf_deny_all_is_prologue_and_return_0),
    cmocka_unit_test (test_bpf_allow_one_device_jumps_to_next_rule),
    cmocka_unit_test (test_bpf_later_allow_all_hides_earlier_rules),
    cmocka_unit_test (
        test_effective_rules_keep_required_devices_after_deny_all),
#define F(fn) cmocka_unit_test_setup_teardown (fn, fake_setup, fake_teardown)
    F (test_fake_v2_create_apply_destroy),
    F (test_fake_v2_failed_create_removes_what_it_made),
    F (test_fake_v2_refuses_cgroup_with_processes),
#undef F
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
