/* The OCI config parser: a full config lands in the right fields, and each
   class of bad input is refused with the exact "<name>: <.path>: <problem>"
   message the CLI will print.  */
#include "config-host.h"

/* cmocka.h needs these first.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <envrun/config.h>

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/resource.h>

#ifndef TEST_DATA_DIR
#error "TEST_DATA_DIR must point at tests/unit/data"
#endif

#define OCI "\"ociVersion\": \"1.2.0\""
#define PROC_OK "\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\"}"

static struct envrun_config *
parse_ok (const char *json)
{
  envrun_error_t err = NULL;
  struct envrun_config *c = NULL;
  int ret = envrun_config_parse_string (json, strlen (json), "config.json", &c,
                                        &err);

  if (ret < 0)
    fail_msg ("unexpected error: %s", envrun_error_message (err));
  assert_null (err);
  assert_non_null (c);
  return c;
}

static void
expect_error (const char *json, const char *msg)
{
  envrun_error_t err = NULL;
  struct envrun_config *c = (struct envrun_config *)0x1;
  int ret = envrun_config_parse_string (json, strlen (json), "config.json", &c,
                                        &err);

  assert_true (ret < 0);
  /* out-parameter untouched on failure */
  assert_ptr_equal (c, (struct envrun_config *)0x1);
  assert_non_null (err);
  assert_string_equal (envrun_error_message (err), msg);
  envrun_error_free (&err);
}

static struct envrun_config *
parse_data_file (const char *file)
{
  envrun_error_t err = NULL;
  struct envrun_config *c = NULL;
  char path[4096];

  snprintf (path, sizeof path, "%s/%s", TEST_DATA_DIR, file);
  if (envrun_config_parse_file (path, &c, &err) < 0)
    fail_msg ("%s: %s", file, envrun_error_message (err));
  return c;
}

static void
runc_spec_default_config_parses (void **state)
{
  struct envrun_config *c = parse_data_file ("runc-spec.json");

  assert_string_equal (c->oci_version, "1.0.2-dev");
  assert_string_equal (c->root_path, "rootfs");
  assert_true (c->root_readonly);
  assert_string_equal (c->hostname, "runc");
  assert_true (c->process->terminal);
  assert_int_equal (c->process->n_args, 1);
  assert_string_equal (c->process->args[0], "sh");
  assert_null (c->process->args[1]);
  assert_int_equal (c->process->n_env, 2);
  assert_null (c->process->env[2]);
  assert_int_equal (c->process->capabilities->n_bounding, 3);
  assert_int_equal (c->process->capabilities->bounding[1], CAP_KILL);
  assert_false (c->process->capabilities->has_inheritable);
  assert_true (c->process->capabilities->has_ambient);
  assert_int_equal (c->n_mounts, 7);
  assert_int_equal (c->mounts[1].flags, MS_NOSUID | MS_STRICTATIME);
  assert_string_equal (c->mounts[1].data, "mode=755,size=65536k");
  assert_string_equal (c->mounts[2].data,
                       "newinstance,ptmxmode=0666,mode=0620,gid=5");
  assert_int_equal (c->mounts[5].flags,
                    MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY);
  assert_null (c->mounts[5].data);
  assert_int_equal (c->linux_->n_namespaces, 6);
  assert_non_null (envrun_config_namespace (c, ENVRUN_NS_CGROUP));
  assert_null (envrun_config_namespace (c, ENVRUN_NS_USER));
  assert_int_equal (c->linux_->resources->n_devices, 1);
  assert_false (c->linux_->resources->devices[0].allow);
  assert_int_equal (c->linux_->resources->devices[0].type, 'a');
  assert_int_equal (c->linux_->resources->devices[0].major, -1);
  assert_int_equal (c->linux_->n_masked_paths, 10);
  assert_int_equal (c->linux_->n_readonly_paths, 5);
  assert_null (c->linux_->seccomp);
  envrun_config_free (c);
}

