/* cgroup layer: creating a container's cgroup in every hierarchy, applying
   resources (create and update), and rolling back a failed create.  */
#include "config-host.h"

#include "cgroup.h"
#include "cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int
remember_created (struct cgroup_handle *h, const char *dir,
                  envrun_error_t *err)
{
  char **n = realloc (h->created, (h->n_created + 1) * sizeof *n);

  if (n == NULL)
    return envrun_error_set (err, ENOMEM, "cgroup: create");
  h->created = n;
  n[h->n_created] = strdup (dir);
  if (n[h->n_created] == NULL)
    return envrun_error_set (err, ENOMEM, "cgroup: create");
  h->n_created++;
  return 0;
}

/* A new v1 cpuset cgroup starts with empty cpus and mems, and no task can
   join it until they are set: inherit the parent's, as runc does.  */
static int
cpuset_inherit (const char *dir, envrun_error_t *err)
{
  static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
  cleanup_free char *parent = strdup (dir);
  char *slash = parent ? strrchr (parent, '/') : NULL;

  if (slash == NULL)
    return envrun_error_set (err, ENOMEM, "cgroup: cpuset");
  *slash = '\0';
  for (size_t i = 0; i < 2; i++)
    {
      cleanup_free char *cur = NULL, *par = NULL;
      int ret = cgroup_read (dir, files[i], &cur, err);

      if (ret < 0)
        return ret;
      if (cur[strspn (cur, " \n")] != '\0')
        continue;
      ret = cgroup_read (parent, files[i], &par, err);
      if (ret == 0)
        ret = cgroup_write (dir, files[i], par, err);
      if (ret < 0)
        return ret;
    }
  return 0;
}

/* mkdir -p of hier->dir below its mount, recording what we made.  */
static int
make_dirs (struct cgroup_handle *h, const struct cgroup_hierarchy *hier,
           bool *leaf_created, envrun_error_t *err)
{
  size_t mlen = strlen (hier->mount);
  cleanup_free char *buf = strdup (hier->dir);
  bool cpuset = !hier->unified && cgroup_v1 (h, "cpuset") == hier;

  if (buf == NULL)
    return envrun_error_set (err, ENOMEM, "cgroup: create");
  *leaf_created = false;
  for (char *p = buf + mlen; p && *p;)
    {
      char *next = strchr (p + 1, '/');
      int ret;

      if (next)
        *next = '\0';
      if (mkdir (buf, 0755) < 0)
        {
          if (errno != EEXIST)
            return envrun_error_set (err, errno, "cgroup: mkdir %s", buf);
        }
      else
        {
          ret = remember_created (h, buf, err);
          if (ret < 0)
            return ret;
          *leaf_created = next == NULL;
        }
      /* Also for a parent another create just made: it may not have
         filled its cpuset yet, and joining an empty one fails (ENOSPC).  */
      if (cpuset && (ret = cpuset_inherit (buf, err)) < 0)
        return ret;
      if (next)
        *next = '/';
      p = next;
    }
  return 0;
}

static int
check_empty (const struct cgroup_hierarchy *hier, envrun_error_t *err)
{
  cleanup_free char *procs = NULL;
  int ret = cgroup_read (hier->dir, "cgroup.procs", &procs, err);

  if (ret < 0 && err && *err && (*err)->status == ENOENT)
    {
      /* a fake tree in tests has no cgroup.procs: nothing to check */
      envrun_error_free (err);
      return 0;
    }
  if (ret < 0)
    return ret;
  if (procs[strspn (procs, " \n")] != '\0')
    return envrun_error_set (err, EBUSY, "cgroup %s already has processes",
                             hier->dir);
  return 0;
}

/* Remove what cgroup_create made, deepest first.  Best effort: this runs
   on an error path and must not hide the first error.  */
static void
rollback (struct cgroup_handle *h)
{
  for (size_t i = h->n_created; i-- > 0;)
    rmdir (h->created[i]);
}

