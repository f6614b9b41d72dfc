/* The cgroup layer: one internal API over cgroup v1 (legacy), v2 (unified)
 * and hybrid hosts (v1 controllers plus a cgroup2 mount at
 * <root>/unified), behaving like runc's cgroupfs driver in each.
 *
 * A container's cgroup is named by one path (linux.cgroupsPath, resolved).
 * On v1 and hybrid hosts it exists once per mounted hierarchy; on hybrid
 * hosts also in the unified hierarchy, where every process joins too (as
 * runc does), so pids and the v2-only controllers work there.
 *
 * Library code: never prints, never exits; errors through envrun_error_t.
 * Nothing here touches a cgroup it did not create, except to join a
 * pre-existing empty one the configuration names and to enable controllers
 * in ancestors' cgroup.subtree_control on v2, which the kernel requires.
 */
#ifndef ENVRUN_CGROUP_H
#define ENVRUN_CGROUP_H

#include <envrun/config.h>
#include <envrun/error.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct json_gen;
struct cgroup_handle;

enum cgroup_mode
{
  CGROUP_MODE_UNIFIED, /* cgroup2 only */
  CGROUP_MODE_LEGACY,  /* cgroup v1 only */
  CGROUP_MODE_HYBRID   /* v1 controllers + cgroup2 at <root>/unified */
};

/* Detect the host's mode (cached after the first call).  */
int cgroup_detect_mode (enum cgroup_mode *out, envrun_error_t *err);

/* Resolve linux.cgroupsPath, create the cgroup in every hierarchy and apply
   cfg->linux_->resources.  Fails with EBUSY if the cgroup already has
   processes.  On failure removes every directory it created.  */
int cgroup_create (const struct envrun_config *cfg, const char *id,
                   struct cgroup_handle **out, envrun_error_t *err);

/* O_DIRECTORY fd of the v2 leaf for clone3 (CLONE_INTO_CGROUP), on
   unified and hybrid hosts; -1 on legacy ones.  Owned by the handle.  */
int cgroup_clone_fd (const struct cgroup_handle *h);
/* Tell the handle the child was created with CLONE_INTO_CGROUP on
   cgroup_clone_fd(), so cgroup_enter() need not write it again.  */
void cgroup_note_cloned_into (struct cgroup_handle *h);

/* Write pid into cgroup.procs of every hierarchy.  */
int cgroup_enter (struct cgroup_handle *h, pid_t pid, envrun_error_t *err);

/* The resolved path, to store in state.json.  A plain absolute path when
   every hierarchy agrees (always, for an absolute cgroupsPath); otherwise
   "<path>;<hierarchy>=<path>;..." listing the ones that differ.  */
const char *cgroup_path (const struct cgroup_handle *h);

/* Re-open from cgroup_path()'s string.  Does not check existence.  */
int cgroup_open (const char *path, struct cgroup_handle **out,
                 envrun_error_t *err);

/* SIGKILL what remains (thawing first if frozen), wait until empty and
   remove the directory (and any sub-cgroups the container made) in every
   hierarchy.  A cgroup that is already gone is fine.  Does not free h.  */
int cgroup_destroy (struct cgroup_handle *h, envrun_error_t *err);

/* Freeze/thaw (v1 freezer when mounted, else v2 cgroup.freeze); returns
   once the kernel reports the state reached.  */
int cgroup_freeze (struct cgroup_handle *h, bool frozen, envrun_error_t *err);
int cgroup_is_frozen (const struct cgroup_handle *h, bool *out,
                      envrun_error_t *err);

/* Apply resources to an existing cgroup (update, and create).  */
int cgroup_update (struct cgroup_handle *h, const struct envrun_resources *r,
                   envrun_error_t *err);

/* Host pids of every process in the cgroup, sub-cgroups included.  */
int cgroup_pids (const struct cgroup_handle *h, pid_t **pids, size_t *n,
                 envrun_error_t *err);