static void
full_config_process_fields (void **state)
{
  struct envrun_config *c = parse_data_file ("full.json");
  struct envrun_process *p = c->process;

  assert_string_equal (c->domainname, "example.org");
  assert_int_equal (c->n_annotations, 2);
  assert_string_equal (c->annotations[0].key, "org.example.key");
  assert_string_equal (c->annotations[1].value, "");
  assert_true (p->has_console_size);
  assert_int_equal (p->console_height, 25);
  assert_int_equal (p->console_width, 80);
  assert_int_equal (p->user.uid, 1000);
  assert_int_equal (p->user.gid, 1001);
  assert_true (p->user.has_umask);
  assert_int_equal (p->user.umask, 022);
  assert_int_equal (p->user.n_additional_gids, 2);
  assert_int_equal (p->user.additional_gids[1], 4294967295u);
  assert_string_equal (p->cwd, "/home/me");
  assert_int_equal (p->capabilities->effective[0], CAP_CHOWN);
  assert_true (p->capabilities->has_inheritable);
  assert_int_equal (p->capabilities->n_inheritable, 0);
  assert_int_equal (p->capabilities->permitted[1], CAP_NET_RAW);
  assert_int_equal (p->n_rlimits, 2);
  assert_int_equal (p->rlimits[0].resource, RLIMIT_NOFILE);
  assert_int_equal (p->rlimits[0].hard, 4096);
  assert_int_equal (p->rlimits[1].resource, RLIMIT_CORE);
  assert_true (p->rlimits[1].hard == UINT64_MAX);
  assert_true (p->no_new_privileges);
  assert_true (p->has_oom_score_adj);
  assert_int_equal (p->oom_score_adj, -1000);
  assert_int_equal (p->scheduler->policy_value, SCHED_BATCH);
  assert_int_equal (p->scheduler->nice, -5);
  assert_int_equal (p->scheduler->period, 30);
  assert_int_equal (p->io_priority->class_value, 2);
  assert_int_equal (p->io_priority->priority, 4);
  envrun_config_free (c);
}

static void
full_config_mounts_and_hooks (void **state)
{
  struct envrun_config *c = parse_data_file ("full.json");
  struct envrun_mount *m = c->mounts;

  assert_int_equal (m[0].flags, 0);
  assert_null (m[0].options);
  assert_int_equal (m[1].flags,
                    MS_BIND | MS_REC | MS_RDONLY | MS_NOSUID | MS_NODEV);
  assert_int_equal (m[1].propagation, MS_PRIVATE | MS_REC);
  assert_int_equal (m[2].flags, MS_NOEXEC | MS_RELATIME);
  assert_int_equal (m[2].clear_flags, MS_RDONLY);
  assert_string_equal (m[2].data, "mode=1777,size=64m");
  assert_int_equal (m[3].flags, MS_BIND);
  assert_int_equal (m[3].clear_flags, MS_NOSUID | MS_NODEV | MS_NOEXEC);
  assert_true (m[3].idmap);
  assert_true (m[3].recursive_ro);
  assert_int_equal (m[3].n_uid_mappings, 1);
  assert_int_equal (m[3].uid_mappings[0].host_id, 100000);
  assert_int_equal (m[3].gid_mappings[0].size, 65536);

  assert_int_equal (c->hooks.n_hooks[ENVRUN_HOOK_PRESTART], 1);
  assert_false (c->hooks.hooks[ENVRUN_HOOK_PRESTART][0].has_timeout);
  assert_int_equal (c->hooks.n_hooks[ENVRUN_HOOK_CREATE_RUNTIME], 1);
  assert_int_equal (c->hooks.hooks[ENVRUN_HOOK_CREATE_RUNTIME][0].timeout, 5);
  assert_string_equal (c->hooks.hooks[ENVRUN_HOOK_CREATE_RUNTIME][0].args[1],
                       "create");
  assert_int_equal (c->hooks.n_hooks[ENVRUN_HOOK_CREATE_CONTAINER], 0);
  assert_int_equal (c->hooks.n_hooks[ENVRUN_HOOK_POSTSTOP], 2);
  assert_string_equal (c->hooks.hooks[ENVRUN_HOOK_POSTSTOP][1].path,
                       "/usr/bin/two");
  envrun_config_free (c);
}

