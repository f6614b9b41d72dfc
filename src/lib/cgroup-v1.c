/* cgroup layer: resources on v1 hierarchies, with runc's semantics and
   write orders (the kernel validates each write against the current
   values, so the order matters when updating).  */
#include "config-host.h"

#include "cgroup.h"
#include "cleanup.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The dir of the v1 controller, or an error when the configuration sets
   something for a controller this host does not have: a limit must never
   be dropped silently.  */
static int
v1_dir (struct cgroup_handle *h, const char *controller, const char **dir,
        envrun_error_t *err)
{
  const struct cgroup_hierarchy *c = cgroup_v1 (h, controller);

  if (c == NULL)
    return envrun_error_set (
        err, ENOTSUP, "the %s cgroup controller is not mounted", controller);
  *dir = c->dir;
  return 0;
}

static int
v1_memory_limit (const char *dir, const char *file, int64_t v,
                 envrun_error_t *err)
{
  int ret = cgroup_writef (dir, file, err, "%" PRId64, v);
  uint64_t usage = 0, peak = 0;

  if (ret < 0 && err && *err && (*err)->status == EBUSY)
    {
      cgroup_read_u64 (dir, "memory.usage_in_bytes", &usage, NULL);
      cgroup_read_u64 (dir, "memory.max_usage_in_bytes", &peak, NULL);
      return envrun_error_set (err, EBUSY,
                               "unable to set memory limit to %" PRId64
                               " (current usage: %" PRIu64
                               ", peak usage: %" PRIu64 ")",
                               v, usage, peak);
    }
  return ret;
}

static int
v1_memory_and_swap (const char *dir, const struct envrun_resources *r,
                    envrun_error_t *err)
{
  int64_t mem = r->has_memory_limit ? r->memory_limit : 0;
  int64_t swap = r->has_memory_swap ? r->memory_swap : 0;
  bool has_memsw = cgroup_file_exists (dir, "memory.memsw.limit_in_bytes");
  uint64_t cur = 0;
  int ret;

  /* unlimited memory without a swap value means unlimited swap too */
  if (mem == -1 && swap == 0 && has_memsw)
    swap = -1;
  if (swap != 0 && !has_memsw)
    return envrun_error_set (err, ENOTSUP,
                             "memory.swap: swap accounting is not enabled"
                             " on this host");
  if (mem != 0 && swap != 0)
    {
      ret = cgroup_read_u64 (dir, "memory.limit_in_bytes", &cur, err);
      if (ret < 0)
        return ret;
      /* raising: memsw first, it must stay >= the memory limit */
      if (swap == -1 || cur < (uint64_t)swap)
        {
          ret = v1_memory_limit (dir, "memory.memsw.limit_in_bytes", swap,
                                 err);
          if (ret == 0)
            ret = v1_memory_limit (dir, "memory.limit_in_bytes", mem, err);
          return ret;
        }
    }
  ret = mem ? v1_memory_limit (dir, "memory.limit_in_bytes", mem, err) : 0;
  if (ret == 0 && swap)
    ret = v1_memory_limit (dir, "memory.memsw.limit_in_bytes", swap, err);
  return ret;
}

static bool
memory_set (const struct envrun_resources *r)
{
  return r->has_memory_limit || r->has_memory_swap || r->has_memory_reservation
         || r->has_memory_swappiness
         || (r->has_disable_oom_killer && r->disable_oom_killer)
         || r->has_memory_kernel_tcp;
}

/* Shared by v1 and v2: refuse a limit below what is in use, when asked.  */
int
cgroup_check_before_update (const char *dir, const char *usage_file,
                            const struct envrun_resources *r,
                            envrun_error_t *err)
{
  uint64_t usage;

  if (!r->has_check_before_update || !r->check_before_update
      || !r->has_memory_limit || r->memory_limit <= 0)
    return 0;
  if (cgroup_read_u64 (dir, usage_file, &usage, NULL) < 0)
    return 0; /* a new cgroup: nothing in use */
  if ((uint64_t)r->memory_limit < usage)
    return envrun_error_set (err, EBUSY,
                             "memory.limit: %" PRId64 " is below the current"
                             " usage %" PRIu64,
                             r->memory_limit, usage);
  return 0;
}

