/* cgroup layer: mode detection, hierarchies, path resolution, cgroupfs file
   access, and the handle's life cycle (create, open, enter, free).  */
#include "config-host.h"

#include "cgroup.h"
#include "cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#ifndef CGROUP_SUPER_MAGIC
#define CGROUP_SUPER_MAGIC 0x27e0eb
#endif
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define CGROUP_DEFAULT_ROOT "/sys/fs/cgroup"
/* Bound what we read from cgroupfs files (cgroup.procs of a big cgroup is
   the largest we read; 4 MB is ~500k pids).  */
#define CGROUP_READ_MAX (4u * 1024 * 1024)

static char *test_root;
static enum cgroup_mode test_mode;
static bool host_mode_known;
static enum cgroup_mode host_mode;

void
cgroup_set_root_for_tests (const char *root, enum cgroup_mode mode)
{
  free (test_root);
  test_root = root ? strdup (root) : NULL;
  test_mode = mode;
}

const char *
cgroup_root (void)
{
  return test_root ? test_root : CGROUP_DEFAULT_ROOT;
}

bool
cgroup_is_fake_tree (void)
{
  return test_root != NULL;
}

static bool
is_fs (const char *path, unsigned long magic)
{
  struct statfs sfs;

  return statfs (path, &sfs) == 0 && (unsigned long)sfs.f_type == magic;
}

int
cgroup_detect_mode (enum cgroup_mode *out, envrun_error_t *err)
{
  if (test_root)
    {
      *out = test_mode;
      return 0;
    }
  if (!host_mode_known)
    {
      if (is_fs (CGROUP_DEFAULT_ROOT, CGROUP2_SUPER_MAGIC))
        host_mode = CGROUP_MODE_UNIFIED;
      else if (is_fs (CGROUP_DEFAULT_ROOT "/unified", CGROUP2_SUPER_MAGIC))
        host_mode = CGROUP_MODE_HYBRID;
      else if (access (CGROUP_DEFAULT_ROOT, F_OK) == 0)
        host_mode = CGROUP_MODE_LEGACY;
      else
        return envrun_error_set (
            err, errno,
            "cgroup: no cgroup filesystem at " CGROUP_DEFAULT_ROOT);
      host_mode_known = true;
    }
  *out = host_mode;
  return 0;
}

void
cgroup_sleep_ms (unsigned int ms)
{
  struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

  while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
    ;
}

/* ---- cgroupfs files ---- */

static int
cgroup_open_file (const char *dir, const char *file, int flags, int *fd,
                  envrun_error_t *err)
{
  cleanup_free char *path = NULL;

  if (asprintf (&path, "%s/%s", dir, file) < 0)
    return envrun_error_set (err, ENOMEM, "cgroup: %s", file);
  *fd = open (path, flags | O_CLOEXEC);
  if (*fd < 0)
    return envrun_error_set (err, errno, "cgroup: open %s", path);
  return 0;
}

int
cgroup_write (const char *dir, const char *file, const char *value,
              envrun_error_t *err)
{
  cleanup_close int fd = -1;
  size_t len = strlen (value);
  ssize_t w;
  int ret;

  ret = cgroup_open_file (dir, file, O_WRONLY | O_TRUNC, &fd, err);
  if (ret < 0)
    return ret;
  w = write (fd, value, len);
  if (w < 0)
    return envrun_error_set (err, errno, "cgroup: write `%s` to %s/%s", value,
                             dir, file);
  if ((size_t)w != len)
    return envrun_error_set (err, EIO, "cgroup: short write to %s/%s", dir,
                             file);
  return 0;
}

int
cgroup_writef (const char *dir, const char *file, envrun_error_t *err,
               const char *fmt, ...)
{
  cleanup_free char *value = NULL;
  va_list ap;
  int r;

  va_start (ap, fmt);
  r = vasprintf (&value, fmt, ap);
  va_end (ap);
  if (r < 0)
    return envrun_error_set (err, ENOMEM, "cgroup: %s", file);
  return cgroup_write (dir, file, value, err);
}