static void
full_config_linux_fields (void **state)
{
  struct envrun_config *c = parse_data_file ("full.json");
  struct envrun_linux *l = c->linux_;
  const struct envrun_namespace *ns;

  assert_int_equal (l->n_namespaces, 8);
  ns = envrun_config_namespace (c, ENVRUN_NS_NETWORK);
  assert_int_equal (ns->clone_flag, CLONE_NEWNET);
  assert_string_equal (ns->path, "/proc/1/ns/net");
  ns = envrun_config_namespace (c, ENVRUN_NS_TIME);
  assert_null (ns->path); /* "" means create */
  assert_int_equal (l->n_uid_mappings, 2);
  assert_int_equal (l->uid_mappings[1].container_id, 1);
  assert_int_equal (l->uid_mappings[1].size, 65535);
  assert_int_equal (l->n_time_offsets, 2);
  assert_string_equal (l->time_offsets[0].clock, "monotonic");
  assert_int_equal (l->time_offsets[0].secs, -10);
  assert_int_equal (l->time_offsets[0].nanosecs, 5);
  assert_int_equal (l->n_devices, 2);
  assert_int_equal (l->devices[0].type, 'c');
  assert_int_equal (l->devices[0].minor, 229);
  assert_true (l->devices[0].has_file_mode);
  assert_int_equal (l->devices[0].file_mode, 0666);
  assert_false (l->devices[1].has_uid);
  assert_string_equal (l->cgroups_path, "/envrun/box");
  assert_string_equal (l->rootfs_propagation, "rslave");
  assert_int_equal (l->rootfs_propagation_flags, MS_SLAVE | MS_REC);
  assert_int_equal (l->n_sysctl, 1);
  assert_string_equal (l->sysctl[0].key, "net.ipv4.ip_forward");
  assert_string_equal (l->readonly_paths[1], "/proc/bus");
  assert_string_equal (l->personality->domain, "LINUX32");
  assert_int_equal (l->personality->n_flags, 0);
  assert_string_equal (l->intel_rdt_clos_id, "guaranteed_group");
  assert_string_equal (l->mount_label,
                       "system_u:object_r:container_file_t:s0");
  envrun_config_free (c);
}

static void
full_config_resources (void **state)
{
  struct envrun_config *c = parse_data_file ("full.json");
  struct envrun_resources *r = c->linux_->resources;

  assert_int_equal (r->n_devices, 2);
  assert_true (r->devices[1].allow);
  assert_int_equal (r->devices[1].type, 'c');
  assert_string_equal (r->devices[1].access, "rw");
  assert_true (r->has_memory_limit);
  assert_int_equal (r->memory_limit, 536870912);
  assert_true (r->has_memory_swap);
  assert_int_equal (r->memory_swap, -1);
  assert_false (r->has_memory_kernel);
  assert_true (r->has_memory_swappiness);
  assert_int_equal (r->memory_swappiness, 0);
  assert_true (r->disable_oom_killer);
  assert_int_equal (r->cpu_shares, 1024);
  assert_int_equal (r->cpu_quota, 100000);
  assert_false (r->has_cpu_burst);
  assert_string_equal (r->cpu_cpus, "0-1,3");
  assert_true (r->has_cpu_idle);
  assert_true (r->has_pids_limit);
  assert_int_equal (r->pids_limit, 512);
  assert_int_equal (r->blkio_weight, 500);
  assert_int_equal (r->blkio_leaf_weight, 300);
  assert_int_equal (r->n_blkio_weight_devices, 1);
  assert_true (r->blkio_weight_devices[0].has_weight);
  assert_false (r->blkio_weight_devices[0].has_leaf_weight);
  assert_int_equal (r->blkio_throttle_read_bps[0].rate, 1048576);
  assert_int_equal (r->n_blkio_throttle_write_bps, 0);
  assert_int_equal (r->blkio_throttle_write_iops[0].minor, 16);
  assert_string_equal (r->hugepage_limits[0].page_size, "2MB");
  assert_int_equal (r->network_class_id, 1048577);
  assert_int_equal (r->network_priorities[0].priority, 500);
  assert_true (r->has_rdma);
  assert_int_equal (r->n_unified, 2);
  assert_string_equal (r->unified[1].value, "default 100");
  envrun_config_free (c);
}

static void
full_config_seccomp (void **state)
{
  struct envrun_config *c = parse_data_file ("full.json");
  struct envrun_seccomp *s = c->linux_->seccomp;

  assert_string_equal (s->default_action, "SCMP_ACT_ERRNO");
  assert_true (s->has_default_errno_ret);
  assert_int_equal (s->default_errno_ret, 1);
  assert_int_equal (s->n_architectures, 2);
  assert_string_equal (s->flags[0], "SECCOMP_FILTER_FLAG_LOG");
  assert_int_equal (s->n_syscalls, 3);
  assert_int_equal (s->syscalls[0].n_names, 2);
  assert_false (s->syscalls[0].has_errno_ret);
  assert_int_equal (s->syscalls[1].n_args, 2);
  assert_int_equal (s->syscalls[1].args[0].value, 4294967295u);
  assert_int_equal (s->syscalls[1].args[0].op, ENVRUN_SCMP_EQ);
  assert_int_equal (s->syscalls[1].args[1].index, 5);
  assert_int_equal (s->syscalls[1].args[1].value_two, 8);
  assert_int_equal (s->syscalls[1].args[1].op, ENVRUN_SCMP_MASKED_EQ);
  assert_int_equal (s->syscalls[2].errno_ret, 38);
  envrun_config_free (c);
}

