/* cgroup layer: resources on cgroup2 (the whole set on unified hosts; on
   hybrid hosts only what v1 does not carry: hugetlb when it lives on
   cgroup2, and `unified` key/values), with runc's conversions.  */
#include "config-host.h"

#include "cgroup.h"
#include "cleanup.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t
cgroup_cpu_shares_to_weight (uint64_t shares)
{
  double l, exponent;

  /* runc (opencontainers/cgroups ConvertCPUSharesToCgroupV2Value): a
     quadratic in log2(shares) mapping the v1 range [2, 262144] onto
     [1, 10000] with the defaults 1024 -> 100 matching.  0 means unset.  */
  if (shares == 0)
    return 0;
  if (shares <= 2)
    return 1;
  if (shares >= 262144)
    return 10000;
  l = log2 ((double)shares);
  exponent = (l * l + 125 * l) / 612.0 - 7.0 / 34.0;
  return (uint64_t)ceil (pow (10, exponent));
}

uint64_t
cgroup_blkio_weight_to_io_weight (uint64_t weight)
{
  /* runc: [10, 1000] onto [1, 10000] linearly; 0 means unset */
  if (weight == 0)
    return 0;
  return 1 + (weight - 10) * 9999 / 990;
}

int
cgroup_swap_to_v2 (int64_t memory_swap, int64_t memory, int64_t *out,
                   envrun_error_t *err)
{
  /* v1's memory.memsw is memory+swap, v2's memory.swap.max is swap only.
     Unlimited memory with no swap value means both unlimited.  */
  if (memory == -1 && memory_swap == 0)
    *out = -1;
  else if (memory_swap == -1 || memory_swap == 0)
    *out = memory_swap;
  else if (memory == 0 || memory == -1)
    return envrun_error_set (err, EINVAL,
                             "memory.swap: cannot set a swap limit without"
                             " a memory limit");
  else if (memory < 0)
    return envrun_error_set (err, EINVAL,
                             "memory.limit: invalid value %" PRId64, memory);
  else if (memory_swap < memory)
    return envrun_error_set (err, EINVAL,
                             "memory.swap: memory+swap limit must be >="
                             " the memory limit");
  else
    *out = memory_swap - memory;
  return 0;
}

/* ---- io.max ---- */

struct io_dev
{
  int64_t major, minor;
  char line[160];
};

static int
io_max_add (struct io_dev **devs, size_t *n, const char *key,
            const struct envrun_throttle_device *t, size_t nt,
            envrun_error_t *err)
{
  for (size_t i = 0; i < nt; i++)
    {
      struct io_dev *d = NULL;
      size_t len;

      for (size_t j = 0; j < *n && d == NULL; j++)
        if ((*devs)[j].major == t[i].major && (*devs)[j].minor == t[i].minor)
          d = &(*devs)[j];
      if (d == NULL)
        {
          struct io_dev *nd = realloc (*devs, (*n + 1) * sizeof *nd);

          if (nd == NULL)
            return envrun_error_set (err, ENOMEM, "cgroup: io.max");
          *devs = nd;
          d = &nd[(*n)++];
          d->major = t[i].major;
          d->minor = t[i].minor;
          snprintf (d->line, sizeof d->line, "%" PRId64 ":%" PRId64, d->major,
                    d->minor);
        }
      len = strlen (d->line);
      snprintf (d->line + len, sizeof d->line - len, " %s=%" PRIu64, key,
                t[i].rate);
    }
  return 0;
}

int
cgroup_io_max_lines (const struct envrun_resources *r, char ***out,
                     envrun_error_t *err)
{
  cleanup_free struct io_dev *devs = NULL;
  size_t n = 0;
  char **lines;
  int ret;

  ret = io_max_add (&devs, &n, "rbps", r->blkio_throttle_read_bps,
                    r->n_blkio_throttle_read_bps, err);
  if (ret == 0)
    ret = io_max_add (&devs, &n, "wbps", r->blkio_throttle_write_bps,
                      r->n_blkio_throttle_write_bps, err);
  if (ret == 0)
    ret = io_max_add (&devs, &n, "riops", r->blkio_throttle_read_iops,
                      r->n_blkio_throttle_read_iops, err);
  if (ret == 0)
    ret = io_max_add (&devs, &n, "wiops", r->blkio_throttle_write_iops,
                      r->n_blkio_throttle_write_iops, err);
  if (ret < 0)
    return ret;
  lines = calloc (n + 1, sizeof *lines);
  if (lines == NULL)
    return envrun_error_set (err, ENOMEM, "cgroup: io.max");
  for (size_t i = 0; i < n; i++)
    if ((lines[i] = strdup (devs[i].line)) == NULL)
      {
        cleanup_strvp (&lines);
        return envrun_error_set (err, ENOMEM, "cgroup: io.max");
      }
  *out = lines;
  return 0;
}

/* ---- controllers ---- */

