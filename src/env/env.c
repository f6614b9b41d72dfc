/* Environments: loading, listing, publishing, freezing the top layer,
   clone, commit, rm and the garbage collection of layers.

   Crash safety: a new environment is built as a whole directory in tmp/
   and published with one rename() into envs/.  Freezing a top layer writes
   meta.json first (with freezeUpper/freezeLayer) and renames the upper
   directory into layers/ after; whoever loads the environment next rolls
   an interrupted freeze forward.  */
#include "config-host.h"

#include "env-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static char *
env_dir (struct envrun_store *s, const char *name)
{
  return env_path (s, "envs/%s", name);
}

int
env_meta_recover (struct envrun_store *s, struct envrun_env_meta *m,
                  envrun_error_t *err)
{
  cleanup_free char *dir = env_dir (s, m->name);
  cleanup_free char *up = NULL;
  cleanup_free char *layer = NULL;
  struct stat st;

  if (m->freeze_upper == NULL)
    return 0;
  if (asprintf (&up, "%s/%s", dir, m->freeze_upper) < 0
      || (layer = env_layer_path (s, m->freeze_layer)) == NULL)
    return envrun_error_set (err, ENOMEM, "recover");
  if (lstat (up, &st) == 0 && rename (up, layer) < 0)
    {
      if (errno != EEXIST && errno != ENOTEMPTY)
        return envrun_error_set (err, errno, "finishing the freeze of %s",
                                 up);
      env_rm_rf (up, NULL);
    }
  free (m->freeze_upper);
  free (m->freeze_layer);
  m->freeze_upper = m->freeze_layer = NULL;
  return env_meta_save (s, dir, m, err);
}

static int
env_load_nolock (struct envrun_store *s, const char *name,
                 struct envrun_env_meta **out, bool recover,
                 envrun_error_t *err)
{
  cleanup_free char *path = env_path (s, "envs/%s/meta.json", name);
  cleanup_free char *text = NULL;
  cleanup_fclose FILE *f = NULL;
  struct envrun_env_meta *m = NULL;
  size_t len;

  if (envrun_env_validate_name (name, err) < 0)
    return -1;
  f = fopen (path, "re");
  if (f == NULL)
    return errno == ENOENT
               ? envrun_error_set (err, ENOENT, "environment %s: not found in "
                                   "%s", name, s->root)
               : envrun_error_set (err, errno, "%s", path);
  text = malloc (ENV_META_MAX + 1);
  if (text == NULL)
    return envrun_error_set (err, ENOMEM, "%s", path);
  len = fread (text, 1, ENV_META_MAX + 1, f);
  if (len > ENV_META_MAX)
    return envrun_error_set (err, EFBIG, "%s: larger than %u bytes", path,
                             ENV_META_MAX);
  if (envrun_env_meta_parse (text, len, path, &m, err) < 0)
    return -1;
  if (strcmp (m->name, name) != 0)
    {
      envrun_env_meta_free (m);
      return envrun_error_set (err, EINVAL, "%s: .name: `%s` does not match "
                               "the directory", path, name);
    }
  if (recover && env_meta_recover (s, m, err) < 0)
    {
      envrun_env_meta_free (m);
      return -1;
    }
  *out = m;
  return 0;
}

int
envrun_env_load (struct envrun_store *s, const char *name,
                 struct envrun_env_meta **out, envrun_error_t *err)
{
  return env_load_nolock (s, name, out, true, err);
}