static void
minimal_config_leaves_optional_parts_absent (void **state)
{
  struct envrun_config *c
      = parse_ok ("{" OCI ", \"process\": null, \"linux\": null, "
                  "\"future\": {\"x\": 1}}");

  assert_null (c->process);
  assert_null (c->linux_);
  assert_null (c->root_path);
  assert_int_equal (c->n_mounts, 0);
  assert_null (envrun_config_namespace (c, ENVRUN_NS_PID));
  envrun_config_free (c);
}

static void
ns_type_names_match_the_spec (void **state)
{
  assert_string_equal (envrun_ns_type_name (ENVRUN_NS_PID), "pid");
  assert_string_equal (envrun_ns_type_name (ENVRUN_NS_NETWORK), "network");
  assert_string_equal (envrun_ns_type_name (ENVRUN_NS_TIME), "time");
  assert_null (envrun_ns_type_name (ENVRUN_NS_COUNT));
}

static void
truncated_document_is_refused (void **state)
{
  expect_error ("{\n  " OCI ",\n  \"process\": {\"args\": [\"sh\"",
                "config.json: line 3, column 28: parse error: premature EOF");
  expect_error ("", "config.json: line 1, column 1: parse error: premature "
                    "EOF");
}

static void
wrong_types_are_refused_at_every_depth (void **state)
{
  expect_error ("[]", "config.json: expected an object");
  expect_error ("{\"ociVersion\": 1}",
                "config.json: .ociVersion: expected a string");
  expect_error ("{\"root\": {\"path\": \"r\"}}",
                "config.json: .ociVersion: is required");
  expect_error ("{" OCI ", \"root\": {}}",
                "config.json: .root.path: is required");
  expect_error ("{" OCI ", \"process\": {\"user\": {\"uid\": \"0\"}, "
                "\"args\": [\"sh\"], \"cwd\": \"/\"}}",
                "config.json: .process.user.uid: expected an unsigned "
                "integer");
  expect_error ("{" OCI ", \"linux\": {\"uidMappings\": [{\"containerID\": 0,"
                " \"hostID\": 1000, \"size\": \"1\"}]}}",
                "config.json: .linux.uidMappings[0].size: expected an "
                "unsigned integer");
  expect_error ("{" OCI ", \"linux\": {\"uidMappings\": [{\"containerID\": 0,"
                " \"hostID\": -1, \"size\": 1}]}}",
                "config.json: .linux.uidMappings[0].hostID: expected an "
                "unsigned integer");
  expect_error ("{" OCI ", \"linux\": {\"resources\": {\"memory\": "
                "{\"limit\": 1.5}}}}",
                "config.json: .linux.resources.memory.limit: expected an "
                "integer");
  expect_error ("{" OCI ", \"mounts\": [{\"destination\": \"/a\", "
                "\"options\": [\"ro\", 7]}]}",
                "config.json: .mounts[0].options[1]: expected a string");
  expect_error ("{" OCI ", \"process\": {\"terminal\": \"yes\"}}",
                "config.json: .process.terminal: expected a boolean");
  expect_error ("{" OCI ", \"annotations\": {\"a\": 1}}",
                "config.json: .annotations.a: expected a string");
  expect_error ("{" OCI ", \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\","
                " \"user\": {\"uid\": 4294967296}}}",
                "config.json: .process.user.uid: must be at most "
                "4294967295");
}

static void
unknown_namespace_is_refused (void **state)
{
  expect_error ("{" OCI ", \"linux\": {\"namespaces\": [{\"type\": \"pid\"},"
                " {\"type\": \"mount\"}, {\"type\": \"foo\"}]}}",
                "config.json: .linux.namespaces[2].type: unknown namespace "
                "type \"foo\"");
}

static void
duplicate_namespace_is_refused (void **state)
{
  expect_error ("{" OCI ", \"linux\": {\"namespaces\": [{\"type\": \"pid\"},"
                " {\"type\": \"pid\", \"path\": \"/proc/1/ns/pid\"}]}}",
                "config.json: .linux.namespaces[1].type: duplicate "
                "namespace type \"pid\"");
  expect_error ("{" OCI ", \"linux\": {\"namespaces\": [{\"type\": \"net\","
                " \"path\": \"x\"}]}}",
                "config.json: .linux.namespaces[0].type: unknown namespace "
                "type \"net\"");
  expect_error ("{" OCI ", \"linux\": {\"namespaces\": [{\"type\": "
                "\"network\", \"path\": \"proc/1/ns/net\"}]}}",
                "config.json: .linux.namespaces[0].path: must be an "
                "absolute path");
}

