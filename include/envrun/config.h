/* envrun — the OCI runtime configuration (config.json, Runtime Spec 1.2) as
 * a C structure.  Parsed by envrun_config_parse_*(), built in memory by the
 * environment face, consumed by the container-setup core.
 *
 * Conventions: strings are owned, NUL-terminated, NULL when absent.  Arrays
 * come as (pointer, count).  `has_*` flags tell an explicit value from an
 * absent one where the spec gives absence its own meaning.
 */
#ifndef ENVRUN_CONFIG_H
#define ENVRUN_CONFIG_H

#include <envrun/error.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct envrun_kv
{
  char *key;
  char *value;
};

struct envrun_mount
{
  char *destination;
  char *source;
  char *type;
  char **options;  /* NULL-terminated, as written */
  size_t n_options;
  /* Derived from options by the parser: */
  unsigned long flags;        /* MS_* set (MS_BIND, MS_RDONLY, MS_NOSUID…) */
  unsigned long clear_flags;  /* MS_* explicitly cleared (rw, suid, dev…) */
  unsigned long propagation;  /* MS_PRIVATE/MS_SLAVE/MS_SHARED/MS_UNBINDABLE
                                 (| MS_REC), 0 when not given */
  char *data;                 /* unrecognised options joined with ',' for
                                 mount(2)'s data, or NULL */
  bool recursive_ro;          /* "rro": MOUNT_ATTR_RDONLY recursively */
  bool idmap;                 /* "idmap"/"ridmap" */
  struct envrun_id_mapping *uid_mappings;
  size_t n_uid_mappings;
  struct envrun_id_mapping *gid_mappings;
  size_t n_gid_mappings;
};

struct envrun_rlimit
{
  int resource; /* RLIMIT_* */
  char *type;   /* as written, e.g. "RLIMIT_NOFILE" */
  uint64_t soft;
  uint64_t hard;
};

/* Capability sets as lists of numeric CAP_* values.  */
struct envrun_capabilities
{
  int *bounding;
  size_t n_bounding;
  int *effective;
  size_t n_effective;
  int *inheritable;
  size_t n_inheritable;
  int *permitted;
  size_t n_permitted;
  int *ambient;
  size_t n_ambient;
  bool has_bounding, has_effective, has_inheritable, has_permitted,
      has_ambient;
};

struct envrun_user
{
  uid_t uid;
  gid_t gid;
  gid_t *additional_gids;
  size_t n_additional_gids;
  bool has_umask;
  mode_t umask;
  char *username; /* ignored on Linux, kept for round trips */
};

struct envrun_scheduler
{
  char *policy; /* "SCHED_OTHER", … */
  int policy_value;
  int nice;
  int priority;
  char **flags;
  size_t n_flags;
  uint64_t runtime, deadline, period;
};

struct envrun_io_priority
{
  char *klass; /* "IOPRIO_CLASS_RT" | "IOPRIO_CLASS_BE" | "IOPRIO_CLASS_IDLE" */
  int class_value;
  int priority;
};

struct envrun_process
{
  bool terminal;
  bool has_console_size;
  unsigned int console_height, console_width;
  struct envrun_user user;
  char **args; /* NULL-terminated */
  size_t n_args;
  char *command_line; /* Windows only; ignored */
  char **env;         /* NULL-terminated, "K=V" */
  size_t n_env;
  char *cwd;
  struct envrun_capabilities *capabilities; /* NULL when absent */
  struct envrun_rlimit *rlimits;
  size_t n_rlimits;
  bool no_new_privileges;
  char *apparmor_profile;
  bool has_oom_score_adj;
  int oom_score_adj;
  char *selinux_label;
  struct envrun_scheduler *scheduler;    /* NULL when absent */
  struct envrun_io_priority *io_priority; /* NULL when absent */
};

enum envrun_ns_type
{
  ENVRUN_NS_PID,
  ENVRUN_NS_NETWORK,
  ENVRUN_NS_MOUNT,
  ENVRUN_NS_IPC,
  ENVRUN_NS_UTS,
  ENVRUN_NS_USER,
  ENVRUN_NS_CGROUP,
  ENVRUN_NS_TIME,
  ENVRUN_NS_COUNT
};

struct envrun_namespace
{
  enum envrun_ns_type type;
  int clone_flag; /* CLONE_NEW* */
  char *path;     /* join this one instead of creating; NULL: create */
};

struct envrun_id_mapping
{
  uint32_t container_id;
  uint32_t host_id;
  uint32_t size;
};