int
cgroup_read (const char *dir, const char *file, char **out,
             envrun_error_t *err)
{
  cleanup_close int fd = -1;
  cleanup_free char *buf = NULL;
  size_t len = 0, cap = 0;
  int ret;

  ret = cgroup_open_file (dir, file, O_RDONLY, &fd, err);
  if (ret < 0)
    return ret;
  for (;;)
    {
      ssize_t r;

      if (cap - len < 4096)
        {
          char *nbuf;

          if (cap >= CGROUP_READ_MAX)
            return envrun_error_set (err, EFBIG, "cgroup: %s/%s too large",
                                     dir, file);
          cap = cap ? cap * 2 : 8192;
          nbuf = realloc (buf, cap + 1);
          if (nbuf == NULL)
            return envrun_error_set (err, ENOMEM, "cgroup: %s/%s", dir, file);
          buf = nbuf;
        }
      r = read (fd, buf + len, cap - len);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return envrun_error_set (err, errno, "cgroup: read %s/%s", dir, file);
      if (r == 0)
        break;
      len += (size_t)r;
    }
  if (buf == NULL && (buf = malloc (1)) == NULL)
    return envrun_error_set (err, ENOMEM, "cgroup: %s/%s", dir, file);
  buf[len] = '\0';
  *out = steal_pointer (&buf);
  return 0;
}

static int
parse_u64 (const char *s, uint64_t *out)
{
  char *end;
  unsigned long long v;

  while (*s == ' ' || *s == '\t')
    s++;
  if (strncmp (s, "max", 3) == 0)
    {
      *out = UINT64_MAX;
      return 0;
    }
  errno = 0;
  v = strtoull (s, &end, 10);
  if (errno || end == s || *s == '-')
    return -1;
  *out = v;
  return 0;
}

int
cgroup_read_u64 (const char *dir, const char *file, uint64_t *out,
                 envrun_error_t *err)
{
  cleanup_free char *buf = NULL;
  int ret = cgroup_read (dir, file, &buf, err);

  if (ret < 0)
    return ret;
  if (parse_u64 (buf, out) < 0)
    return envrun_error_set (err, EINVAL, "cgroup: %s/%s: not a number", dir,
                             file);
  return 0;
}

int
cgroup_read_keyed (const char *dir, const char *file, const char *key,
                   uint64_t *out, envrun_error_t *err)
{
  cleanup_free char *buf = NULL;
  size_t klen = strlen (key);
  int ret = cgroup_read (dir, file, &buf, err);

  if (ret < 0)
    return ret;
  for (char *line = buf; line && *line;)
    {
      char *nl = strchr (line, '\n');

      if (nl)
        *nl = '\0';
      if (strncmp (line, key, klen) == 0 && line[klen] == ' '
          && parse_u64 (line + klen + 1, out) == 0)
        return 0;
      line = nl ? nl + 1 : NULL;
    }
  return envrun_error_set (err, ENOENT, "cgroup: %s/%s: no key %s", dir, file,
                           key);
}

bool
cgroup_file_exists (const char *dir, const char *file)
{
  cleanup_free char *path = NULL;

  if (asprintf (&path, "%s/%s", dir, file) < 0)
    return false;
  return access (path, F_OK) == 0;
}

/* ---- paths ---- */

/* Append the components of `p` to `buf`, dropping "." and empty ones;
   refuse "..": a cgroupsPath must not climb out of where it is put.  */
static int
append_components (char *buf, size_t size, const char *p, envrun_error_t *err)
{
  cleanup_free char *copy = strdup (p);
  char *save = NULL;

  if (copy == NULL)
    return envrun_error_set (err, ENOMEM, "cgroup: path");
  for (char *c = strtok_r (copy, "/", &save); c;
       c = strtok_r (NULL, "/", &save))
    {
      size_t len = strlen (buf);

      if (strcmp (c, ".") == 0)
        continue;
      if (strcmp (c, "..") == 0)
        return envrun_error_set (err, EINVAL,
                                 "linux.cgroupsPath: `%s`: must not contain"
                                 " `..`",
                                 p);
      if (snprintf (buf + len, size - len, "/%s", c) >= (int)(size - len))
        return envrun_error_set (err, ENAMETOOLONG,
                                 "linux.cgroupsPath: too long");
    }
  return 0;
}