static void
bad_id_mappings_are_refused (void **state)
{
  expect_error ("{" OCI ", \"linux\": {\"uidMappings\": ["
                "{\"containerID\": 0, \"hostID\": 1000, \"size\": 10},"
                "{\"containerID\": 5, \"hostID\": 5000, \"size\": 10}]}}",
                "config.json: .linux.uidMappings[1]: container ID range "
                "overlaps .linux.uidMappings[0]");
  expect_error ("{" OCI ", \"linux\": {\"gidMappings\": ["
                "{\"containerID\": 0, \"hostID\": 1000, \"size\": 10},"
                "{\"containerID\": 10, \"hostID\": 1009, \"size\": 1}]}}",
                "config.json: .linux.gidMappings[1]: host ID range overlaps "
                ".linux.gidMappings[0]");
  expect_error ("{" OCI ", \"linux\": {\"uidMappings\": ["
                "{\"containerID\": 0, \"hostID\": 1000, \"size\": 0}]}}",
                "config.json: .linux.uidMappings[0].size: must be greater "
                "than zero");
  expect_error ("{" OCI ", \"linux\": {\"uidMappings\": ["
                "{\"containerID\": 4294967295, \"hostID\": 0, \"size\": 2}]}}",
                "config.json: .linux.uidMappings[0].size: range goes past "
                "the 32-bit ID space");
  expect_error ("{" OCI ", \"mounts\": [{\"destination\": \"/m\", "
                "\"uidMappings\": [{\"containerID\": 0, \"hostID\": 0}]}]}",
                "config.json: .mounts[0].uidMappings[0].size: is required");
}

static void
relative_mount_destination_is_refused (void **state)
{
  expect_error ("{" OCI ", \"mounts\": [{\"destination\": \"/proc\"}, "
                "{\"destination\": \"data\", \"source\": \"/srv\"}]}",
                "config.json: .mounts[1].destination: must be an absolute "
                "path");
  expect_error ("{" OCI ", \"mounts\": [{\"source\": \"/srv\"}]}",
                "config.json: .mounts[0].destination: is required");
  expect_error ("{" OCI ", \"mounts\": [{\"destination\": \"/a\", "
                "\"options\": [\"rnosuid\"]}]}",
                "config.json: .mounts[0].options[0]: recursive mount option "
                "\"rnosuid\" is not supported");
}

static void
empty_args_are_refused (void **state)
{
  expect_error ("{" OCI ", \"process\": {\"args\": [], \"cwd\": \"/\"}}",
                "config.json: .process.args: must not be empty");
  expect_error ("{" OCI ", \"process\": {\"cwd\": \"/\"}}",
                "config.json: .process.args: must not be empty");
}

static void
relative_or_missing_cwd_is_refused (void **state)
{
  expect_error ("{" OCI ", \"process\": {\"args\": [\"sh\"], \"cwd\": "
                "\"home\"}}",
                "config.json: .process.cwd: must be an absolute path");
  expect_error ("{" OCI ", \"process\": {\"args\": [\"sh\"]}}",
                "config.json: .process.cwd: is required");
  expect_error ("{" OCI ", \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", "
                "\"env\": [\"PATH=/bin\", \"JUNK\"]}}",
                "config.json: .process.env[1]: expected NAME=VALUE, got "
                "\"JUNK\"");
}

static void
bad_rlimits_are_refused (void **state)
{
  expect_error ("{" OCI ", \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", "
                "\"rlimits\": [{\"type\": \"RLIMIT_BOGUS\", \"soft\": 1, "
                "\"hard\": 1}]}}",
                "config.json: .process.rlimits[0].type: unknown rlimit "
                "\"RLIMIT_BOGUS\"");
  expect_error ("{" OCI ", \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", "
                "\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 10, "
                "\"hard\": 5}]}}",
                "config.json: .process.rlimits[0].soft: must not be greater "
                "than hard (5)");
  expect_error ("{" OCI ", \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", "
                "\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1, "
                "\"hard\": 5}, {\"type\": \"RLIMIT_NOFILE\", \"soft\": 1, "
                "\"hard\": 5}]}}",
                "config.json: .process.rlimits[1].type: duplicate rlimit "
                "\"RLIMIT_NOFILE\"");
  expect_error ("{" OCI ", \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", "
                "\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1}]}}",
                "config.json: .process.rlimits[0].hard: is required");
}