struct envrun_device
{
  char *path;
  char type; /* 'c', 'b', 'u' or 'p' */
  int64_t major, minor;
  bool has_file_mode;
  mode_t file_mode;
  bool has_uid, has_gid;
  uid_t uid;
  gid_t gid;
};

struct envrun_device_rule
{
  bool allow;
  char type;            /* 'a', 'c' or 'b'; 'a' when absent */
  int64_t major, minor; /* -1 for wildcard */
  char *access;         /* subset of "rwm"; NULL means "rwm" */
};

struct envrun_throttle_device
{
  int64_t major, minor;
  uint64_t rate;
};

struct envrun_weight_device
{
  int64_t major, minor;
  bool has_weight, has_leaf_weight;
  uint16_t weight, leaf_weight;
};

struct envrun_hugepage_limit
{
  char *page_size; /* "2MB", "1GB" */
  uint64_t limit;
};

struct envrun_net_priority
{
  char *name;
  uint32_t priority;
};

/* linux.resources.  Every scalar has a has_* flag: absent means "leave the
   kernel's value alone".  memory values are signed: -1 means unlimited.  */
struct envrun_resources
{
  struct envrun_device_rule *devices;
  size_t n_devices;

  bool has_memory_limit, has_memory_reservation, has_memory_swap,
      has_memory_kernel, has_memory_kernel_tcp, has_memory_swappiness,
      has_disable_oom_killer, has_use_hierarchy, has_check_before_update;
  int64_t memory_limit, memory_reservation, memory_swap, memory_kernel,
      memory_kernel_tcp;
  uint64_t memory_swappiness;
  bool disable_oom_killer, use_hierarchy, check_before_update;

  bool has_cpu_shares, has_cpu_quota, has_cpu_burst, has_cpu_period,
      has_cpu_realtime_runtime, has_cpu_realtime_period, has_cpu_idle;
  uint64_t cpu_shares, cpu_period, cpu_realtime_period, cpu_burst;
  int64_t cpu_quota, cpu_realtime_runtime, cpu_idle;
  char *cpu_cpus, *cpu_mems;

  bool has_pids_limit;
  int64_t pids_limit;

  bool has_blkio_weight, has_blkio_leaf_weight;
  uint16_t blkio_weight, blkio_leaf_weight;
  struct envrun_weight_device *blkio_weight_devices;
  size_t n_blkio_weight_devices;
  struct envrun_throttle_device *blkio_throttle_read_bps;
  size_t n_blkio_throttle_read_bps;
  struct envrun_throttle_device *blkio_throttle_write_bps;
  size_t n_blkio_throttle_write_bps;
  struct envrun_throttle_device *blkio_throttle_read_iops;
  size_t n_blkio_throttle_read_iops;
  struct envrun_throttle_device *blkio_throttle_write_iops;
  size_t n_blkio_throttle_write_iops;

  struct envrun_hugepage_limit *hugepage_limits;
  size_t n_hugepage_limits;

  bool has_network_class_id;
  uint32_t network_class_id;
  struct envrun_net_priority *network_priorities;
  size_t n_network_priorities;

  bool has_rdma; /* parsed for validity only */

  struct envrun_kv *unified; /* cgroup v2 key/values */
  size_t n_unified;
};

enum envrun_seccomp_op
{
  ENVRUN_SCMP_NE,
  ENVRUN_SCMP_LT,
  ENVRUN_SCMP_LE,
  ENVRUN_SCMP_EQ,
  ENVRUN_SCMP_GE,
  ENVRUN_SCMP_GT,
  ENVRUN_SCMP_MASKED_EQ
};

struct envrun_seccomp_arg
{
  unsigned int index;
  uint64_t value;
  uint64_t value_two;
  enum envrun_seccomp_op op;
};

struct envrun_seccomp_rule
{
  char **names;
  size_t n_names;
  char *action; /* "SCMP_ACT_…", validated */
  bool has_errno_ret;
  unsigned int errno_ret;
  struct envrun_seccomp_arg *args;
  size_t n_args;
};

struct envrun_seccomp
{
  char *default_action;
  bool has_default_errno_ret;
  unsigned int default_errno_ret;
  char **architectures; /* "SCMP_ARCH_…" */
  size_t n_architectures;
  char **flags; /* "SECCOMP_FILTER_FLAG_…" */
  size_t n_flags;
  char *listener_path;
  char *listener_metadata;
  struct envrun_seccomp_rule *syscalls;
  size_t n_syscalls;
};