static int
apply_devices (struct cgroup_handle *h, const struct envrun_config *cfg,
               const struct envrun_resources *r, envrun_error_t *err)
{
  cleanup_free struct cgroup_device_rule *rules = NULL;
  const struct cgroup_hierarchy *dev = cgroup_v1 (h, "devices");
  size_t n = 0;
  int ret;

  if (cfg == NULL && (r == NULL || r->n_devices == 0))
    return 0; /* update without device rules: leave them */
  ret = cgroup_device_rules (cfg, r, &rules, &n, err);
  if (ret < 0)
    return ret;
  if (dev)
    return cgroup_v1_devices_apply (dev->dir, rules, n, err);
  if (h->unified_fd >= 0 && cgroup_is_fake_tree ())
    {
      cleanup_free void *insns = NULL;
      size_t n_insns;

      return cgroup_bpf_build (rules, n, &insns, &n_insns, err);
    }
  if (h->unified_fd >= 0) /* no v1 devices controller: v2 it is */
    return cgroup_bpf_attach (h->unified_fd, rules, n, err);
  return 0;
}

static int
apply (struct cgroup_handle *h, const struct envrun_config *cfg,
       const struct envrun_resources *r, envrun_error_t *err)
{
  int ret = 0;

  if (r && h->mode != CGROUP_MODE_UNIFIED)
    ret = cgroup_v1_apply (h, r, err);
  if (ret == 0 && r && cgroup_unified (h))
    ret = cgroup_v2_apply (h, r, err);
  if (ret == 0)
    ret = apply_devices (h, cfg, r, err);
  return ret;
}

int
cgroup_update (struct cgroup_handle *h, const struct envrun_resources *r,
               envrun_error_t *err)
{
  int ret = apply (h, NULL, r, err);

  if (ret < 0)
    return envrun_error_prefix (err, "cgroup %s", h->path);
  return 0;
}

static int
create_dirs (struct cgroup_handle *h, envrun_error_t *err)
{
  for (size_t i = 0; i < h->n_hier; i++)
    {
      bool leaf_created = false;
      int ret = make_dirs (h, &h->hier[i], &leaf_created, err);

      if (ret == 0 && !leaf_created)
        ret = check_empty (&h->hier[i], err);
      if (ret < 0)
        return ret;
    }
  if (cgroup_unified (h))
    {
      h->unified_fd = open (cgroup_unified (h)->dir, O_DIRECTORY | O_CLOEXEC);
      if (h->unified_fd < 0)
        return envrun_error_set (err, errno, "cgroup: open %s",
                                 cgroup_unified (h)->dir);
    }
  return 0;
}

int
cgroup_create (const struct envrun_config *cfg, const char *id,
               struct cgroup_handle **out, envrun_error_t *err)
{
  const struct envrun_linux *lx = cfg ? cfg->linux_ : NULL;
  struct cgroup_handle *h = NULL;
  int ret;

  ret = cgroup_handle_for_create (lx ? lx->cgroups_path : NULL, id, &h, err);
  if (ret < 0)
    return ret;
  /* An orchestrator that names the cgroup reads it too (containerd's
     metrics and OOM events read the v1 hierarchies): give it runc's
     layout.  Without cgroupsPath the placement is ours to make cheap.  */
  if (lx == NULL || lx->cgroups_path == NULL || !lx->cgroups_path[0])
    cgroup_hybrid_keep_needed (h, lx ? lx->resources : NULL);
  ret = create_dirs (h, err);
  if (ret == 0 && h->mode == CGROUP_MODE_UNIFIED)
    ret = cgroup_v2_enable_controllers (h, NULL, err);
  if (ret == 0)
    ret = apply (h, cfg, lx ? lx->resources : NULL, err);
  if (ret < 0)
    {
      rollback (h);
      cgroup_handle_free (h);
      return envrun_error_prefix (err, "create cgroup");
    }
  *out = h;
  return 0;
}
