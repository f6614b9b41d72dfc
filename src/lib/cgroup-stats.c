/* cgroup layer: statistics in runc's `events --stats` "data" shape, and
   OOM notifications.  Each figure comes from v1 when the controller is
   there, else from cgroup2; a controller this host lacks is reported as
   zeros, as runc does.  */
#include "config-host.h"

#include "cgroup.h"
#include "cleanup.h"
#include "json.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

static uint64_t
rd (const char *dir, const char *file)
{
  uint64_t v = 0;

  if (dir == NULL || cgroup_read_u64 (dir, file, &v, NULL) < 0)
    return 0;
  return v;
}

static uint64_t
rd_keyed (const char *dir, const char *file, const char *key)
{
  uint64_t v = 0;

  if (dir == NULL || cgroup_read_keyed (dir, file, key, &v, NULL) < 0)
    return 0;
  return v;
}

static const char *
v1dir (const struct cgroup_handle *h, const char *c)
{
  const struct cgroup_hierarchy *x = cgroup_v1 (h, c);

  return x ? x->dir : NULL;
}

static const char *
v2dir (const struct cgroup_handle *h)
{
  const struct cgroup_hierarchy *u = cgroup_unified (h);

  return u ? u->dir : NULL;
}

static void
gen_u64_array (struct json_gen *g, const char *key, const char *text)
{
  json_gen_key (g, key);
  json_gen_array_open (g);
  for (const char *p = text; p && *p;)
    {
      char *end;
      unsigned long long v = strtoull (p, &end, 10);

      if (end == p)
        break;
      json_gen_uint (g, v);
      p = end;
    }
  json_gen_array_close (g);
}

static void
stats_cpu (const struct cgroup_handle *h, struct json_gen *g)
{
  const char *acct = v1dir (h, "cpuacct"), *cpu = v1dir (h, "cpu");
  /* The unified leaf's cpu.stat is core (no controller needed): on a
     hybrid host it is the usage of a container not in v1 cpuacct.  */
  const char *u = h->mode == CGROUP_MODE_UNIFIED || acct == NULL ? v2dir (h)
                                                                 : NULL;
  long hz = sysconf (_SC_CLK_TCK);
  uint64_t tick_ns = hz > 0 ? 1000000000ull / (uint64_t)hz : 10000000ull;

  json_gen_key (g, "cpu");
  json_gen_object_open (g);
  json_gen_key (g, "usage");
  json_gen_object_open (g);
  if (u)
    {
      json_gen_kv_uint (g, "total",
                        rd_keyed (u, "cpu.stat", "usage_usec") * 1000);
      json_gen_kv_uint (g, "kernel",
                        rd_keyed (u, "cpu.stat", "system_usec") * 1000);
      json_gen_kv_uint (g, "user",
                        rd_keyed (u, "cpu.stat", "user_usec") * 1000);
    }
  else
    {
      cleanup_free char *percpu = NULL;

      json_gen_kv_uint (g, "total", rd (acct, "cpuacct.usage"));
      if (acct
          && cgroup_read (acct, "cpuacct.usage_percpu", &percpu, NULL) == 0)
        gen_u64_array (g, "percpu", percpu);
      /* cpuacct.stat counts USER_HZ ticks */
      json_gen_kv_uint (g, "kernel",
                        rd_keyed (acct, "cpuacct.stat", "system") * tick_ns);
      json_gen_kv_uint (g, "user",
                        rd_keyed (acct, "cpuacct.stat", "user") * tick_ns);
    }
  json_gen_object_close (g);
  json_gen_key (g, "throttling");
  json_gen_object_open (g);
  json_gen_kv_uint (g, "periods",
                    rd_keyed (u ? u : cpu, "cpu.stat", "nr_periods"));
  json_gen_kv_uint (g, "throttledPeriods",
                    rd_keyed (u ? u : cpu, "cpu.stat", "nr_throttled"));
  json_gen_kv_uint (g, "throttledTime",
                    u ? rd_keyed (u, "cpu.stat", "throttled_usec") * 1000
                      : rd_keyed (cpu, "cpu.stat", "throttled_time"));
  json_gen_object_close (g);
  json_gen_object_close (g);
}

static void
gen_entry (struct json_gen *g, const char *key, uint64_t limit, uint64_t usage,
           uint64_t max, uint64_t failcnt)
{
  json_gen_key (g, key);
  json_gen_object_open (g);
  json_gen_kv_uint (g, "limit", limit);
  json_gen_kv_uint (g, "usage", usage);
  json_gen_kv_uint (g, "max", max);
  json_gen_kv_uint (g, "failcnt", failcnt);
  json_gen_object_close (g);
}

