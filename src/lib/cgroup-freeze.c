/* cgroup layer: freezing, listing processes, and tearing a cgroup down
   (kill what remains, wait, remove in every hierarchy).  */
#include "config-host.h"

#include "cgroup.h"
#include "cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Polling budgets.  Freezing waits for every task to reach the freezer;
   a task in uninterruptible sleep can take a while.  */
#define FREEZE_TRIES 2000  /* x 1 ms */
#define DESTROY_TRIES 2000 /* x 5 ms: 10 s for SIGKILLed tasks to go */
#define MAX_NESTING 32     /* sub-cgroups the container made */

static bool
is_enoent (envrun_error_t *err)
{
  return err && *err && (*err)->status == ENOENT;
}

int
cgroup_v1_freeze (const char *dir, bool frozen, envrun_error_t *err)
{
  const char *want = frozen ? "FROZEN" : "THAWED";

  for (int i = 0; i < FREEZE_TRIES; i++)
    {
      cleanup_free char *state = NULL;
      int ret = 0;

      /* rewrite now and then: tasks forked meanwhile need freezing too */
      if (i % 10 == 0)
        ret = cgroup_write (dir, "freezer.state", want, err);
      if (ret == 0)
        ret = cgroup_read (dir, "freezer.state", &state, err);
      if (ret < 0)
        return ret;
      if (strncmp (state, want, strlen (want)) == 0)
        return 0;
      cgroup_sleep_ms (1);
    }
  if (frozen)
    cgroup_write (dir, "freezer.state", "THAWED", NULL);
  return envrun_error_set (err, EBUSY, "cgroup: %s: timed out %s", dir,
                           frozen ? "freezing" : "thawing");
}

int
cgroup_v2_freeze (const char *dir, bool frozen, envrun_error_t *err)
{
  int ret = cgroup_write (dir, "cgroup.freeze", frozen ? "1" : "0", err);

  if (ret < 0)
    return ret;
  for (int i = 0; i < FREEZE_TRIES; i++)
    {
      uint64_t v = 0;

      ret = cgroup_read_keyed (dir, "cgroup.events", "frozen", &v, err);
      if (ret < 0)
        return ret;
      if ((v != 0) == frozen)
        return 0;
      cgroup_sleep_ms (1);
    }
  if (frozen)
    cgroup_write (dir, "cgroup.freeze", "0", NULL);
  return envrun_error_set (err, EBUSY, "cgroup: %s: timed out %s", dir,
                           frozen ? "freezing" : "thawing");
}

int
cgroup_freeze (struct cgroup_handle *h, bool frozen, envrun_error_t *err)
{
  const struct cgroup_hierarchy *v1 = cgroup_v1 (h, "freezer");
  const struct cgroup_hierarchy *v2 = cgroup_unified (h);
  int ret;

  if (v1)
    ret = cgroup_v1_freeze (v1->dir, frozen, err);
  else if (v2)
    ret = cgroup_v2_freeze (v2->dir, frozen, err);
  else
    ret = envrun_error_set (err, ENOTSUP, "no freezer cgroup is mounted");
  if (ret < 0)
    return envrun_error_prefix (err, "%s cgroup %s",
                                frozen ? "freeze" : "thaw", h->path);
  return 0;
}

int
cgroup_is_frozen (const struct cgroup_handle *h, bool *out,
                  envrun_error_t *err)
{
  const struct cgroup_hierarchy *v1 = cgroup_v1 (h, "freezer");
  const struct cgroup_hierarchy *v2 = cgroup_unified (h);
  cleanup_free char *s = NULL;
  int ret;

  if (v1 == NULL && v2 == NULL)
    {
      *out = false;
      return 0;
    }
  ret = cgroup_read (v1 ? v1->dir : v2->dir,
                     v1 ? "freezer.state" : "cgroup.freeze", &s, err);
  if (ret < 0 && v2 && !v1 && is_enoent (err))
    {
      /* the root cgroup and old kernels have no cgroup.freeze */
      envrun_error_free (err);
      *out = false;
      return 0;
    }
  if (ret < 0)
    return ret;
  *out = v1 ? strncmp (s, "FROZEN", 6) == 0 : s[0] == '1';
  return 0;
}

/* ---- processes ---- */

struct pid_list
{
  pid_t *v;
  size_t n, cap;
};

static int
pid_list_add (struct pid_list *l, pid_t pid)
{
  for (size_t i = 0; i < l->n; i++)
    if (l->v[i] == pid)
      return 0;
  if (l->n == l->cap)
    {
      size_t cap = l->cap ? l->cap * 2 : 16;
      pid_t *v = realloc (l->v, cap * sizeof *v);

      if (v == NULL)
        return -1;
      l->v = v;
      l->cap = cap;
    }
  l->v[l->n++] = pid;
  return 0;
}

