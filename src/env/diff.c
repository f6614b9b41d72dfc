/* env diff: what the environment's own layers (those above base_layers,
   plus its writable top) added, modified and deleted, judged by looking
   each touched path up through the layer stack the way overlayfs does:
   a char 0/0 device is a whiteout; a directory with the xattr
   trusted.overlay.opaque=y hides what lower layers have in it.  */
#include "config-host.h"

#include "env-internal.h"
#include "tar.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

struct stack
{
  char **dirs; /* top first */
  size_t n;
};

static bool
is_whiteout (const struct stat *st)
{
  return S_ISCHR (st->st_mode) && st->st_rdev == makedev (0, 0);
}

static bool
is_opaque (const char *path)
{
  char v[4];
  ssize_t n = lgetxattr (path, "trusted.overlay.opaque", v, sizeof v);

  return n == 1 && v[0] == 'y';
}

/* Look rel up through the stack; 1 and *where, *st when it exists.  */
static int
stack_lookup (const struct stack *sk, const char *rel, char **where,
              struct stat *st)
{
  bool active[64] = { 0 };
  size_t n = sk->n < 64 ? sk->n : 64;
  cleanup_free char *prefix = strdup ("");
  const char *p = rel;

  for (size_t i = 0; i < n; i++)
    active[i] = true;
  while (prefix && *p)
    {
      size_t len = strcspn (p, "/");
      bool last = p[len] == '\0', stop = false;
      char *np = NULL;
      if (asprintf (&np, "%s%s%.*s", prefix, *prefix ? "/" : "", (int) len, p)
          < 0)
        return 0;
      free (prefix);
      prefix = np;
      for (size_t i = 0; i < n; i++)
        {
          cleanup_free char *full = NULL;
          struct stat s;
          if (!active[i])
            continue;
          if (stop || asprintf (&full, "%s/%s", sk->dirs[i], prefix) < 0
              || lstat (full, &s) < 0)
            {
              active[i] = false;
              continue;
            }
          if (is_whiteout (&s))
            {
              active[i] = false;
              stop = true;
              continue;
            }
          if (last)
            {
              *st = s;
              *where = steal_pointer (&full);
              return 1;
            }
          if (!S_ISDIR (s.st_mode))
            {
              active[i] = false;
              stop = true;
              continue;
            }
          if (is_opaque (full))
            stop = true;
        }
      p += len;
      while (*p == '/')
        p++;
    }
  return 0;
}