struct envrun_time_offset
{
  char *clock; /* "monotonic" or "boottime" */
  int64_t secs;
  uint32_t nanosecs;
};

struct envrun_personality
{
  char *domain; /* "LINUX" or "LINUX32" */
  char **flags;
  size_t n_flags;
};

struct envrun_linux
{
  struct envrun_namespace *namespaces;
  size_t n_namespaces;
  struct envrun_id_mapping *uid_mappings;
  size_t n_uid_mappings;
  struct envrun_id_mapping *gid_mappings;
  size_t n_gid_mappings;
  struct envrun_device *devices;
  size_t n_devices;
  char *cgroups_path;
  struct envrun_resources *resources; /* NULL when absent */
  char *rootfs_propagation;           /* as written; NULL when absent */
  unsigned long rootfs_propagation_flags; /* MS_* (| MS_REC), 0 if absent */
  struct envrun_seccomp *seccomp;         /* NULL when absent */
  struct envrun_kv *sysctl;
  size_t n_sysctl;
  char **masked_paths;
  size_t n_masked_paths;
  char **readonly_paths;
  size_t n_readonly_paths;
  char *mount_label;
  struct envrun_personality *personality; /* NULL when absent */
  struct envrun_time_offset *time_offsets;
  size_t n_time_offsets;
  char *intel_rdt_clos_id; /* parsed, refused when set (unsupported) */
};

struct envrun_hook
{
  char *path;
  char **args; /* NULL-terminated, may be NULL */
  size_t n_args;
  char **env;  /* NULL-terminated, may be NULL */
  size_t n_env;
  bool has_timeout;
  int timeout; /* seconds, > 0 */
};

enum envrun_hook_kind
{
  ENVRUN_HOOK_PRESTART,
  ENVRUN_HOOK_CREATE_RUNTIME,
  ENVRUN_HOOK_CREATE_CONTAINER,
  ENVRUN_HOOK_START_CONTAINER,
  ENVRUN_HOOK_POSTSTART,
  ENVRUN_HOOK_POSTSTOP,
  ENVRUN_HOOK_KIND_COUNT
};

struct envrun_hooks
{
  struct envrun_hook *hooks[ENVRUN_HOOK_KIND_COUNT];
  size_t n_hooks[ENVRUN_HOOK_KIND_COUNT];
};

struct envrun_config
{
  char *oci_version;
  char *root_path; /* root.path, relative to the bundle or absolute */
  bool root_readonly;
  struct envrun_mount *mounts;
  size_t n_mounts;
  struct envrun_process *process; /* NULL when absent (create refuses) */
  char *hostname;
  char *domainname;
  struct envrun_kv *annotations;
  size_t n_annotations;
  struct envrun_hooks hooks;
  struct envrun_linux *linux_; /* NULL when absent */
};

/* Parse config.json text.  `name` is what messages call the document
   ("config.json", "/path/to/bundle/config.json").  On failure returns < 0,
   sets *err to "<name>: <.field.path>: <what is wrong>" and leaves *out
   untouched.  */
int envrun_config_parse_string (const char *text, size_t len,
                                const char *name,
                                struct envrun_config **out,
                                envrun_error_t *err);
int envrun_config_parse_file (const char *path, struct envrun_config **out,
                              envrun_error_t *err);

/* Parse a process.json (the `process` object alone, as `exec --process`
   takes it).  */
int envrun_process_parse_string (const char *text, size_t len,
                                 const char *name,
                                 struct envrun_process **out,
                                 envrun_error_t *err);

/* Parse a linux.resources object alone (as `update --resources` takes).  */
int envrun_resources_parse_string (const char *text, size_t len,
                                   const char *name,
                                   struct envrun_resources **out,
                                   envrun_error_t *err);

/* Parse a linux.seccomp object alone (the default profile shipped in
   data/, a user's override file).  */
int envrun_seccomp_parse_string (const char *text, size_t len,
                                 const char *name,
                                 struct envrun_seccomp **out,
                                 envrun_error_t *err);

void envrun_config_free (struct envrun_config *c);
void envrun_seccomp_free (struct envrun_seccomp *s);
void envrun_process_free (struct envrun_process *p);
void envrun_resources_free (struct envrun_resources *r);

/* Look up a namespace entry by type, NULL when the config has none.  */
const struct envrun_namespace *
envrun_config_namespace (const struct envrun_config *c,
                         enum envrun_ns_type type);

/* Names used in config.json for each namespace type ("pid", "network"…).  */
const char *envrun_ns_type_name (enum envrun_ns_type t);

#endif