static int
v1_memory (struct cgroup_handle *h, const struct envrun_resources *r,
           envrun_error_t *err)
{
  const char *dir = NULL;
  int ret;

  if (!memory_set (r))
    return 0;
  ret = v1_dir (h, "memory", &dir, err);
  if (ret == 0)
    ret = cgroup_check_before_update (dir, "memory.usage_in_bytes", r, err);
  if (ret == 0)
    ret = v1_memory_and_swap (dir, r, err);
  if (ret == 0 && r->has_memory_reservation)
    ret = cgroup_writef (dir, "memory.soft_limit_in_bytes", err, "%" PRId64,
                         r->memory_reservation);
  if (ret == 0 && r->has_memory_kernel_tcp)
    ret = cgroup_writef (dir, "memory.kmem.tcp.limit_in_bytes", err,
                         "%" PRId64, r->memory_kernel_tcp);
  if (ret == 0 && r->has_memory_swappiness)
    {
      if (r->memory_swappiness > 100)
        return envrun_error_set (
            err, EINVAL, "memory.swappiness: %" PRIu64 " is not in 0..100",
            r->memory_swappiness);
      ret = cgroup_writef (dir, "memory.swappiness", err, "%" PRIu64,
                           r->memory_swappiness);
    }
  if (ret == 0 && r->has_disable_oom_killer && r->disable_oom_killer)
    ret = cgroup_write (dir, "memory.oom_control", "1", err);
  return ret;
}

/* cpu.shares is clamped by the kernel: read it back like runc and say so
   rather than silently running with another value.  */
static int
v1_cpu_shares (const char *dir, uint64_t shares, envrun_error_t *err)
{
  uint64_t got;
  int ret = cgroup_writef (dir, "cpu.shares", err, "%" PRIu64, shares);

  if (ret == 0)
    ret = cgroup_read_u64 (dir, "cpu.shares", &got, err);
  if (ret == 0 && got != shares)
    return envrun_error_set (err, EINVAL,
                             "cpu.shares: %" PRIu64 " is out of range; the %s"
                             " allowed is %" PRIu64,
                             shares, shares > got ? "maximum" : "minimum",
                             got);
  return ret;
}

static int
v1_cpu_bandwidth (const char *dir, const struct envrun_resources *r,
                  envrun_error_t *err)
{
  bool period_pending = false;
  int ret = 0;

  if (r->has_cpu_period && r->cpu_period)
    {
      /* a smaller period can be refused until the quota is lowered:
         retry after the quota, as runc does */
      ret = cgroup_writef (dir, "cpu.cfs_period_us", err, "%" PRIu64,
                           r->cpu_period);
      if (ret < 0 && (*err)->status == EINVAL && r->has_cpu_quota
          && r->cpu_quota)
        {
          envrun_error_free (err);
          period_pending = true;
          ret = 0;
        }
    }
  if (ret == 0 && r->has_cpu_burst)
    ret = cgroup_writef (dir, "cpu.cfs_burst_us", err, "%" PRIu64,
                         r->cpu_burst);
  if (ret == 0 && r->has_cpu_quota && r->cpu_quota)
    ret = cgroup_writef (dir, "cpu.cfs_quota_us", err, "%" PRId64,
                         r->cpu_quota);
  if (ret == 0 && period_pending)
    ret = cgroup_writef (dir, "cpu.cfs_period_us", err, "%" PRIu64,
                         r->cpu_period);
  return ret;
}