static bool
word_in (const char *list, const char *w)
{
  size_t len = strlen (w);

  for (const char *p = list; p && (p = strstr (p, w)); p += len)
    if ((p == list || p[-1] == ' ' || p[-1] == '+')
        && (p[len] == '\0' || p[len] == ' ' || p[len] == '\n'))
      return true;
  return false;
}

/* Enable the wanted controllers in one ancestor's cgroup.subtree_control,
   skipping those already on.  */
static int
enable_in (const char *dir, const char *wanted, envrun_error_t *err)
{
  cleanup_free char *avail = NULL, *on = NULL, *copy = NULL;
  char buf[512] = "", *save = NULL;

  if (cgroup_read (dir, "cgroup.controllers", &avail, NULL) < 0
      || cgroup_read (dir, "cgroup.subtree_control", &on, NULL) < 0)
    return 0; /* not a cgroup2 directory (fake trees in tests) */
  copy = strdup (wanted ? wanted : avail);
  if (copy == NULL)
    return envrun_error_set (err, ENOMEM, "cgroup: controllers");
  for (char *c = strtok_r (copy, " \n", &save); c;
       c = strtok_r (NULL, " \n", &save))
    if (word_in (avail, c) && !word_in (on, c)
        && strlen (buf) + strlen (c) + 3 < sizeof buf)
      {
        strcat (buf, buf[0] ? " +" : "+");
        strcat (buf, c);
      }
  if (buf[0] == '\0')
    return 0;
  return cgroup_write (dir, "cgroup.subtree_control", buf, err);
}

int
cgroup_v2_enable_controllers (const struct cgroup_handle *h,
                              const char *wanted, envrun_error_t *err)
{
  const struct cgroup_hierarchy *u = cgroup_unified (h);
  cleanup_free char *buf = NULL;
  size_t mlen;

  if (u == NULL)
    return 0;
  buf = strdup (u->dir);
  if (buf == NULL)
    return envrun_error_set (err, ENOMEM, "cgroup: controllers");
  mlen = strlen (u->mount);
  /* every ancestor from the mount point down to the leaf's parent */
  for (char *p = buf + mlen; p; p = strchr (p + 1, '/'))
    {
      char saved = *p;
      int ret;

      *p = '\0';
      ret = enable_in (buf, wanted, err);
      *p = saved;
      if (ret < 0)
        return ret;
      if (strchr (p + 1, '/') == NULL)
        break; /* p + 1 is the leaf: its own subtree stays off */
    }
  return 0;
}

/* ---- resources ---- */

static int
write_limit (const char *dir, const char *file, int64_t v, envrun_error_t *err)
{
  if (v < 0)
    return cgroup_write (dir, file, "max", err);
  return cgroup_writef (dir, file, err, "%" PRId64, v);
}

static int
v2_memory (const char *dir, const struct envrun_resources *r,
           envrun_error_t *err)
{
  int64_t mem = r->has_memory_limit ? r->memory_limit : 0, swap = 0;
  int ret;

  if (!r->has_memory_limit && !r->has_memory_swap
      && !r->has_memory_reservation)
    return 0; /* swappiness, disableOOMKiller: no v2 equivalent (runc) */
  ret = cgroup_swap_to_v2 (r->has_memory_swap ? r->memory_swap : 0, mem, &swap,
                           err);
  if (ret == 0)
    ret = cgroup_check_before_update (dir, "memory.current", r, err);
  /* swap first: the kernel checks nothing between the two, but an
     unlimited memory.max with a stale swap.max is what runc avoids */
  if (ret == 0 && swap != 0)
    ret = write_limit (dir, "memory.swap.max", swap, err);
  if (ret == 0 && mem != 0)
    ret = write_limit (dir, "memory.max", mem, err);
  if (ret == 0 && r->has_memory_reservation && r->memory_reservation != 0)
    ret = write_limit (dir, "memory.low", r->memory_reservation, err);
  return ret;
}

static int
v2_cpu (const char *dir, const struct envrun_resources *r, envrun_error_t *err)
{
  int64_t quota = r->has_cpu_quota ? r->cpu_quota : 0;
  uint64_t period = r->has_cpu_period ? r->cpu_period : 0;
  int ret = 0;

  if (r->has_cpu_shares && r->cpu_shares)
    ret = cgroup_writef (dir, "cpu.weight", err, "%" PRIu64,
                         cgroup_cpu_shares_to_weight (r->cpu_shares));
  if (ret == 0 && r->has_cpu_idle)
    ret = cgroup_writef (dir, "cpu.idle", err, "%" PRId64, r->cpu_idle);
  if (ret == 0 && (quota != 0 || period != 0))
    {
      char buf[64];

      if (quota > 0)
        snprintf (buf, sizeof buf, "%" PRId64, quota);
      else
        strcpy (buf, "max");
      if (period)
        snprintf (buf + strlen (buf), sizeof buf - strlen (buf), " %" PRIu64,
                  period);
      ret = cgroup_write (dir, "cpu.max", buf, err);
    }
  if (ret == 0 && r->has_cpu_burst)
    ret = cgroup_writef (dir, "cpu.max.burst", err, "%" PRIu64, r->cpu_burst);
  if (ret == 0 && r->cpu_cpus && *r->cpu_cpus)
    ret = cgroup_write (dir, "cpuset.cpus", r->cpu_cpus, err);
  if (ret == 0 && r->cpu_mems && *r->cpu_mems)
    ret = cgroup_write (dir, "cpuset.mems", r->cpu_mems, err);
  if (ret == 0 && r->has_pids_limit && r->pids_limit != 0)
    ret = write_limit (dir, "pids.max", r->pids_limit, err);
  return ret;
}