static void
gen_raw (struct json_gen *g, const char *dir, const char *file)
{
  cleanup_free char *text = NULL;

  json_gen_key (g, "raw");
  json_gen_object_open (g);
  if (dir && cgroup_read (dir, file, &text, NULL) == 0)
    for (char *line = text, *nl; line && *line; line = nl)
      {
        char *sp = strchr (line, ' ');

        nl = strchr (line, '\n');
        if (nl)
          *nl++ = '\0';
        if (sp == NULL)
          continue;
        *sp = '\0';
        json_gen_kv_uint (g, line, strtoull (sp + 1, NULL, 10));
      }
  json_gen_object_close (g);
}

static void
stats_memory (const struct cgroup_handle *h, struct json_gen *g)
{
  const char *m = v1dir (h, "memory");
  const char *u = h->mode == CGROUP_MODE_UNIFIED ? v2dir (h) : NULL;

  json_gen_key (g, "memory");
  json_gen_object_open (g);
  if (u)
    {
      json_gen_kv_uint (g, "cache", rd_keyed (u, "memory.stat", "file"));
      gen_entry (g, "usage", rd (u, "memory.max"), rd (u, "memory.current"),
                 rd (u, "memory.peak"), rd_keyed (u, "memory.events", "max"));
      gen_entry (g, "swap", rd (u, "memory.swap.max"),
                 rd (u, "memory.swap.current"), rd (u, "memory.swap.peak"),
                 rd_keyed (u, "memory.swap.events", "max"));
      gen_raw (g, u, "memory.stat");
    }
  else
    {
      json_gen_kv_uint (g, "cache", rd_keyed (m, "memory.stat", "cache"));
#define V1ENTRY(key, p)                                                       \
  gen_entry (g, key, rd (m, p "limit_in_bytes"), rd (m, p "usage_in_bytes"),  \
             rd (m, p "max_usage_in_bytes"), rd (m, p "failcnt"))
      V1ENTRY ("usage", "memory.");
      V1ENTRY ("swap", "memory.memsw.");
      V1ENTRY ("kernel", "memory.kmem.");
      V1ENTRY ("kernelTCP", "memory.kmem.tcp.");
#undef V1ENTRY
      gen_raw (g, m, "memory.stat");
    }
  json_gen_object_close (g);
}

/* Without a pids controller (hybrid host, no pids limit): the tasks of
   the unified leaf, which is what pids.current would count.  */
static uint64_t
count_threads (const char *dir)
{
  cleanup_free char *text = NULL;
  uint64_t n = 0;

  if (dir == NULL || cgroup_read (dir, "cgroup.threads", &text, NULL) < 0)
    return 0;
  for (const char *c = text; *c; c++)
    n += *c == '\n';
  return n;
}

static void
stats_pids_cpuset (const struct cgroup_handle *h, struct json_gen *g)
{
  const char *p = v1dir (h, "pids"), *cs = v1dir (h, "cpuset");
  const char *u = h->mode == CGROUP_MODE_UNIFIED ? v2dir (h) : NULL;
  uint64_t limit = rd (u ? u : p, "pids.max");
  cleanup_free char *cpus = NULL, *mems = NULL;

  json_gen_key (g, "pids");
  json_gen_object_open (g);
  json_gen_kv_uint (g, "current", u || p ? rd (u ? u : p, "pids.current")
                                          : count_threads (v2dir (h)));
  json_gen_kv_uint (g, "limit", limit == UINT64_MAX ? 0 : limit);
  json_gen_object_close (g);
  /* runc reports cpuset as lists of numbers; ranges are kept as text in
     "cpus"/"mems" here, which is what a reader can use */
  json_gen_key (g, "cpuset");
  json_gen_object_open (g);
  if ((u || cs)
      && cgroup_read (u ? u : cs,
                      u ? "cpuset.cpus.effective" : "cpuset.effective_cpus",
                      &cpus, NULL)
             == 0)
    json_gen_kv_string (g, "cpus", strtok (cpus, "\n") ? cpus : "");
  if ((u || cs)
      && cgroup_read (u ? u : cs,
                      u ? "cpuset.mems.effective" : "cpuset.effective_mems",
                      &mems, NULL)
             == 0)
    json_gen_kv_string (g, "mems", strtok (mems, "\n") ? mems : "");
  json_gen_object_close (g);
}

static void
gen_blkio_entry (struct json_gen *g, unsigned maj, unsigned min,
                 const char *op, uint64_t v)
{
  json_gen_object_open (g);
  json_gen_kv_uint (g, "major", maj);
  json_gen_kv_uint (g, "minor", min);
  json_gen_kv_string (g, "op", op);
  json_gen_kv_uint (g, "value", v);
  json_gen_object_close (g);
}

