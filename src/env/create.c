/* env create: import a root filesystem into a new layer in tmp/, store the
   layer under its hash, and publish the environment with one rename.  */
#include "config-host.h"

#include "env-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int
import_tar (const char *file, int rootfd, struct envrun_env_meta *m,
            envrun_error_t *err)
{
  bool is_stdin = strcmp (file, "-") == 0;
  cleanup_close int fd = is_stdin ? -1
                                  : open (file, O_RDONLY | O_CLOEXEC
                                          | O_NOCTTY);
  struct env_tar_options o = { .name = is_stdin ? "<stdin>" : file };
  struct env_reader *r = NULL;
  int ret;

  if (!is_stdin && fd < 0)
    return envrun_error_set (err, errno, "%s", file);
  if (env_reader_open_fd (is_stdin ? STDIN_FILENO : fd, &r, err) < 0)
    return envrun_error_prefix (err, "%s", o.name);
  ret = env_tar_extract (env_reader_read, r, rootfd, &o, err);
  if (ret == 0)
    {
      m->source_digest = env_reader_digest (r);
      m->source = strdup (is_stdin ? "-" : file);
    }
  env_reader_free (r);
  return ret;
}

static int
import_source (const struct envrun_env_create_options *o, const char *layer,
               struct envrun_env_meta *m, envrun_error_t *err)
{
  cleanup_close int rootfd = open (layer, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  static const char *const kinds[] = { "dir", "tar", "oci", "clone",
                                       "bootstrap" };

  if (rootfd < 0)
    return envrun_error_set (err, errno, "%s", layer);
  m->source_type = strdup (kinds[o->source]);
  switch (o->source)
    {
    case ENVRUN_ENV_FROM_DIR:
      {
        cleanup_free char *abs = realpath (o->path, NULL);
        if (abs == NULL)
          return envrun_error_set (err, errno, "%s", o->path);
        m->source = strdup (abs);
        return env_copy_tree (abs, layer, true, err);
      }
    case ENVRUN_ENV_FROM_TAR:
      return import_tar (o->path, rootfd, m, err);
    case ENVRUN_ENV_FROM_OCI:
      m->source = strdup (o->path);
      return env_import_oci (o->path, rootfd, m, err);
    case ENVRUN_ENV_FROM_BOOTSTRAP:
      m->source = strdup (o->suite ? o->suite : "bookworm");
      for (const char *p = o->include; p && *p;)
        {
          size_t len = strcspn (p, ",");
          cleanup_free char *pkg = strndup (p, len);
          if (pkg == NULL || (len && env_strv_push (&m->packages,
                                                    &m->n_packages, pkg) < 0))
            return envrun_error_set (err, ENOMEM, "packages");
          p += len + (p[len] == ',');
        }
      return env_bootstrap (o, layer, err);
    default:
      return envrun_error_set (err, EINVAL, "unknown source");
    }
}

int
envrun_env_create (struct envrun_store *s, const char *name,
                   const struct envrun_env_create_options *o,
                   envrun_error_t *err)
{
  cleanup_close int gc = -1;
  struct env_tmp t = { .lockfd = -1 };
  struct envrun_env_meta *m = NULL;
  cleanup_free char *layer = NULL;
  cleanup_free char *envdir = NULL;
  cleanup_free char *digest = NULL;
  int ret = -1;

  if (o->source == ENVRUN_ENV_FROM_ENV)
    return envrun_env_clone (s, o->path, name, o->wait, err);
  if (envrun_env_validate_name (name, err) < 0)
    return -1;
  if (envrun_env_exists (s, name))
    return envrun_error_set (err, EEXIST, "environment %s already exists",
                             name);
  gc = env_store_gc_lock (s, false, true, err);
  if (gc < 0 || env_tmp_new (s, "create", &t, err) < 0)
    return -1;
  m = env_meta_new (name);
  if (m == NULL || asprintf (&layer, "%s/layer", t.path) < 0
      || asprintf (&envdir, "%s/env", t.path) < 0)
    {
      envrun_error_set (err, ENOMEM, "create");
      goto out;
    }
  if (mkdir (layer, 0755) < 0)
    {
      envrun_error_set (err, errno, "%s", layer);
      goto out;
    }
  if (import_source (o, layer, m, err) < 0
      || env_layer_store (s, layer, &digest, err) < 0)
    goto out;
  if (env_strv_push (&m->layers, &m->n_layers, digest) < 0
      || (o->notes && (m->notes = strdup (o->notes)) == NULL))
    {
      envrun_error_set (err, ENOMEM, "create");
      goto out;
    }
  m->base_layers = m->n_layers;
  if (env_make_envdir (s, envdir, m, err) < 0
      || env_publish (s, envdir, name, err) < 0)
    goto out;
  ret = 0;
out:
  env_tmp_drop (&t);
  envrun_env_meta_free (m);
  return ret < 0 ? envrun_error_prefix (err, "create %s", name) : 0;
}