static void
bad_capability_is_refused (void **state)
{
  expect_error ("{" OCI ", \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", "
                "\"capabilities\": {\"bounding\": [\"CAP_CHOWN\", "
                "\"CAP_FLY\"]}}}",
                "config.json: .process.capabilities.bounding[1]: unknown "
                "capability \"CAP_FLY\"");
  /* libcap alone would take these; other runtimes do not.  */
  expect_error ("{" OCI ", \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", "
                "\"capabilities\": {\"ambient\": [\"chown\"]}}}",
                "config.json: .process.capabilities.ambient[0]: unknown "
                "capability \"chown\"");
  expect_error ("{" OCI ", \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", "
                "\"capabilities\": {\"effective\": [\"CAP_0\"]}}}",
                "config.json: .process.capabilities.effective[0]: unknown "
                "capability \"CAP_0\"");
}

static void
out_of_range_process_values_are_refused (void **state)
{
  expect_error ("{" OCI ", \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", "
                "\"oomScoreAdj\": 1001}}",
                "config.json: .process.oomScoreAdj: must be between -1000 "
                "and 1000");
  expect_error ("{" OCI ", \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", "
                "\"scheduler\": {\"policy\": \"SCHED_FAST\"}}}",
                "config.json: .process.scheduler.policy: unknown scheduler "
                "policy \"SCHED_FAST\"");
  expect_error ("{" OCI ", \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", "
                "\"ioPriority\": {\"class\": \"IOPRIO_CLASS_NONE\"}}}",
                "config.json: .process.ioPriority.class: unknown I/O "
                "priority class \"IOPRIO_CLASS_NONE\"");
  expect_error ("{" OCI ", \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", "
                "\"user\": {\"umask\": 4096}}}",
                "config.json: .process.user.umask: must be at most 0777");
}

static void
bad_seccomp_action_is_refused (void **state)
{
  expect_error ("{" OCI ", \"linux\": {\"seccomp\": {\"defaultAction\": "
                "\"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
                "\"action\": \"SCMP_ACT_PERMIT\"}]}}}",
                "config.json: .linux.seccomp.syscalls[0].action: unknown "
                "seccomp action \"SCMP_ACT_PERMIT\"");
  expect_error ("{" OCI ", \"linux\": {\"seccomp\": {\"defaultAction\": "
                "\"ALLOW\"}}}",
                "config.json: .linux.seccomp.defaultAction: unknown seccomp "
                "action \"ALLOW\"");
  expect_error ("{" OCI ", \"linux\": {\"seccomp\": {\"defaultAction\": "
                "\"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
                "\"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, "
                "\"value\": 1, \"op\": \"SCMP_CMP_LIKE\"}]}]}}}",
                "config.json: .linux.seccomp.syscalls[0].args[0].op: unknown "
                "seccomp operator \"SCMP_CMP_LIKE\"");
  expect_error (
      "{" OCI ", \"linux\": {\"seccomp\": {\"defaultAction\": "
      "\"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_Z80\"]}}}",
      "config.json: .linux.seccomp.architectures[0]: unknown "
      "architecture \"SCMP_ARCH_Z80\"");
  expect_error ("{" OCI ", \"linux\": {\"seccomp\": {\"defaultAction\": "
                "\"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
                "\"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 6, "
                "\"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]}}}",
                "config.json: .linux.seccomp.syscalls[0].args[0].index: must "
                "be at most 5");
  expect_error ("{" OCI ", \"linux\": {\"seccomp\": {\"defaultAction\": "
                "\"SCMP_ACT_NOTIFY\"}}}",
                "config.json: .linux.seccomp.defaultAction: SCMP_ACT_NOTIFY "
                "cannot be the default");
}

static void
ten_megabyte_args_array_is_refused (void **state)
{
  size_t size = 10u * 1024 * 1024, used;
  char *json = malloc (size + 64);
  envrun_error_t err = NULL;
  struct envrun_config *c = NULL;

  assert_non_null (json);
  used = (size_t)sprintf (json, "{" OCI ", \"process\": {\"args\": [");
  while (used < size)
    used += (size_t)sprintf (json + used, "\"aaaaaaaaaaaaaaaa\",");
  used += (size_t)sprintf (json + used, "\"a\"], \"cwd\": \"/\"}}");
  assert_true (envrun_config_parse_string (json, used, "config.json", &c, &err)
               < 0);
  assert_null (c);
  assert_non_null (
      strstr (envrun_error_message (err), "config.json: document is "));
  assert_non_null (
      strstr (envrun_error_message (err), "bytes, the limit is 8388608"));
  envrun_error_free (&err);
  free (json);
}

