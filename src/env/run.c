/* env run: mount the environment's overlay in a private mount namespace of
   this process, build the OCI configuration, and hand it to the one
   container core (envrun_container_run) — no second setup path.

   Persistent runs write into the environment's top layer and hold its lock
   exclusively; ephemeral runs hold it shared, see the top layer as their
   highest lower layer (no writer can change it meanwhile) and write into a
   throw-away layer in tmp/, removed when the run ends however it ends (by
   this process, or by the next command when this one was killed).  */
#include "config-host.h"

#include "env-internal.h"
#include "seccomp.h"

#include <envrun/config.h>
#include <envrun/container.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

struct run_dirs
{
  struct env_tmp t;
  char *root, *upper, *work, *lower;
  char **placeholders; /* mount points the runtime will create */
  size_t n_placeholders;
  struct parent_dir
  {
    char *path; /* existing ancestor of a placeholder, relative */
    struct stat st; /* as it was before the run */
  } *parents;
  size_t n_parents;
};

/* Remember the existing directories above a placeholder: creating the
   placeholder copies them up into the top layer, and they are taken out
   again when nothing else about them changed.  */
static void
note_parents (struct run_dirs *d, int rootfd, const char *miss)
{
  const char *rel = miss + strspn (miss, "/");

  for (const char *slash = strchr (rel, '/'); slash;
       slash = strchr (slash + 1, '/'))
    {
      struct parent_dir *n = realloc (d->parents,
                                      (d->n_parents + 1) * sizeof *n);
      if (n == NULL)
        return;
      d->parents = n;
      n[d->n_parents].path = strndup (rel, slash - rel);
      if (n[d->n_parents].path == NULL
          || fstatat (rootfd, n[d->n_parents].path, &n[d->n_parents].st,
                      AT_SYMLINK_NOFOLLOW) < 0)
        {
          free (n[d->n_parents].path);
          continue;
        }
      d->n_parents++;
    }
}

/* The first component of dest missing from the rootfs, walking from the
   root fd without following symlinks; NULL when all exist.  */