int
cgroup_resolve_path (const char *cgroups_path, const char *id, const char *own,
                     char **out, envrun_error_t *err)
{
  char buf[PATH_MAX] = "";
  int ret;

  if (cgroups_path && strchr (cgroups_path, ';'))
    return envrun_error_set (err, EINVAL,
                             "linux.cgroupsPath: `%s`: must not contain `;`",
                             cgroups_path);
  if (cgroups_path == NULL || cgroups_path[0] == '\0')
    {
      if (id == NULL || strchr (id, '/') || strcmp (id, "..") == 0
          || strcmp (id, ".") == 0 || id[0] == '\0')
        return envrun_error_set (err, EINVAL, "cgroup: invalid id");
      ret = append_components (buf, sizeof buf, "envrun", err);
      if (ret == 0)
        ret = append_components (buf, sizeof buf, id, err);
    }
  else
    {
      ret = 0;
      if (cgroups_path[0] != '/' && own)
        ret = append_components (buf, sizeof buf, own, err);
      if (ret == 0)
        ret = append_components (buf, sizeof buf, cgroups_path, err);
    }
  if (ret < 0)
    return ret;
  if (buf[0] == '\0')
    return envrun_error_set (err, EINVAL,
                             "linux.cgroupsPath: `%s`: names the root cgroup",
                             cgroups_path);
  *out = strdup (buf);
  if (*out == NULL)
    return envrun_error_set (err, ENOMEM, "cgroup: path");
  return 0;
}

/* The runtime's own cgroup in hierarchy `name` from /proc/self/cgroup
   ("" is the cgroup2 line).  "/" when not found.  */
static char *
own_cgroup (const char *name)
{
  cleanup_fclose FILE *f = NULL;
  cleanup_free char *line = NULL;
  size_t cap = 0;

  if (test_root == NULL)
    f = fopen ("/proc/self/cgroup", "re");
  while (f && getline (&line, &cap, f) > 0)
    {
      char *ctrl = strchr (line, ':'), *path;

      if (ctrl == NULL || (path = strchr (++ctrl, ':')) == NULL)
        continue;
      *path++ = '\0';
      path[strcspn (path, "\n")] = '\0';
      if (strcmp (ctrl, name) == 0
          || (strncmp (ctrl, "name=", 5) == 0 && strcmp (ctrl + 5, name) == 0))
        return strdup (path);
    }
  return strdup ("/");
}

/* ---- hierarchies ---- */

static void
hierarchies_free (struct cgroup_hierarchy *hier, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (hier[i].name);
      free (hier[i].mount);
      free (hier[i].dir);
    }
  free (hier);
}

static int
hierarchy_add (struct cgroup_handle *h, const char *name, const char *mount,
               bool unified, envrun_error_t *err)
{
  struct cgroup_hierarchy *n;

  n = realloc (h->hier, (h->n_hier + 1) * sizeof *n);
  if (n == NULL)
    return envrun_error_set (err, ENOMEM, "cgroup: hierarchies");
  h->hier = n;
  n = &h->hier[h->n_hier];
  memset (n, 0, sizeof *n);
  n->unified = unified;
  n->name = strdup (name);
  n->mount = strdup (mount);
  h->n_hier++;
  if (n->name == NULL || n->mount == NULL)
    return envrun_error_set (err, ENOMEM, "cgroup: hierarchies");
  return 0;
}

/* Every v1 hierarchy mounted under the root: one directory per mount
   (co-mounted "cpu,cpuacct" once; its symlinks are skipped).  */