/* runc's `events --stats` "data" object: cpu, cpuset, memory, pids, blkio,
   hugetlb.  */
int cgroup_stats_json (const struct cgroup_handle *h, struct json_gen *g,
                       envrun_error_t *err);

/* OOM notifications: a pollable fd (v1: eventfd registered on
   memory.oom_control; v2: inotify on memory.events).  After it polls
   readable, cgroup_oom_watch_read() returns how many OOM kills happened
   since the last call (0 for spurious wake-ups).  */
struct cgroup_oom_watch;
int cgroup_oom_watch_open (const struct cgroup_handle *h,
                           struct cgroup_oom_watch **out, envrun_error_t *err);
int cgroup_oom_watch_fd (const struct cgroup_oom_watch *w);
int cgroup_oom_watch_read (struct cgroup_oom_watch *w, uint64_t *n_new,
                           envrun_error_t *err);
void cgroup_oom_watch_free (struct cgroup_oom_watch *w);

void cgroup_handle_free (struct cgroup_handle *h);

/* ---- Module internals, shared by src/lib/cgroup*.c and unit tests. ---- */

/* Tests: use `root` (a fake tree in a temporary directory) as the cgroup
   mount point and `mode` instead of detecting; NULL restores the host.
   Not thread-safe; never called by the runtime itself.  */
void cgroup_set_root_for_tests (const char *root, enum cgroup_mode mode);
const char *cgroup_root (void);
/* True while a test's fake tree is in use: plain directories cannot take
   a BPF program, so the v2 device program is built but not attached.  */
bool cgroup_is_fake_tree (void);

/* One hierarchy holding the container's cgroup.  */
struct cgroup_hierarchy
{
  char *name;  /* "memory", "cpu,cpuacct", "name=systemd"; "" for cgroup2 */
  char *mount; /* its mount point */
  char *dir;   /* the container's cgroup in it */
  bool unified;
};

struct cgroup_handle
{
  char *path; /* encoded, see cgroup_path() */
  enum cgroup_mode mode;
  struct cgroup_hierarchy *hier;
  size_t n_hier;
  int unified_fd; /* O_DIRECTORY of the v2 leaf, -1 when none */
  bool joined_via_clone;
  char **created; /* directories cgroup_create made, in order */
  size_t n_created;
};

/* Hybrid hosts: keep the unified leaf and only the v1 hierarchies a limit
   in `r` needs (create), or only those the container has (open).  */
void cgroup_hybrid_keep_needed (struct cgroup_handle *h,
                                const struct envrun_resources *r);
void cgroup_hybrid_keep_existing (struct cgroup_handle *h);

/* A handle with hierarchies and resolved dirs, nothing created yet.  */
int cgroup_handle_for_create (const char *cgroups_path, const char *id,
                              struct cgroup_handle **out, envrun_error_t *err);

/* The v2 leaf, or NULL.  The v1 hierarchy carrying `controller`, or NULL
   (also NULL on unified hosts).  */
const struct cgroup_hierarchy *cgroup_unified (const struct cgroup_handle *h);
const struct cgroup_hierarchy *cgroup_v1 (const struct cgroup_handle *h,
                                          const char *controller);

/* Resolve a cgroupsPath as runc does: absolute as is; relative under
   `own` (the runtime's own cgroup in that hierarchy); absent or empty:
   "/envrun/<id>".  Normalises "." and "//", refuses "..".  */
int cgroup_resolve_path (const char *cgroups_path, const char *id,
                         const char *own, char **out, envrun_error_t *err);

/* cgroupfs file access relative to a directory; messages name the file. */
int cgroup_write (const char *dir, const char *file, const char *value,
                  envrun_error_t *err);
int cgroup_writef (const char *dir, const char *file, envrun_error_t *err,
                   const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));
int cgroup_read (const char *dir, const char *file, char **out,
                 envrun_error_t *err);