static void
deep_nesting_is_refused_without_recursion (void **state)
{
  size_t depth = 100000;
  char *json = malloc (2 * depth + 64);
  size_t used = (size_t)sprintf (json, "{" OCI ", \"x\": ");

  assert_non_null (json);
  memset (json + used, '[', depth);
  used += depth;
  memset (json + used, ']', depth);
  used += depth;
  json[used++] = '}';
  json[used] = '\0';
  expect_error (json, "config.json: nested more than 100 levels deep");
  free (json);
}

static void
hook_timeout_zero_is_refused (void **state)
{
  expect_error ("{" OCI ", \"hooks\": {\"poststart\": [{\"path\": "
                "\"/bin/true\", \"timeout\": 0}]}}",
                "config.json: .hooks.poststart[0].timeout: must be greater "
                "than zero");
  expect_error ("{" OCI ", \"hooks\": {\"createContainer\": [{\"path\": "
                "\"true\"}]}}",
                "config.json: .hooks.createContainer[0].path: must be an "
                "absolute path");
}

static void
bad_linux_values_are_refused (void **state)
{
  expect_error ("{" OCI ", \"linux\": {\"devices\": [{\"path\": \"/dev/x\", "
                "\"type\": \"x\", \"major\": 1, \"minor\": 1}]}}",
                "config.json: .linux.devices[0].type: must be \"c\", \"b\", "
                "\"u\" or \"p\", not \"x\"");
  expect_error ("{" OCI ", \"linux\": {\"devices\": [{\"path\": \"/dev/x\", "
                "\"type\": \"c\", \"major\": 1}]}}",
                "config.json: .linux.devices[0].minor: is required");
  expect_error ("{" OCI ", \"linux\": {\"rootfsPropagation\": \"sideways\"}}",
                "config.json: .linux.rootfsPropagation: unknown propagation "
                "\"sideways\"");
  expect_error ("{" OCI ", \"linux\": {\"resources\": {\"unified\": "
                "{\"../../release_agent\": \"x\"}}}}",
                "config.json: .linux.resources.unified.../../release_agent: "
                "not a cgroup file name");
  expect_error ("{" OCI ", \"linux\": {\"resources\": {\"cpu\": {\"cpus\": "
                "\"3-1\"}}}}",
                "config.json: .linux.resources.cpu.cpus: \"3-1\" is not a "
                "list like \"0-3,7\"");
  expect_error ("{" OCI ", \"linux\": {\"resources\": {\"devices\": "
                "[{\"allow\": true, \"access\": \"rwx\"}]}}}",
                "config.json: .linux.resources.devices[0].access: must be "
                "made of \"r\", \"w\" and \"m\"");
  expect_error ("{" OCI ", \"linux\": {\"timeOffsets\": {\"realtime\": "
                "{\"secs\": 1}}}}",
                "config.json: .linux.timeOffsets.realtime: unknown clock "
                "(expected \"monotonic\" or \"boottime\")");
  expect_error ("{" OCI ", \"linux\": {\"personality\": {\"domain\": "
                "\"LINUX64\"}}}",
                "config.json: .linux.personality.domain: must be \"LINUX\" "
                "or \"LINUX32\", not \"LINUX64\"");
  expect_error ("{" OCI ", \"linux\": {\"maskedPaths\": [\"proc/kcore\"]}}",
                "config.json: .linux.maskedPaths[0]: must be an absolute "
                "path");
}

static void
missing_file_names_the_path (void **state)
{
  envrun_error_t err = NULL;
  struct envrun_config *c = NULL;

  assert_true (
      envrun_config_parse_file ("no/such/bundle/config.json", &c, &err) < 0);
  assert_null (c);
  assert_string_equal (envrun_error_message (err),
                       "no/such/bundle/config.json: No such file or "
                       "directory");
  envrun_error_free (&err);
}

static void
file_errors_name_the_path_as_given (void **state)
{
  envrun_error_t err = NULL;
  struct envrun_config *c = NULL;

  assert_true (
      envrun_config_parse_file (TEST_DATA_DIR "/bad-uid.json", &c, &err) < 0);
  assert_string_equal (envrun_error_message (err),
                       TEST_DATA_DIR "/bad-uid.json: .linux.uidMappings[0]"
                                     ".size: expected an unsigned integer");
  envrun_error_free (&err);
}

static void
process_json_parses_alone (void **state)
{
  const char *ok = "{\"args\": [\"ls\", \"-l\"], \"cwd\": \"/tmp\", "
                   "\"user\": {\"uid\": 5}}";
  const char *bad = "{\"args\": [\"ls\"], \"cwd\": \"tmp\"}";
  struct envrun_process *p = NULL;
  envrun_error_t err = NULL;

  assert_int_equal (
      envrun_process_parse_string (ok, strlen (ok), "process.json", &p, &err),
      0);
  assert_int_equal (p->n_args, 2);
  assert_int_equal (p->user.uid, 5);
  envrun_process_free (p);
  p = NULL;
  assert_true (
      envrun_process_parse_string (bad, strlen (bad), "process.json", &p, &err)
      < 0);
  assert_null (p);
  assert_string_equal (envrun_error_message (err),
                       "process.json: .cwd: must be an absolute path");
  envrun_error_free (&err);
}