static int
v1_cpu (struct cgroup_handle *h, const struct envrun_resources *r,
        envrun_error_t *err)
{
  const char *dir = NULL;
  int ret;

  if (!(r->has_cpu_shares || r->has_cpu_quota || r->has_cpu_period
        || r->has_cpu_burst || r->has_cpu_idle || r->has_cpu_realtime_period
        || r->has_cpu_realtime_runtime))
    return 0;
  ret = v1_dir (h, "cpu", &dir, err);
  if (ret == 0 && r->has_cpu_realtime_period && r->cpu_realtime_period)
    ret = cgroup_writef (dir, "cpu.rt_period_us", err, "%" PRIu64,
                         r->cpu_realtime_period);
  if (ret == 0 && r->has_cpu_realtime_runtime && r->cpu_realtime_runtime)
    ret = cgroup_writef (dir, "cpu.rt_runtime_us", err, "%" PRId64,
                         r->cpu_realtime_runtime);
  if (ret == 0 && r->has_cpu_shares && r->cpu_shares)
    ret = v1_cpu_shares (dir, r->cpu_shares, err);
  if (ret == 0)
    ret = v1_cpu_bandwidth (dir, r, err);
  if (ret == 0 && r->has_cpu_idle)
    ret = cgroup_writef (dir, "cpu.idle", err, "%" PRId64, r->cpu_idle);
  return ret;
}

static int
v1_cpuset_pids (struct cgroup_handle *h, const struct envrun_resources *r,
                envrun_error_t *err)
{
  const char *dir = NULL;
  int ret = 0;

  if ((r->cpu_cpus && *r->cpu_cpus) || (r->cpu_mems && *r->cpu_mems))
    ret = v1_dir (h, "cpuset", &dir, err);
  if (ret == 0 && r->cpu_cpus && *r->cpu_cpus)
    ret = cgroup_write (dir, "cpuset.cpus", r->cpu_cpus, err);
  if (ret == 0 && r->cpu_mems && *r->cpu_mems)
    ret = cgroup_write (dir, "cpuset.mems", r->cpu_mems, err);
  if (ret < 0 || !r->has_pids_limit || r->pids_limit == 0)
    return ret;
  ret = v1_dir (h, "pids", &dir, err);
  if (ret == 0 && r->pids_limit > 0)
    return cgroup_writef (dir, "pids.max", err, "%" PRId64, r->pids_limit);
  return ret == 0 ? cgroup_write (dir, "pids.max", "max", err) : ret;
}

static int
v1_throttles (const char *dir, const char *file,
              const struct envrun_throttle_device *t, size_t n,
              envrun_error_t *err)
{
  for (size_t i = 0; i < n; i++)
    {
      int ret
          = cgroup_writef (dir, file, err, "%" PRId64 ":%" PRId64 " %" PRIu64,
                           t[i].major, t[i].minor, t[i].rate);
      if (ret < 0)
        return ret;
    }
  return 0;
}

static int
v1_blkio_weights (const char *dir, const struct envrun_resources *r,
                  envrun_error_t *err)
{
  /* kernels with BFQ only have the blkio.bfq.* weight files */
  bool bfq = !cgroup_file_exists (dir, "blkio.weight");
  int ret = 0;

  if (r->has_blkio_weight && r->blkio_weight)
    ret = cgroup_writef (dir, bfq ? "blkio.bfq.weight" : "blkio.weight", err,
                         "%u", r->blkio_weight);
  if (ret == 0 && r->has_blkio_leaf_weight && r->blkio_leaf_weight)
    ret = cgroup_writef (dir, "blkio.leaf_weight", err, "%u",
                         r->blkio_leaf_weight);
  for (size_t i = 0; ret == 0 && i < r->n_blkio_weight_devices; i++)
    {
      const struct envrun_weight_device *d = &r->blkio_weight_devices[i];

      if (d->has_weight)
        ret = cgroup_writef (
            dir, bfq ? "blkio.bfq.weight_device" : "blkio.weight_device", err,
            "%" PRId64 ":%" PRId64 " %u", d->major, d->minor, d->weight);
      if (ret == 0 && d->has_leaf_weight)
        ret = cgroup_writef (dir, "blkio.leaf_weight_device", err,
                             "%" PRId64 ":%" PRId64 " %u", d->major, d->minor,
                             d->leaf_weight);
    }
  return ret;
}