/* "max" reads as UINT64_MAX.  */
int cgroup_read_u64 (const char *dir, const char *file, uint64_t *out,
                     envrun_error_t *err);
bool cgroup_file_exists (const char *dir, const char *file);
/* Read a flat keyed file ("key value" lines) entry; ENOENT if missing.  */
int cgroup_read_keyed (const char *dir, const char *file, const char *key,
                       uint64_t *out, envrun_error_t *err);
/* Sleep helper for the polling loops (ms).  */
void cgroup_sleep_ms (unsigned int ms);

/* Resources.  */
int cgroup_v1_apply (struct cgroup_handle *h, const struct envrun_resources *r,
                     envrun_error_t *err);
int cgroup_v2_apply (struct cgroup_handle *h, const struct envrun_resources *r,
                     envrun_error_t *err);
/* Enable in every ancestor of the v2 leaf the controllers in `wanted`
   (space-separated; NULL: all available).  */
int cgroup_v2_enable_controllers (const struct cgroup_handle *h,
                                  const char *wanted, envrun_error_t *err);

/* checkBeforeUpdate: refuse a memory limit below the usage in
   dir/usage_file (v1 memory.usage_in_bytes, v2 memory.current).  */
int cgroup_check_before_update (const char *dir, const char *usage_file,
                                const struct envrun_resources *r,
                                envrun_error_t *err);

/* runc's conversions.  */
uint64_t cgroup_cpu_shares_to_weight (uint64_t shares);
uint64_t cgroup_blkio_weight_to_io_weight (uint64_t weight);
/* memory.swap.max from OCI memory+swap and memory: -1 max, 0 unset.  */
int cgroup_swap_to_v2 (int64_t memory_swap, int64_t memory, int64_t *out,
                       envrun_error_t *err);
/* "8:0 rbps=1048576 wiops=100" per device, one line each, NULL-terminated;
   devices in order of first appearance.  */
int cgroup_io_max_lines (const struct envrun_resources *r, char ***out,
                         envrun_error_t *err);

/* Device rules.  The effective list is: deny all, the devices every
   container needs (null, zero, full, tty, random, urandom, ptmx, pts,
   mknod of any), an allow for each linux.devices entry, then the
   configuration's rules, where a blanket "deny all" rule means "deny all
   but the required ones" (so runc's default spec works and a specific deny
   of /dev/null is honoured).  Later rules win.  */
struct cgroup_device_rule
{
  bool allow;
  char type;            /* 'a', 'c', 'b' */
  int64_t major, minor; /* -1 wildcard */
  unsigned access;      /* CGROUP_DEV_* bits */
};
#define CGROUP_DEV_MKNOD 1u
#define CGROUP_DEV_READ 2u
#define CGROUP_DEV_WRITE 4u
#define CGROUP_DEV_ALL 7u

int cgroup_device_rules (const struct envrun_config *cfg,
                         const struct envrun_resources *r,
                         struct cgroup_device_rule **out, size_t *n,
                         envrun_error_t *err);
int cgroup_v1_devices_apply (const char *dir,
                             const struct cgroup_device_rule *rules, size_t n,
                             envrun_error_t *err);

/* v2 device program: build the instructions (struct bpf_insn, 8 bytes
   each) for `rules`; load and attach it to dirfd with BPF_F_ALLOW_MULTI,
   detaching programs attached earlier by us (all device programs
   attached to the leaf).  */
int cgroup_bpf_build (const struct cgroup_device_rule *rules, size_t n,
                      void **insns, size_t *n_insns, envrun_error_t *err);
int cgroup_bpf_attach (int dirfd, const struct cgroup_device_rule *rules,
                       size_t n, envrun_error_t *err);

/* Freezer internals used by destroy.  */
int cgroup_v1_freeze (const char *dir, bool frozen, envrun_error_t *err);
int cgroup_v2_freeze (const char *dir, bool frozen, envrun_error_t *err);

#endif