/* v1 "8:0 Read 4096" lines.  */
static void
blkio_v1 (struct json_gen *g, const char *key, const char *dir,
          const char *file)
{
  cleanup_free char *text = NULL;

  json_gen_key (g, key);
  json_gen_array_open (g);
  if (dir && cgroup_read (dir, file, &text, NULL) == 0)
    for (char *line = strtok (text, "\n"); line; line = strtok (NULL, "\n"))
      {
        unsigned maj, min;
        char op[16];
        unsigned long long v;

        if (sscanf (line, "%u:%u %15s %llu", &maj, &min, op, &v) == 4)
          gen_blkio_entry (g, maj, min, op, v);
      }
  json_gen_array_close (g);
}

/* v2 io.stat "8:0 rbytes=1 wbytes=2 rios=3 wios=4 ..." lines.  */
static void
blkio_v2 (struct json_gen *g, const char *key, const char *dir,
          const char *rkey, const char *wkey)
{
  cleanup_free char *text = NULL;

  json_gen_key (g, key);
  json_gen_array_open (g);
  if (dir && cgroup_read (dir, "io.stat", &text, NULL) == 0)
    for (char *line = strtok (text, "\n"); line; line = strtok (NULL, "\n"))
      {
        unsigned maj, min;
        char *r = strstr (line, rkey), *w = strstr (line, wkey);

        if (sscanf (line, "%u:%u", &maj, &min) != 2)
          continue;
        if (r)
          gen_blkio_entry (g, maj, min, "Read",
                           strtoull (r + strlen (rkey), NULL, 10));
        if (w)
          gen_blkio_entry (g, maj, min, "Write",
                           strtoull (w + strlen (wkey), NULL, 10));
      }
  json_gen_array_close (g);
}

static void
stats_blkio (const struct cgroup_handle *h, struct json_gen *g)
{
  const char *b = v1dir (h, "blkio");
  const char *u = h->mode == CGROUP_MODE_UNIFIED ? v2dir (h) : NULL;

  json_gen_key (g, "blkio");
  json_gen_object_open (g);
  if (u)
    {
      blkio_v2 (g, "ioServiceBytesRecursive", u, "rbytes=", "wbytes=");
      blkio_v2 (g, "ioServicedRecursive", u, "rios=", "wios=");
    }
  else
    {
      blkio_v1 (g, "ioServiceBytesRecursive", b,
                "blkio.throttle.io_service_bytes_recursive");
      blkio_v1 (g, "ioServicedRecursive", b,
                "blkio.throttle.io_serviced_recursive");
    }
  json_gen_object_close (g);
}

static void
stats_hugetlb (const struct cgroup_handle *h, struct json_gen *g)
{
  const char *v1 = v1dir (h, "hugetlb");
  const char *dir = v1 ? v1 : v2dir (h);
  cleanup_dir DIR *d = dir ? opendir (dir) : NULL;
  struct dirent *de;

  json_gen_key (g, "hugetlb");
  json_gen_object_open (g);
  while (d && (de = readdir (d)))
    {
      char size[32], f[96];
      const char *suffix = v1 ? ".limit_in_bytes" : ".max";
      size_t len = strlen (de->d_name);

      if (strncmp (de->d_name, "hugetlb.", 8) != 0
          || len <= 8 + strlen (suffix)
          || strcmp (de->d_name + len - strlen (suffix), suffix) != 0
          || len - 8 - strlen (suffix) >= sizeof size
          || strstr (de->d_name, ".rsvd."))
        continue;
      snprintf (size, sizeof size, "%.*s", (int)(len - 8 - strlen (suffix)),
                de->d_name + 8);
      json_gen_key (g, size);
      json_gen_object_open (g);
      snprintf (f, sizeof f,
                v1 ? "hugetlb.%s.usage_in_bytes" : "hugetlb.%s.current", size);
      json_gen_kv_uint (g, "usage", rd (dir, f));
      snprintf (f, sizeof f,
                v1 ? "hugetlb.%s.max_usage_in_bytes" : "hugetlb.%s.max", size);
      json_gen_kv_uint (g, "max", rd (dir, f));
      snprintf (f, sizeof f, v1 ? "hugetlb.%s.failcnt" : "hugetlb.%s.events",
                size);
      json_gen_kv_uint (g, "failcnt",
                        v1 ? rd (dir, f) : rd_keyed (dir, f, "max"));
      json_gen_object_close (g);
    }
  json_gen_object_close (g);
}