static char *
first_missing (int rootfd, const char *dest)
{
  cleanup_close int cur = dup (rootfd);
  const char *p = dest;

  while (cur >= 0 && *p)
    {
      size_t skip = strspn (p, "/"), len;
      char name[256];
      int next;
      p += skip;
      len = strcspn (p, "/");
      if (len == 0 || len >= sizeof name)
        return NULL;
      memcpy (name, p, len);
      name[len] = '\0';
      next = openat (cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (next < 0)
        return errno == ENOENT ? strndup (dest, p + len - dest) : NULL;
      close (cur);
      cur = next;
      p += len;
    }
  return NULL;
}

/* Remember the mount points the run will add to the top layer, so they
   can be taken out again: a run must not leave /work/you/project or
   /etc/resolv.conf placeholders in the environment (or in its diff).  */
static void
note_placeholders (struct run_dirs *d, const struct envrun_config *cfg)
{
  cleanup_close int rootfd = open (d->root, O_PATH | O_DIRECTORY | O_CLOEXEC);

  for (size_t i = 0; rootfd >= 0 && i < cfg->n_mounts; i++)
    {
      cleanup_free char *miss = first_missing (rootfd,
                                               cfg->mounts[i].destination);
      if (miss)
        {
          env_strv_push (&d->placeholders, &d->n_placeholders, miss);
          note_parents (d, rootfd, miss);
        }
    }
}

/* Remove empty files and directories only: content is the user's.  */
static void
prune_empty (int dirfd, const char *name, int depth)
{
  struct stat st;

  if (fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return;
  if (S_ISREG (st.st_mode) && st.st_size == 0)
    unlinkat (dirfd, name, 0);
  else if (S_ISDIR (st.st_mode) && depth < 64)
    {
      cleanup_close int fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY
                                     | O_NOFOLLOW | O_CLOEXEC);
      cleanup_strv char **names = NULL;
      size_t n = 0;
      DIR *dir = fd >= 0 ? fdopendir (dup (fd)) : NULL;
      struct dirent *de;
      while (dir && (de = readdir (dir)))
        if (strcmp (de->d_name, ".") && strcmp (de->d_name, ".."))
          env_strv_push (&names, &n, de->d_name);
      if (dir)
        closedir (dir);
      for (size_t i = 0; i < n; i++)
        prune_empty (fd, names[i], depth + 1);
      unlinkat (dirfd, name, AT_REMOVEDIR);
    }
}

static void
remove_placeholders (struct run_dirs *d)
{
  cleanup_close int up = open (d->upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  for (size_t i = 0; up >= 0 && i < d->n_placeholders; i++)
    {
      const char *rel = d->placeholders[i] + strspn (d->placeholders[i], "/");
      if (*rel)
        prune_empty (up, rel, 0);
    }
  /* Deepest first: a copied-up parent that is now empty and unchanged
     goes, so the lower layer's directory shows through again.  */
  for (size_t i = d->n_parents; up >= 0 && i-- > 0;)
    {
      const struct parent_dir *p = &d->parents[i];
      struct stat st;
      char v[4];
      if (fstatat (up, p->path, &st, AT_SYMLINK_NOFOLLOW) < 0
          || !S_ISDIR (st.st_mode) || st.st_mode != p->st.st_mode
          || st.st_uid != p->st.st_uid || st.st_gid != p->st.st_gid)
        continue;
      {
        char full[64];
        cleanup_close int fd = openat (up, p->path, O_RDONLY | O_DIRECTORY
                                       | O_NOFOLLOW | O_CLOEXEC);
        snprintf (full, sizeof full, "/proc/self/fd/%d", fd);
        if (fd < 0 || getxattr (full, "trusted.overlay.opaque", v, sizeof v)
                          >= 0)
          continue;
      }
      unlinkat (up, p->path, AT_REMOVEDIR); /* fails when not empty */
    }
}

static void
run_dirs_free (struct run_dirs *d)
{
  if (d->root)
    umount2 (d->root, MNT_DETACH);
  if (d->upper && d->n_placeholders)
    remove_placeholders (d);
  cleanup_strvp (&d->placeholders);
  for (size_t i = 0; i < d->n_parents; i++)
    free (d->parents[i].path);
  free (d->parents);
  env_tmp_drop_async (&d->t);
  free (d->root);
  free (d->upper);
  free (d->work);
  free (d->lower);
}

static int
prepare_dirs (struct envrun_store *s, const struct envrun_env_meta *m,
              bool ephemeral, struct run_dirs *d, envrun_error_t *err)
{
  cleanup_free char *layers = env_lowerdirs (s, m);
  cleanup_free char *top = env_path (s, "envs/%s/%s", m->name, m->upper);
  int empty;

  if (env_tmp_new (s, "run", &d->t, err) < 0)
    return -1;
  if (layers == NULL || top == NULL
      || asprintf (&d->root, "%s/root", d->t.path) < 0)
    return envrun_error_set (err, ENOMEM, "run");
  if (mkdir (d->root, 0755) < 0)
    return envrun_error_set (err, errno, "%s", d->root);
  if (!ephemeral)
    {
      d->lower = steal_pointer (&layers);
      d->upper = steal_pointer (&top);
      d->work = env_path (s, "envs/%s/%s", m->name, m->work);
      return d->work ? 0 : envrun_error_set (err, ENOMEM, "run");
    }
  empty = env_dir_is_empty (top, err);
  if (empty < 0)
    return -1;
  if ((empty ? (d->lower = strdup (layers)) == NULL
             : asprintf (&d->lower, "%s:%s", top, layers) < 0)
      || asprintf (&d->upper, "%s/upper", d->t.path) < 0
      || asprintf (&d->work, "%s/work", d->t.path) < 0)
    return envrun_error_set (err, ENOMEM, "run");
  if (mkdir (d->upper, 0755) < 0 || mkdir (d->work, 0700) < 0)
    return envrun_error_set (err, errno, "%s", d->t.path);
  return 0;
}

static int
run_container (const struct envrun_env_meta *m,
               const struct envrun_env_run_options *o, struct run_dirs *d,
               int *status, envrun_error_t *err)
{
  struct envrun_run_options ro = { .stateless = true,
                                   .cgroup_if_needed = true };
  struct envrun_config *cfg = NULL;
  cleanup_free char *text = NULL;
  cleanup_free char *id = NULL;
  int ret;

  if (envrun_env_build_config (m, o, d->root, &text, err) < 0)
    return -1;
  if (envrun_config_parse_string (text, strlen (text), "env run config", &cfg,
                                  err) < 0)
    return -1;
  if (asprintf (&id, "env-%s-%d", m->name, getpid ()) < 0)
    {
      envrun_config_free (cfg);
      return envrun_error_set (err, ENOMEM, "run");
    }
  note_placeholders (d, cfg);
  ro.id = id;
  ro.bundle = d->t.path;
  ro.config_text = text;
  ro.config_len = strlen (text);
  ro.seccomp_cache = o->seccomp_cache;
  ret = envrun_container_run (&ro, cfg, status, err);
  envrun_config_free (cfg);
  return ret;
}

/* --keep-as: the throw-away layer becomes a layer of a new environment.  */
static int
keep_as (struct envrun_store *s, const struct envrun_env_meta *src,
         const char *name, struct run_dirs *d, envrun_error_t *err)
{
  cleanup_close int gc = env_store_gc_lock (s, false, true, err);
  struct env_tmp t = { .lockfd = -1 };
  struct envrun_env_meta *m = NULL;
  cleanup_free char *digest = NULL;
  cleanup_free char *text = NULL;
  int ret = -1;

  if (gc < 0)
    return -1;
  umount2 (d->root, MNT_DETACH);
  remove_placeholders (d);
  if (envrun_env_meta_to_json (src, false, &text, err) < 0
      || envrun_env_meta_parse (text, strlen (text), "meta", &m, err) < 0)
    return -1;
  if (env_layer_store (s, d->upper, &digest, err) < 0
      || env_tmp_new (s, "keep", &t, err) < 0)
    goto out;
  free (m->name);
  free (m->parent);
  free (m->created);
  free (m->source_type);
  free (m->source);
  m->name = strdup (name);
  m->parent = strdup (src->name);
  m->created = env_now_rfc3339 ();
  m->source_type = strdup ("run");
  m->source = strdup (src->name);
  m->base_layers = m->n_layers;
  if (env_strv_push (&m->layers, &m->n_layers, digest) < 0 || !m->name)
    {
      envrun_error_set (err, ENOMEM, "keep-as");
      goto out;
    }
  ret = env_make_envdir (s, t.path, m, err);
  if (ret == 0)
    ret = env_publish (s, t.path, name, err);
out:
  env_tmp_drop (&t);
  envrun_env_meta_free (m);
  return ret < 0 ? envrun_error_prefix (err, "--keep-as %s", name) : 0;
}

/* Lock for the run.  An ephemeral run that keeps its result needs the top
   layer frozen into a real layer first, which takes the writer's lock for
   a moment; then it shares the lock like every reader.  */
static int
lock_for_run (struct envrun_store *s, const char *name,
              const struct envrun_env_run_options *o,
              struct envrun_env_meta **m, envrun_error_t *err)
{
  bool freeze = o->ephemeral && o->keep_as;
  int fd = envrun_env_lock (s, name, o->ephemeral && !freeze
                                         ? ENVRUN_ENV_LOCK_SHARED
                                         : ENVRUN_ENV_LOCK_EXCLUSIVE,
                            o->wait, err);

  if (fd < 0)
    return -1;
  if (envrun_env_load (s, name, m, err) < 0)
    goto fail;
  if (freeze)
    {
      cleanup_close int gc = env_store_gc_lock (s, false, true, err);
      if (gc < 0 || env_freeze_upper (s, *m, err) < 0)
        goto fail;
      if (flock (fd, LOCK_SH) < 0)
        {
          envrun_error_set (err, errno, "flock");
          goto fail;
        }
    }
  return fd;
fail:
  envrun_env_meta_free (*m);
  *m = NULL;
  close (fd);
  return -1;
}

int
envrun_env_run (struct envrun_store *s, const char *name,
                const struct envrun_env_run_options *o, int *status,
                envrun_error_t *err)
{
  struct run_dirs d = { .t = { .lockfd = -1 } };
  struct envrun_env_meta *m = NULL;
  cleanup_close int lock = -1;
  int ret = -1;

  if (o->keep_as && !o->ephemeral)
    return envrun_error_set (err, EINVAL, "--keep-as needs --ephemeral");
  if (o->keep_as && (envrun_env_validate_name (o->keep_as, err) < 0))
    return -1;
  if (o->keep_as && envrun_env_exists (s, o->keep_as))
    return envrun_error_set (err, EEXIST, "--keep-as: environment %s already "
                             "exists", o->keep_as);
  lock = lock_for_run (s, name, o, &m, err);
  if (lock < 0)
    goto out;
  /* Mounts made from here on live and die with this process.  */
  if (env_private_mount_ns (err) < 0 || prepare_dirs (s, m, o->ephemeral, &d,
                                                      err) < 0
      || env_mount_overlay (d.lower, d.upper, d.work, d.root, false, err) < 0)
    goto out;
  ret = run_container (m, o, &d, status, err);
  if (ret == 0 && o->keep_as)
    ret = keep_as (s, m, o->keep_as, &d, err);
  else if (ret < 0)
    goto done; /* the core's errno says whether the command could run */
out:
  /* Only the core's ENOENT/EACCES/ENOEXEC mean "the command could not be
     executed" (127/126); a missing environment is an envrun failure.  */
  if (ret < 0 && err && *err)
    (*err)->status = 0;
done:
  run_dirs_free (&d);
  envrun_env_meta_free (m);
  return ret;
}