static int
v1_blkio (struct cgroup_handle *h, const struct envrun_resources *r,
          envrun_error_t *err)
{
  const char *dir = NULL;
  int ret;

  if (!(r->has_blkio_weight || r->has_blkio_leaf_weight
        || r->n_blkio_weight_devices || r->n_blkio_throttle_read_bps
        || r->n_blkio_throttle_write_bps || r->n_blkio_throttle_read_iops
        || r->n_blkio_throttle_write_iops))
    return 0;
  ret = v1_dir (h, "blkio", &dir, err);
  if (ret == 0)
    ret = v1_blkio_weights (dir, r, err);
  if (ret == 0)
    ret = v1_throttles (dir, "blkio.throttle.read_bps_device",
                        r->blkio_throttle_read_bps,
                        r->n_blkio_throttle_read_bps, err);
  if (ret == 0)
    ret = v1_throttles (dir, "blkio.throttle.write_bps_device",
                        r->blkio_throttle_write_bps,
                        r->n_blkio_throttle_write_bps, err);
  if (ret == 0)
    ret = v1_throttles (dir, "blkio.throttle.read_iops_device",
                        r->blkio_throttle_read_iops,
                        r->n_blkio_throttle_read_iops, err);
  if (ret == 0)
    ret = v1_throttles (dir, "blkio.throttle.write_iops_device",
                        r->blkio_throttle_write_iops,
                        r->n_blkio_throttle_write_iops, err);
  return ret;
}

static int
v1_hugetlb_net (struct cgroup_handle *h, const struct envrun_resources *r,
                envrun_error_t *err)
{
  const struct cgroup_hierarchy *ht = cgroup_v1 (h, "hugetlb");
  const char *dir = NULL;
  int ret = 0;

  /* without a v1 hugetlb, a hybrid host may have it on cgroup2:
     cgroup_v2_apply() takes it then */
  for (size_t i = 0; ht && ret == 0 && i < r->n_hugepage_limits; i++)
    {
      cleanup_free char *file = NULL;

      if (strchr (r->hugepage_limits[i].page_size, '/')
          || asprintf (&file, "hugetlb.%s.limit_in_bytes",
                       r->hugepage_limits[i].page_size)
                 < 0)
        return envrun_error_set (err, EINVAL, "hugepageLimits: bad size");
      ret = cgroup_writef (ht->dir, file, err, "%" PRIu64,
                           r->hugepage_limits[i].limit);
    }
  if (ret == 0 && r->has_network_class_id)
    {
      ret = v1_dir (h, "net_cls", &dir, err);
      if (ret == 0)
        ret = cgroup_writef (dir, "net_cls.classid", err, "%" PRIu32,
                             r->network_class_id);
    }
  if (ret == 0 && r->n_network_priorities)
    ret = v1_dir (h, "net_prio", &dir, err);
  for (size_t i = 0; ret == 0 && i < r->n_network_priorities; i++)
    ret = cgroup_writef (dir, "net_prio.ifpriomap", err, "%s %" PRIu32,
                         r->network_priorities[i].name,
                         r->network_priorities[i].priority);
  return ret;
}

int
cgroup_v1_apply (struct cgroup_handle *h, const struct envrun_resources *r,
                 envrun_error_t *err)
{
  int ret = v1_memory (h, r, err);

  if (ret == 0)
    ret = v1_cpu (h, r, err);
  if (ret == 0)
    ret = v1_cpuset_pids (h, r, err);
  if (ret == 0)
    ret = v1_blkio (h, r, err);
  if (ret == 0)
    ret = v1_hugetlb_net (h, r, err);
  return ret;
}