int
cgroup_stats_json (const struct cgroup_handle *h, struct json_gen *g,
                   envrun_error_t *err)
{
  const struct cgroup_hierarchy *any = cgroup_unified (h);

  if (any == NULL)
    any = h->n_hier ? &h->hier[0] : NULL;
  if (any == NULL || access (any->dir, F_OK) < 0)
    return envrun_error_set (err, ENOENT, "cgroup %s", h->path);
  json_gen_object_open (g);
  stats_cpu (h, g);
  stats_pids_cpuset (h, g);
  stats_memory (h, g);
  stats_blkio (h, g);
  stats_hugetlb (h, g);
  json_gen_key (g, "intel_rdt");
  json_gen_object_open (g);
  json_gen_object_close (g);
  json_gen_key (g, "network_interfaces");
  json_gen_null (g);
  json_gen_object_close (g);
  return 0;
}

/* ---- OOM ---- */

struct cgroup_oom_watch
{
  int fd;        /* eventfd (v1) or inotify (v2) */
  char *dir;     /* v2: the leaf, to re-read memory.events */
  uint64_t seen; /* v2: oom_kill count already reported */
};

void
cgroup_oom_watch_free (struct cgroup_oom_watch *w)
{
  if (w == NULL)
    return;
  if (w->fd >= 0)
    close (w->fd);
  free (w->dir);
  free (w);
}

static int
oom_watch_v1 (struct cgroup_oom_watch *w, const char *dir, envrun_error_t *err)
{
  cleanup_close int ctl = -1;
  cleanup_free char *path = NULL;
  char buf[64];

  w->fd = eventfd (0, EFD_CLOEXEC);
  if (w->fd < 0)
    return envrun_error_set (err, errno, "eventfd");
  if (asprintf (&path, "%s/memory.oom_control", dir) < 0)
    return envrun_error_set (err, ENOMEM, "cgroup: oom");
  ctl = open (path, O_RDONLY | O_CLOEXEC);
  if (ctl < 0)
    return envrun_error_set (err, errno, "open %s", path);
  snprintf (buf, sizeof buf, "%d %d", w->fd, ctl);
  return cgroup_write (dir, "cgroup.event_control", buf, err);
}

static int
oom_watch_v2 (struct cgroup_oom_watch *w, const char *dir, envrun_error_t *err)
{
  cleanup_free char *path = NULL;

  w->dir = strdup (dir);
  if (w->dir == NULL || asprintf (&path, "%s/memory.events", dir) < 0)
    return envrun_error_set (err, ENOMEM, "cgroup: oom");
  w->seen = rd_keyed (dir, "memory.events", "oom_kill");
  w->fd = inotify_init1 (IN_CLOEXEC | IN_NONBLOCK);
  if (w->fd < 0)
    return envrun_error_set (err, errno, "inotify");
  if (inotify_add_watch (w->fd, path, IN_MODIFY) < 0)
    return envrun_error_set (err, errno, "watch %s", path);
  return 0;
}

int
cgroup_oom_watch_open (const struct cgroup_handle *h,
                       struct cgroup_oom_watch **out, envrun_error_t *err)
{
  struct cgroup_oom_watch *w = calloc (1, sizeof *w);
  const char *m = v1dir (h, "memory");
  int ret;

  if (w == NULL)
    return envrun_error_set (err, ENOMEM, "cgroup: oom");
  w->fd = -1;
  if (m)
    ret = oom_watch_v1 (w, m, err);
  else if (h->mode == CGROUP_MODE_UNIFIED && v2dir (h))
    ret = oom_watch_v2 (w, v2dir (h), err);
  else
    ret = envrun_error_set (err, ENOTSUP, "no memory cgroup to watch");
  if (ret < 0)
    {
      cgroup_oom_watch_free (w);
      return envrun_error_prefix (err, "watch OOM events of %s", h->path);
    }
  *out = w;
  return 0;
}

int
cgroup_oom_watch_fd (const struct cgroup_oom_watch *w)
{
  return w->fd;
}

int
cgroup_oom_watch_read (struct cgroup_oom_watch *w, uint64_t *n_new,
                       envrun_error_t *err)
{
  char buf[4096];
  uint64_t v = 0;

  *n_new = 0;
  if (w->dir == NULL)
    {
      /* eventfd: the counter is the number of OOM notifications */
      if (read (w->fd, &v, sizeof v) == (ssize_t)sizeof v)
        *n_new = v;
      else if (errno != EAGAIN)
        return envrun_error_set (err, errno, "read OOM eventfd");
      return 0;
    }
  while (read (w->fd, buf, sizeof buf) > 0)
    ;
  v = rd_keyed (w->dir, "memory.events", "oom_kill");
  if (v > w->seen)
    *n_new = v - w->seen;
  w->seen = v;
  return 0;
}