int
envrun_env_exists (struct envrun_store *s, const char *name)
{
  cleanup_free char *rel = NULL;
  struct stat st;

  if (asprintf (&rel, "envs/%s", name) < 0)
    return 0;
  return fstatat (s->rootfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static int
cmp_name (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

int
envrun_env_list (struct envrun_store *s, char ***names, size_t *n,
                 envrun_error_t *err)
{
  cleanup_free char *dir = env_path (s, "envs");
  cleanup_dir DIR *d = opendir (dir);
  cleanup_strv char **v = calloc (1, sizeof *v);
  size_t count = 0;
  struct dirent *de;

  if (d == NULL || v == NULL)
    return envrun_error_set (err, errno, "%s", dir);
  while ((de = readdir (d)))
    {
      if (de->d_name[0] == '.'
          || envrun_env_validate_name (de->d_name, NULL) < 0)
        continue;
      if (env_strv_push (&v, &count, de->d_name) < 0)
        return envrun_error_set (err, ENOMEM, "%s", dir);
    }
  qsort (v, count, sizeof *v, cmp_name);
  *names = steal_pointer (&v);
  *n = count;
  return 0;
}

int
env_make_envdir (struct envrun_store *s, const char *dir,
                 struct envrun_env_meta *m, envrun_error_t *err)
{
  cleanup_free char *id = env_random_id ();
  cleanup_free char *up = NULL;
  cleanup_free char *wk = NULL;

  free (m->upper);
  free (m->work);
  m->upper = m->work = NULL;
  if (id == NULL || asprintf (&m->upper, "upper-%s", id) < 0
      || asprintf (&m->work, "work-%s", id) < 0
      || asprintf (&up, "%s/%s", dir, m->upper) < 0
      || asprintf (&wk, "%s/%s", dir, m->work) < 0)
    return envrun_error_set (err, ENOMEM, "environment directory");
  if ((mkdir (dir, 0700) < 0 && errno != EEXIST) || mkdir (up, 0755) < 0
      || mkdir (wk, 0700) < 0)
    return envrun_error_set (err, errno, "%s", dir);
  return env_meta_save (s, dir, m, err);
}

int
env_publish (struct envrun_store *s, const char *tmpdir, const char *name,
             envrun_error_t *err)
{
  cleanup_free char *dest = env_dir (s, name);
  cleanup_free char *envs = env_path (s, "envs");

  if (dest == NULL || envs == NULL)
    return envrun_error_set (err, ENOMEM, "publish");
  /* renameat2(RENAME_NOREPLACE): two creators of one name cannot both win
     and neither clobbers the other.  */
  if (renameat2 (AT_FDCWD, tmpdir, AT_FDCWD, dest, RENAME_NOREPLACE) < 0)
    return errno == EEXIST
               ? envrun_error_set (err, EEXIST, "environment %s already "
                                   "exists", name)
               : envrun_error_set (err, errno, "%s", dest);
  env_fsync_dir (envs);
  return 0;
}

int
env_freeze_upper (struct envrun_store *s, struct envrun_env_meta *m,
                  envrun_error_t *err)
{
  cleanup_free char *dir = env_dir (s, m->name);
  cleanup_free char *up = NULL;
  cleanup_free char *digest = NULL;
  cleanup_free char *old_upper = NULL;
  cleanup_free char *old_work = NULL;
  int empty;

  if (asprintf (&up, "%s/%s", dir, m->upper) < 0)
    return envrun_error_set (err, ENOMEM, "freeze");
  empty = env_dir_is_empty (up, err);
  if (empty != 0)
    return empty < 0 ? -1 : 0;
  if (env_layer_hash (up, &digest, err) < 0)
    return -1;
  old_upper = steal_pointer (&m->upper);
  old_work = steal_pointer (&m->work);
  m->freeze_upper = strdup (old_upper);
  m->freeze_layer = strdup (digest);
  if (!m->freeze_upper || !m->freeze_layer
      || env_strv_push (&m->layers, &m->n_layers, digest) < 0)
    return envrun_error_set (err, ENOMEM, "freeze");
  /* New upper/work first, then meta.json (the commit point), then the
     rename into layers/ that a later load would otherwise redo.  */
  if (env_make_envdir (s, dir, m, err) < 0)
    return envrun_error_prefix (err, "freezing %s", m->name);
  if (env_meta_recover (s, m, err) < 0)
    return -1;
  {
    cleanup_free char *wk = NULL;
    if (asprintf (&wk, "%s/%s", dir, old_work) >= 0)
      env_rm_rf (wk, NULL);
  }
  return 0;
}

int
envrun_env_commit (struct envrun_store *s, const char *name, bool wait,
                   envrun_error_t *err)
{
  cleanup_close int lock = -1, gc = -1;
  struct envrun_env_meta *m = NULL;
  int ret;

  lock = envrun_env_lock (s, name, ENVRUN_ENV_LOCK_EXCLUSIVE, wait, err);
  if (lock < 0)
    return -1;
  gc = env_store_gc_lock (s, false, true, err);
  if (gc < 0 || envrun_env_load (s, name, &m, err) < 0)
    return -1;
  ret = env_freeze_upper (s, m, err);
  envrun_env_meta_free (m);
  return ret < 0 ? envrun_error_prefix (err, "commit %s", name) : 0;
}

int
envrun_env_clone (struct envrun_store *s, const char *src, const char *dst,
                  bool wait, envrun_error_t *err)
{
  cleanup_close int lock = -1, gc = -1;
  struct env_tmp t = { .lockfd = -1 };
  struct envrun_env_meta *m = NULL;
  int ret = -1;

  if (envrun_env_validate_name (dst, err) < 0)
    return -1;
  if (envrun_env_exists (s, dst))
    return envrun_error_set (err, EEXIST, "environment %s already exists",
                             dst);
  lock = envrun_env_lock (s, src, ENVRUN_ENV_LOCK_EXCLUSIVE, wait, err);
  if (lock < 0)
    return -1;
  gc = env_store_gc_lock (s, false, true, err);
  if (gc < 0 || envrun_env_load (s, src, &m, err) < 0)
    return -1;
  /* Freeze first: later writes to src must never show through in dst, and
     a layer being written is never another mount's lower layer.  */
  if (env_freeze_upper (s, m, err) < 0 || env_tmp_new (s, "clone", &t, err) < 0)
    goto out;
  free (m->name);
  free (m->parent);
  free (m->created);
  m->name = strdup (dst);
  m->parent = strdup (src);
  m->created = env_now_rfc3339 ();
  m->base_layers = m->n_layers;
  free (m->source_type);
  free (m->source);
  m->source_type = strdup ("clone");
  m->source = strdup (src);
  if (!m->name || !m->parent || !m->created || !m->source_type || !m->source)
    {
      envrun_error_set (err, ENOMEM, "clone");
      goto out;
    }
  if (env_make_envdir (s, t.path, m, err) < 0
      || env_publish (s, t.path, dst, err) < 0)
    goto out;
  ret = 0;
out:
  env_tmp_drop (&t);
  envrun_env_meta_free (m);
  return ret < 0 ? envrun_error_prefix (err, "clone %s %s", src, dst) : 0;
}

int
envrun_env_remove (struct envrun_store *s, const char *name, bool wait,
                   envrun_error_t *err)
{
  cleanup_close int lock = -1;
  cleanup_free char *dir = env_dir (s, name);
  struct env_tmp t = { .lockfd = -1 };
  int ret;

  if (envrun_env_validate_name (name, err) < 0)
    return -1;
  if (!envrun_env_exists (s, name))
    return envrun_error_set (err, ENOENT, "environment %s: not found in %s",
                             name, s->root);
  lock = envrun_env_lock (s, name, ENVRUN_ENV_LOCK_EXCLUSIVE, wait, err);
  if (lock < 0)
    return -1;
  if (env_tmp_new (s, "rm", &t, err) < 0)
    return -1;
  /* One rename makes it vanish; the bulk removal may be interrupted.  */
  ret = rename (dir, t.path);
  if (ret < 0)
    ret = envrun_error_set (err, errno, "%s", dir);
  env_tmp_drop (&t);
  if (ret == 0)
    env_store_gc (s);
  return ret;
}

/* Add the layers of environment `name` to *refs.  */
static void
collect_refs (struct envrun_store *s, const char *name, char ***refs,
              size_t *n)
{
  struct envrun_env_meta *m = NULL;

  if (env_load_nolock (s, name, &m, false, NULL) < 0)
    {
      /* An unreadable environment keeps every layer: never guess.  */
      env_strv_push (refs, n, "*");
      return;
    }
  for (size_t i = 0; i < m->n_layers; i++)
    env_strv_push (refs, n, m->layers[i] + 7);
  if (m->freeze_layer)
    env_strv_push (refs, n, m->freeze_layer + 7);
  envrun_env_meta_free (m);
}

void
env_store_gc (struct envrun_store *s)
{
  cleanup_close int gc = env_store_gc_lock (s, true, false, NULL);
  cleanup_strv char **names = NULL;
  cleanup_strv char **refs = NULL;
  cleanup_free char *ldir = env_path (s, "layers");
  cleanup_dir DIR *d = NULL;
  size_t n = 0, nrefs = 0;
  struct dirent *de;

  if (gc < 0 || envrun_env_list (s, &names, &n, NULL) < 0)
    return; /* someone is creating: the next command collects */
  for (size_t i = 0; i < n; i++)
    collect_refs (s, names[i], &refs, &nrefs);
  for (size_t i = 0; i < nrefs; i++)
    if (strcmp (refs[i], "*") == 0)
      return;
  d = ldir ? opendir (ldir) : NULL;
  while (d && (de = readdir (d)))
    {
      bool used = false;
      struct env_tmp t = { .lockfd = -1 };
      cleanup_free char *lp = NULL;

      if (de->d_name[0] == '.')
        continue;
      for (size_t i = 0; i < nrefs && !used; i++)
        used = strcmp (refs[i], de->d_name) == 0;
      if (used || env_tmp_new (s, "gc", &t, NULL) < 0)
        continue;
      /* Out of layers/ in one step, so a half-removed layer is never
         mistaken for a stored one.  */
      if (asprintf (&lp, "%s/%s", ldir, de->d_name) >= 0)
        rename (lp, t.path);
      env_tmp_drop (&t);
    }
}