static int
v2_io (const char *dir, const struct envrun_resources *r, envrun_error_t *err)
{
  bool bfq = cgroup_file_exists (dir, "io.bfq.weight");
  cleanup_strv char **lines = NULL;
  int ret = 0;

  /* io.bfq.weight takes blkio's scale as is; io.weight needs converting */
  if (r->has_blkio_weight && r->blkio_weight)
    ret = bfq ? cgroup_writef (dir, "io.bfq.weight", err, "%u",
                               r->blkio_weight)
              : cgroup_writef (
                  dir, "io.weight", err, "default %" PRIu64,
                  cgroup_blkio_weight_to_io_weight (r->blkio_weight));
  for (size_t i = 0; ret == 0 && i < r->n_blkio_weight_devices; i++)
    {
      const struct envrun_weight_device *d = &r->blkio_weight_devices[i];

      if (d->has_weight)
        ret = cgroup_writef (
            dir, bfq ? "io.bfq.weight" : "io.weight", err,
            "%" PRId64 ":%" PRId64 " %" PRIu64, d->major, d->minor,
            bfq ? d->weight : cgroup_blkio_weight_to_io_weight (d->weight));
    }
  if (ret == 0)
    ret = cgroup_io_max_lines (r, &lines, err);
  for (size_t i = 0; ret == 0 && lines[i]; i++)
    ret = cgroup_write (dir, "io.max", lines[i], err);
  return ret;
}

static int
v2_hugetlb (struct cgroup_handle *h, const char *dir,
            const struct envrun_resources *r, envrun_error_t *err)
{
  int ret = 0;

  if (r->n_hugepage_limits == 0)
    return 0;
  if (h->mode != CGROUP_MODE_UNIFIED)
    ret = cgroup_v2_enable_controllers (h, "hugetlb", err);
  for (size_t i = 0; ret == 0 && i < r->n_hugepage_limits; i++)
    {
      cleanup_free char *file = NULL;

      if (strchr (r->hugepage_limits[i].page_size, '/')
          || asprintf (&file, "hugetlb.%s.max",
                       r->hugepage_limits[i].page_size)
                 < 0)
        return envrun_error_set (err, EINVAL, "hugepageLimits: bad size");
      ret = cgroup_writef (dir, file, err, "%" PRIu64,
                           r->hugepage_limits[i].limit);
    }
  return ret;
}

/* `unified`: raw writes, but only of a file in the container's own cgroup
   and never of the files that move or kill processes.  */
static int
v2_unified (const char *dir, const struct envrun_resources *r,
            envrun_error_t *err)
{
  static const char *const refused[]
      = { "cgroup.procs", "cgroup.threads", "cgroup.kill",
          "cgroup.subtree_control" };

  for (size_t i = 0; i < r->n_unified; i++)
    {
      const char *k = r->unified[i].key;
      int ret;

      if (k == NULL || strchr (k, '/') || strstr (k, "..")
          || strchr (k, '.') == NULL || k[0] == '.')
        return envrun_error_set (err, EINVAL,
                                 "unified: `%s`: must be a file name"
                                 " CONTROLLER.PARAMETER",
                                 k ? k : "");
      for (size_t j = 0; j < sizeof refused / sizeof *refused; j++)
        if (strcmp (k, refused[j]) == 0)
          return envrun_error_set (err, EPERM, "unified: `%s` may not be set",
                                   k);
      ret = cgroup_write (dir, k, r->unified[i].value, err);
      if (ret < 0)
        return ret;
    }
  return 0;
}

int
cgroup_v2_apply (struct cgroup_handle *h, const struct envrun_resources *r,
                 envrun_error_t *err)
{
  const struct cgroup_hierarchy *u = cgroup_unified (h);
  int ret = 0;

  if (u == NULL)
    return 0;
  if (h->mode == CGROUP_MODE_UNIFIED)
    {
      ret = v2_memory (u->dir, r, err);
      if (ret == 0)
        ret = v2_cpu (u->dir, r, err);
      if (ret == 0)
        ret = v2_io (u->dir, r, err);
    }
  if (ret == 0
      && (h->mode == CGROUP_MODE_UNIFIED || !cgroup_v1 (h, "hugetlb")))
    ret = v2_hugetlb (h, u->dir, r, err);
  if (ret == 0)
    ret = v2_unified (u->dir, r, err);
  return ret;
}