static void
resources_json_parses_alone (void **state)
{
  const char *ok = "{\"memory\": {\"limit\": 1048576}, \"pids\": "
                   "{\"limit\": -1}}";
  const char *bad = "{\"memory\": {\"swappiness\": 101}}";
  struct envrun_resources *r = NULL;
  envrun_error_t err = NULL;

  assert_int_equal (
      envrun_resources_parse_string (ok, strlen (ok), "-", &r, &err), 0);
  assert_int_equal (r->memory_limit, 1048576);
  assert_int_equal (r->pids_limit, -1);
  assert_false (r->has_cpu_shares);
  envrun_resources_free (r);
  r = NULL;
  assert_true (envrun_resources_parse_string (bad, strlen (bad), "-", &r, &err)
               < 0);
  assert_null (r);
  assert_string_equal (envrun_error_message (err),
                       "-: .memory.swappiness: must be at most 100");
  envrun_error_free (&err);
}

static void
seccomp_json_parses_alone (void **state)
{
  const char *ok = "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": "
                   "[{\"names\": [\"getpid\"], \"action\": "
                   "\"SCMP_ACT_ALLOW\"}]}";
  const char *bad = "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": "
                    "[{\"names\": [\"getpid\"], \"action\": "
                    "\"SCMP_ACT_ALLOW\", \"errnoRet\": 1}]}";
  struct envrun_seccomp *s = NULL;
  envrun_error_t err = NULL;

  assert_int_equal (
      envrun_seccomp_parse_string (ok, strlen (ok), "seccomp.json", &s, &err),
      0);
  assert_int_equal (s->n_syscalls, 1);
  envrun_seccomp_free (s);
  s = NULL;
  assert_true (
      envrun_seccomp_parse_string (bad, strlen (bad), "seccomp.json", &s, &err)
      < 0);
  assert_null (s);
  assert_string_equal (envrun_error_message (err),
                       "seccomp.json: .syscalls[0].errnoRet: only valid with "
                       "SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not SCMP_ACT_ALLOW");
  envrun_error_free (&err);
}

static void
destructors_accept_null (void **state)
{
  envrun_config_free (NULL);
  envrun_process_free (NULL);
  envrun_resources_free (NULL);
  envrun_seccomp_free (NULL);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (runc_spec_default_config_parses),
    cmocka_unit_test (full_config_process_fields),
    cmocka_unit_test (full_config_mounts_and_hooks),
    cmocka_unit_test (full_config_linux_fields),
    cmocka_unit_test (full_config_resources),
    cmocka_unit_test (full_config_seccomp),
    cmocka_unit_test (minimal_config_leaves_optional_parts_absent),
    cmocka_unit_test (ns_type_names_match_the_spec),
    cmocka_unit_test (truncated_document_is_refused),
    cmocka_unit_test (wrong_types_are_refused_at_every_depth),
    cmocka_unit_test (unknown_namespace_is_refused),
    cmocka_unit_test (duplicate_namespace_is_refused),
    cmocka_unit_test (bad_id_mappings_are_refused),
    cmocka_unit_test (relative_mount_destination_is_refused),
    cmocka_unit_test (empty_args_are_refused),
    cmocka_unit_test (relative_or_missing_cwd_is_refused),
    cmocka_unit_test (bad_rlimits_are_refused),
    cmocka_unit_test (bad_capability_is_refused),
    cmocka_unit_test (out_of_range_process_values_are_refused),
    cmocka_unit_test (bad_seccomp_action_is_refused),
    cmocka_unit_test (ten_megabyte_args_array_is_refused),
    cmocka_unit_test (deep_nesting_is_refused_without_recursion),
    cmocka_unit_test (hook_timeout_zero_is_refused),
    cmocka_unit_test (bad_linux_values_are_refused),
    cmocka_unit_test (missing_file_names_the_path),
    cmocka_unit_test (file_errors_name_the_path_as_given),
    cmocka_unit_test (process_json_parses_alone),
    cmocka_unit_test (resources_json_parses_alone),
    cmocka_unit_test (seccomp_json_parses_alone),
    cmocka_unit_test (destructors_accept_null),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