static bool
same_content (const char *a, const char *b)
{
  cleanup_close int fa = open (a, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  cleanup_close int fb = open (b, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  char ba[65536], bb[65536];
  ssize_t na, nb;

  if (fa < 0 || fb < 0)
    return false;
  do
    {
      na = read (fa, ba, sizeof ba);
      nb = read (fb, bb, sizeof bb);
      if (na != nb || na < 0 || memcmp (ba, bb, na) != 0)
        return false;
    }
  while (na > 0);
  return true;
}

static bool
entries_differ (const char *pa, const struct stat *a, const char *pb,
                const struct stat *b)
{
  if ((a->st_mode & S_IFMT) != (b->st_mode & S_IFMT)
      || a->st_mode != b->st_mode || a->st_uid != b->st_uid
      || a->st_gid != b->st_gid)
    return true;
  if (S_ISREG (a->st_mode))
    return a->st_size != b->st_size || !same_content (pa, pb);
  if (S_ISLNK (a->st_mode))
    {
      char ta[ENV_MAX_PATH + 1], tb[ENV_MAX_PATH + 1];
      ssize_t na = readlink (pa, ta, ENV_MAX_PATH);
      ssize_t nb = readlink (pb, tb, ENV_MAX_PATH);
      return na != nb || na < 0 || memcmp (ta, tb, na) != 0;
    }
  if (S_ISCHR (a->st_mode) || S_ISBLK (a->st_mode))
    return a->st_rdev != b->st_rdev;
  return false;
}

struct candidates
{
  struct strset seen;
  char **paths;
  size_t n;
};

static int
add_candidate (struct candidates *c, const char *rel)
{
  if (strset_has (&c->seen, rel))
    return 0;
  if (strset_add (&c->seen, rel) < 0 || env_strv_push (&c->paths, &c->n, rel)
                                           < 0)
    return -1;
  return 0;
}

/* Names of rel in every lower layer (children an opaque dir hides).  */
static int
add_lower_children (const struct stack *lower, const char *rel,
                    struct candidates *c)
{
  for (size_t i = 0; i < lower->n; i++)
    {
      cleanup_free char *dir = NULL;
      cleanup_dir DIR *d = NULL;
      struct dirent *de;
      if (asprintf (&dir, "%s/%s", lower->dirs[i], rel) < 0)
        return -1;
      d = opendir (dir);
      while (d && (de = readdir (d)))
        {
          cleanup_free char *sub = NULL;
          if (!strcmp (de->d_name, ".") || !strcmp (de->d_name, ".."))
            continue;
          if (asprintf (&sub, "%s/%s", rel, de->d_name) < 0
              || add_candidate (c, sub) < 0)
            return -1;
        }
    }
  return 0;
}

static int
walk_layer (const char *layer, const char *rel, int depth,
            const struct stack *lower, struct candidates *c,
            envrun_error_t *err)
{
  cleanup_free char *dir = NULL;
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  if (asprintf (&dir, "%s%s%s", layer, *rel ? "/" : "", rel) < 0)
    return envrun_error_set (err, ENOMEM, "diff");
  if (*rel && is_opaque (dir) && add_lower_children (lower, rel, c) < 0)
    return envrun_error_set (err, ENOMEM, "diff");
  d = opendir (dir);
  if (d == NULL)
    return envrun_error_set (err, errno, "%s", dir);
  while ((de = readdir (d)))
    {
      cleanup_free char *sub = NULL;
      if (!strcmp (de->d_name, ".") || !strcmp (de->d_name, ".."))
        continue;
      if (asprintf (&sub, "%s%s%s", rel, *rel ? "/" : "", de->d_name) < 0
          || add_candidate (c, sub) < 0)
        return envrun_error_set (err, ENOMEM, "diff");
      if (de->d_type == DT_DIR && depth < 4 * ENV_MAX_DEPTH
          && walk_layer (layer, sub, depth + 1, lower, c, err) < 0)
        return -1;
    }
  return 0;
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* Is an ancestor of rel already reported deleted?  */
static bool
under_deleted (const struct strset *deleted, const char *rel)
{
  char buf[ENV_MAX_PATH * 4 + 1];

  snprintf (buf, sizeof buf, "%s", rel);
  for (char *s = strrchr (buf, '/'); s; s = strrchr (buf, '/'))
    {
      *s = '\0';
      if (strset_has (deleted, buf))
        return true;
    }
  return false;
}

static int
classify (const struct stack *all, const struct stack *lower,
          struct candidates *c, struct envrun_env_diff_entry **out,
          size_t *n_out, envrun_error_t *err)
{
  struct envrun_env_diff_entry *d = calloc (c->n + 1, sizeof *d);
  struct strset deleted = { 0 };
  size_t n = 0;

  if (d == NULL)
    return envrun_error_set (err, ENOMEM, "diff");
  if (c->n > 1)
    qsort (c->paths, c->n, sizeof *c->paths, cmp_str);
  for (size_t i = 0; i < c->n; i++)
    {
      cleanup_free char *wl = NULL;
      cleanup_free char *wu = NULL;
      struct stat sl, su;
      int hl = stack_lookup (lower, c->paths[i], &wl, &sl);
      int hu = stack_lookup (all, c->paths[i], &wu, &su);
      int change;
      if (hl && !hu)
        {
          if (under_deleted (&deleted, c->paths[i]))
            continue;
          strset_add (&deleted, c->paths[i]);
          change = ENVRUN_ENV_DELETED;
        }
      else if (!hl && hu)
        change = ENVRUN_ENV_ADDED;
      else if (hl && hu && entries_differ (wl, &sl, wu, &su))
        change = ENVRUN_ENV_MODIFIED;
      else
        continue;
      if (asprintf (&d[n].path, "/%s", c->paths[i]) < 0)
        break;
      d[n++].change = change;
    }
  strset_free (&deleted);
  *out = d;
  *n_out = n;
  return 0;
}

int
envrun_env_diff (struct envrun_store *s, const char *name,
                 struct envrun_env_diff_entry **out, size_t *n,
                 envrun_error_t *err)
{
  struct envrun_env_meta *m = NULL;
  struct stack all = { 0 }, lower = { 0 };
  struct candidates c = { 0 };
  cleanup_free char *up = NULL;
  int ret = -1;

  if (envrun_env_load (s, name, &m, err) < 0)
    return -1;
  up = env_path (s, "envs/%s/%s", name, m->upper);
  all.dirs = calloc (m->n_layers + 2, sizeof (char *));
  if (up == NULL || all.dirs == NULL)
    goto out;
  all.dirs[all.n++] = strdup (up);
  for (size_t i = m->n_layers; i-- > 0;)
    all.dirs[all.n++] = env_layer_path (s, m->layers[i]);
  /* The layers the environment started from: the bottom base_layers.  */
  lower.dirs = all.dirs + 1 + (m->n_layers - m->base_layers);
  lower.n = m->base_layers;
  for (size_t i = 0; i < 1 + m->n_layers - m->base_layers; i++)
    if (walk_layer (all.dirs[i], "", 0, &lower, &c, err) < 0)
      goto out;
  ret = classify (&all, &lower, &c, out, n, err);
out:
  for (size_t i = 0; i < all.n; i++)
    free (all.dirs[i]);
  free (all.dirs);
  cleanup_strvp (&c.paths);
  strset_free (&c.seen);
  envrun_env_meta_free (m);
  return ret < 0 ? envrun_error_prefix (err, "diff %s", name) : 0;
}

void
envrun_env_diff_free (struct envrun_env_diff_entry *d, size_t n)
{
  for (size_t i = 0; d && i < n; i++)
    free (d[i].path);
  free (d);
}

const char *
envrun_env_change_name (enum envrun_env_change c)
{
  return c == ENVRUN_ENV_ADDED      ? "added"
         : c == ENVRUN_ENV_MODIFIED ? "modified"
                                    : "deleted";
}