static int
list_v1_hierarchies (struct cgroup_handle *h, envrun_error_t *err)
{
  const char *root = cgroup_root ();
  cleanup_dir DIR *d = opendir (root);
  struct dirent *de;

  if (d == NULL)
    return envrun_error_set (err, errno, "cgroup: open %s", root);
  while ((de = readdir (d)))
    {
      cleanup_free char *mount = NULL;
      struct stat st;
      int ret;

      if (de->d_name[0] == '.' || strcmp (de->d_name, "unified") == 0)
        continue;
      if (fstatat (dirfd (d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0
          || !S_ISDIR (st.st_mode))
        continue;
      if (asprintf (&mount, "%s/%s", root, de->d_name) < 0)
        return envrun_error_set (err, ENOMEM, "cgroup: hierarchies");
      if (test_root == NULL && !is_fs (mount, CGROUP_SUPER_MAGIC))
        continue;
      ret = hierarchy_add (h, de->d_name, mount, false, err);
      if (ret < 0)
        return ret;
    }
  return 0;
}

static int
list_hierarchies (struct cgroup_handle *h, envrun_error_t *err)
{
  cleanup_free char *unified = NULL;
  int ret;

  ret = cgroup_detect_mode (&h->mode, err);
  if (ret < 0)
    return ret;
  if (h->mode == CGROUP_MODE_UNIFIED)
    return hierarchy_add (h, "", cgroup_root (), true, err);
  ret = list_v1_hierarchies (h, err);
  if (ret < 0 || h->mode == CGROUP_MODE_LEGACY)
    return ret;
  if (asprintf (&unified, "%s/unified", cgroup_root ()) < 0)
    return envrun_error_set (err, ENOMEM, "cgroup: hierarchies");
  return hierarchy_add (h, "", unified, true, err);
}

const struct cgroup_hierarchy *
cgroup_unified (const struct cgroup_handle *h)
{
  for (size_t i = 0; i < h->n_hier; i++)
    if (h->hier[i].unified)
      return &h->hier[i];
  return NULL;
}

const struct cgroup_hierarchy *
cgroup_v1 (const struct cgroup_handle *h, const char *controller)
{
  size_t clen = strlen (controller);

  for (size_t i = 0; i < h->n_hier; i++)
    {
      const char *p = h->hier[i].name;

      if (h->hier[i].unified)
        continue;
      /* the name is a comma-separated list of co-mounted controllers */
      while ((p = strstr (p, controller)))
        {
          bool start = p == h->hier[i].name || p[-1] == ',';
          bool end = p[clen] == '\0' || p[clen] == ',';

          if (start && end)
            return &h->hier[i];
          p += clen;
        }
    }
  return NULL;
}

static struct cgroup_handle *
handle_new (void)
{
  struct cgroup_handle *h = calloc (1, sizeof *h);

  if (h)
    h->unified_fd = -1;
  return h;
}

void
cgroup_handle_free (struct cgroup_handle *h)
{
  if (h == NULL)
    return;
  hierarchies_free (h->hier, h->n_hier);
  for (size_t i = 0; i < h->n_created; i++)
    free (h->created[i]);
  free (h->created);
  if (h->unified_fd >= 0)
    close (h->unified_fd);
  free (h->path);
  free (h);
}

static void
cleanup_handlep (struct cgroup_handle **h)
{
  cgroup_handle_free (*h);
}
#define cleanup_handle __attribute__ ((cleanup (cleanup_handlep)))

/* Give every hierarchy its dir from a per-hierarchy path and build the
   encoded path string (see cgroup_path()).  `paths[i]` are stolen.  */
static int
set_dirs (struct cgroup_handle *h, char **paths, envrun_error_t *err)
{
  const struct cgroup_hierarchy *u = cgroup_unified (h);
  size_t def = u ? (size_t)(u - h->hier) : 0;
  char *enc = strdup (paths[def]);

  for (size_t i = 0; enc && i < h->n_hier; i++)
    {
      char *n = NULL;

      if (strcmp (paths[i], paths[def]) != 0
          && asprintf (&n, "%s;%s=%s", enc, h->hier[i].name, paths[i]) < 0)
        n = NULL, free (enc), enc = NULL;
      else if (n)
        free (enc), enc = n;
    }
  for (size_t i = 0; enc && i < h->n_hier; i++)
    if (asprintf (&h->hier[i].dir, "%s%s", h->hier[i].mount, paths[i]) < 0)
      h->hier[i].dir = NULL, free (enc), enc = NULL;
  if (enc == NULL)
    return envrun_error_set (err, ENOMEM, "cgroup: path");
  h->path = enc;
  return 0;
}

static void
paths_free (char **paths, size_t n)
{
  for (size_t i = 0; paths && i < n; i++)
    free (paths[i]);
  free (paths);
}

static int
resolve_all (struct cgroup_handle *h, const char *cgroups_path, const char *id,
             envrun_error_t *err)
{
  char **paths = calloc (h->n_hier ? h->n_hier : 1, sizeof *paths);
  int ret = 0;

  if (paths == NULL)
    return envrun_error_set (err, ENOMEM, "cgroup: path");
  for (size_t i = 0; ret == 0 && i < h->n_hier; i++)
    {
      cleanup_free char *own = NULL;
      bool relative
          = cgroups_path && cgroups_path[0] && cgroups_path[0] != '/';

      if (relative && (own = own_cgroup (h->hier[i].name)) == NULL)
        ret = envrun_error_set (err, ENOMEM, "cgroup: path");
      if (ret == 0)
        ret = cgroup_resolve_path (cgroups_path, id, own, &paths[i], err);
    }
  if (ret == 0)
    ret = set_dirs (h, paths, err);
  paths_free (paths, h->n_hier);
  return ret;
}

int
cgroup_open (const char *path, struct cgroup_handle **out, envrun_error_t *err)
{
  cleanup_handle struct cgroup_handle *h = handle_new ();
  cleanup_free char *copy = path ? strdup (path) : NULL;
  char **paths = NULL, *save = NULL, *def;
  int ret;

  if (h == NULL || copy == NULL)
    return envrun_error_set (err, path ? ENOMEM : EINVAL, "cgroup: open `%s`",
                             path ? path : "");
  ret = list_hierarchies (h, err);
  if (ret < 0)
    return ret;
  def = strtok_r (copy, ";", &save);
  if (def == NULL || def[0] != '/' || strstr (def, "/.."))
    return envrun_error_set (err, EINVAL, "cgroup: bad path `%s`", path);
  paths = calloc (h->n_hier ? h->n_hier : 1, sizeof *paths);
  if (paths == NULL)
    return envrun_error_set (err, ENOMEM, "cgroup: path");
  for (size_t i = 0; i < h->n_hier; i++)
    paths[i] = strdup (def);
  for (char *t = strtok_r (NULL, ";", &save); t;
       t = strtok_r (NULL, ";", &save))
    {
      char *sep = strstr (t, "=/");

      if (sep == NULL || strstr (sep, "/.."))
        {
          paths_free (paths, h->n_hier);
          return envrun_error_set (err, EINVAL, "cgroup: bad path `%s`", path);
        }
      *sep = '\0';
      for (size_t i = 0; i < h->n_hier; i++)
        if (strcmp (h->hier[i].name, t) == 0 && paths[i])
          {
            free (paths[i]);
            paths[i] = strdup (sep + 1);
          }
    }
  for (size_t i = 0; i < h->n_hier; i++)
    if (paths[i] == NULL)
      {
        paths_free (paths, h->n_hier);
        return envrun_error_set (err, ENOMEM, "cgroup: path");
      }
  ret = set_dirs (h, paths, err);
  paths_free (paths, h->n_hier);
  if (ret < 0)
    return ret;
  cgroup_hybrid_keep_existing (h);
  if (h->mode == CGROUP_MODE_UNIFIED)
    h->unified_fd = open (h->hier[0].dir, O_DIRECTORY | O_CLOEXEC);
  *out = steal_pointer (&h);
  return 0;
}

const char *
cgroup_path (const struct cgroup_handle *h)
{
  return h->path;
}

int
cgroup_clone_fd (const struct cgroup_handle *h)
{
  /* Hybrid hosts too: cloning into the unified leaf saves one migration
     (and its wait for an RCU grace period); the v1 hierarchies are still
     joined by cgroup_enter.  */
  return h->unified_fd;
}

void
cgroup_note_cloned_into (struct cgroup_handle *h)
{
  h->joined_via_clone = true;
}

int
cgroup_enter (struct cgroup_handle *h, pid_t pid, envrun_error_t *err)
{
  for (size_t i = 0; i < h->n_hier; i++)
    {
      int ret;

      if (h->hier[i].unified && h->joined_via_clone)
        continue;
      ret = cgroup_writef (h->hier[i].dir, "cgroup.procs", err, "%d",
                           (int)pid);
      if (ret < 0)
        return envrun_error_prefix (err, "join cgroup %s", h->path);
    }
  return 0;
}

int
cgroup_handle_for_create (const char *cgroups_path, const char *id,
                          struct cgroup_handle **out, envrun_error_t *err)
{
  cleanup_handle struct cgroup_handle *h = handle_new ();
  int ret;

  if (h == NULL)
    return envrun_error_set (err, ENOMEM, "cgroup: create");
  ret = list_hierarchies (h, err);
  if (ret == 0)
    ret = resolve_all (h, cgroups_path, id, err);
  if (ret < 0)
    return ret;
  *out = steal_pointer (&h);
  return 0;
}

/* ---- hybrid hosts: v1 only where a limit needs it ----

   Every migration into a cgroup waits for an RCU grace period after the
   machine has been idle (7-20 ms here); cloning into the unified leaf
   with CLONE_INTO_CGROUP does not migrate at all.  On a hybrid host the
   unified leaf gives envrun all it needs for a container without limits:
   cgroup.procs (ps, kill --all), cgroup.freeze (pause), a BPF device
   program (device rules).  So when the config leaves the cgroup's place
   to us (no cgroupsPath), the v1 hierarchies are joined only for the
   controllers a configured limit needs.  */

static bool
needs_controller (const struct envrun_resources *r, const char *name)
{
  if (r == NULL)
    return false;
  if (strstr (name, "memory"))
    return r->has_memory_limit || r->has_memory_reservation
           || r->has_memory_swap || r->has_memory_kernel
           || r->has_memory_kernel_tcp || r->has_memory_swappiness
           || r->has_disable_oom_killer;
  if (strstr (name, "cpuset"))
    return r->cpu_cpus || r->cpu_mems;
  if (strstr (name, "cpu"))
    return r->has_cpu_shares || r->has_cpu_quota || r->has_cpu_period
           || r->has_cpu_burst || r->has_cpu_realtime_runtime
           || r->has_cpu_realtime_period || r->has_cpu_idle;
  if (strstr (name, "pids"))
    return r->has_pids_limit;
  if (strstr (name, "blkio"))
    return r->has_blkio_weight || r->has_blkio_leaf_weight
           || r->n_blkio_weight_devices || r->n_blkio_throttle_read_bps
           || r->n_blkio_throttle_write_bps || r->n_blkio_throttle_read_iops
           || r->n_blkio_throttle_write_iops;
  if (strstr (name, "hugetlb"))
    return r->n_hugepage_limits > 0;
  if (strstr (name, "net_cls") || strstr (name, "net_prio"))
    return r->has_network_class_id || r->n_network_priorities;
  return false; /* devices, freezer, name=systemd, perf_event, rdma… */
}

static void
drop_hierarchy (struct cgroup_handle *h, size_t i)
{
  free (h->hier[i].name);
  free (h->hier[i].mount);
  free (h->hier[i].dir);
  memmove (&h->hier[i], &h->hier[i + 1],
           (h->n_hier - i - 1) * sizeof *h->hier);
  h->n_hier--;
}

void
cgroup_hybrid_keep_needed (struct cgroup_handle *h,
                           const struct envrun_resources *r)
{
  if (h->mode != CGROUP_MODE_HYBRID || cgroup_unified (h) == NULL)
    return;
  for (size_t i = h->n_hier; i-- > 0;)
    if (!h->hier[i].unified && !needs_controller (r, h->hier[i].name))
      drop_hierarchy (h, i);
}

void
cgroup_hybrid_keep_existing (struct cgroup_handle *h)
{
  struct stat st;

  if (h->mode != CGROUP_MODE_HYBRID || cgroup_unified (h) == NULL)
    return;
  for (size_t i = h->n_hier; i-- > 0;)
    if (!h->hier[i].unified && stat (h->hier[i].dir, &st) < 0)
      drop_hierarchy (h, i);
}