static int
collect_pids (const char *dir, int depth, struct pid_list *l,
              envrun_error_t *err)
{
  cleanup_free char *procs = NULL;
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  int ret = cgroup_read (dir, "cgroup.procs", &procs, err);

  if (ret < 0 && is_enoent (err))
    {
      envrun_error_free (err);
      return 0;
    }
  if (ret < 0)
    return ret;
  for (char *p = procs, *end; *p; p = end)
    {
      long v = strtol (p, &end, 10);

      if (end == p)
        break;
      if (v > 0 && pid_list_add (l, (pid_t)v) < 0)
        return envrun_error_set (err, ENOMEM, "cgroup: pids");
    }
  if (depth >= MAX_NESTING || (d = opendir (dir)) == NULL)
    return 0;
  while ((de = readdir (d)))
    {
      cleanup_free char *sub = NULL;

      if (de->d_type != DT_DIR || de->d_name[0] == '.')
        continue;
      if (asprintf (&sub, "%s/%s", dir, de->d_name) < 0)
        return envrun_error_set (err, ENOMEM, "cgroup: pids");
      ret = collect_pids (sub, depth + 1, l, err);
      if (ret < 0)
        return ret;
    }
  return 0;
}

/* The hierarchy every process of the container is in, for listing.  */
static const struct cgroup_hierarchy *
procs_hierarchy (const struct cgroup_handle *h)
{
  static const char *const prefer[] = { "pids", "freezer", "memory", "cpu" };
  const struct cgroup_hierarchy *c = cgroup_unified (h);

  for (size_t i = 0; c == NULL && i < 4; i++)
    c = cgroup_v1 (h, prefer[i]);
  return c ? c : (h->n_hier ? &h->hier[0] : NULL);
}

int
cgroup_pids (const struct cgroup_handle *h, pid_t **pids, size_t *n,
             envrun_error_t *err)
{
  const struct cgroup_hierarchy *c = procs_hierarchy (h);
  struct pid_list l = { 0 };
  int ret = c ? collect_pids (c->dir, 0, &l, err) : 0;

  if (ret < 0)
    {
      free (l.v);
      return envrun_error_prefix (err, "list processes of cgroup %s", h->path);
    }
  *pids = l.v;
  *n = l.n;
  return 0;
}

/* ---- destroy ---- */

/* SIGKILL everything.  With a v1 freezer, freeze first so nothing forks
   between listing and killing, then thaw so the kill is delivered.  */
static int
kill_all (struct cgroup_handle *h, envrun_error_t *err)
{
  const struct cgroup_hierarchy *fz = cgroup_v1 (h, "freezer");
  const struct cgroup_hierarchy *u = cgroup_unified (h);
  cleanup_free pid_t *pids = NULL;
  size_t n = 0;
  bool frozen = false;
  int ret;

  if (fz && access (fz->dir, F_OK) == 0)
    frozen = cgroup_v1_freeze (fz->dir, true, NULL) == 0;
  else if (u && cgroup_file_exists (u->dir, "cgroup.kill"))
    return cgroup_write (u->dir, "cgroup.kill", "1", err);
  ret = cgroup_pids (h, &pids, &n, err);
  for (size_t i = 0; ret == 0 && i < n; i++)
    kill (pids[i], SIGKILL);
  if (frozen)
    cgroup_v1_freeze (fz->dir, false, NULL);
  return ret;
}

static int
remove_tree (const char *dir, int depth, envrun_error_t *err)
{
  cleanup_dir DIR *d = opendir (dir);
  struct dirent *de;

  while (d && depth < MAX_NESTING && (de = readdir (d)))
    {
      cleanup_free char *sub = NULL;
      int ret;

      if (de->d_type != DT_DIR || de->d_name[0] == '.')
        continue;
      if (asprintf (&sub, "%s/%s", dir, de->d_name) < 0)
        return envrun_error_set (err, ENOMEM, "cgroup: remove");
      ret = remove_tree (sub, depth + 1, err);
      if (ret < 0)
        return ret;
    }
  for (int i = 0; i < 200; i++)
    {
      if (rmdir (dir) == 0 || errno == ENOENT)
        return 0;
      if (errno != EBUSY)
        break;
      cgroup_sleep_ms (5); /* v1 can lag behind the last task's exit */
    }
  return envrun_error_set (err, errno, "cgroup: rmdir %s", dir);
}

int
cgroup_destroy (struct cgroup_handle *h, envrun_error_t *err)
{
  int ret;

  for (int i = 0; i < DESTROY_TRIES; i++)
    {
      cleanup_free pid_t *pids = NULL;
      size_t n = 0;

      ret = cgroup_pids (h, &pids, &n, err);
      if (ret < 0)
        return ret;
      if (n == 0)
        break;
      if (i % 20 == 0 && kill_all (h, err) < 0)
        return envrun_error_prefix (err, "destroy cgroup %s", h->path);
      if (i == DESTROY_TRIES - 1)
        return envrun_error_set (
            err, EBUSY, "destroy cgroup %s: %zu processes remain", h->path, n);
      cgroup_sleep_ms (i < 10 ? 1 : 5);
    }
  for (size_t i = 0; i < h->n_hier; i++)
    {
      ret = remove_tree (h->hier[i].dir, 0, err);
      if (ret < 0)
        return envrun_error_prefix (err, "destroy cgroup %s", h->path);
    }
  return 0;
}
