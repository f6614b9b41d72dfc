/* env export: an OCI bundle, a rootfs tarball or an OCI image layout of an
   environment's merged view.  Everything is built beside the destination
   and renamed into place, so a failed export leaves nothing, and an
   existing path is never overwritten.  */
#include "config-host.h"

#include "env-internal.h"
#include "json.h"
#include "sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <zlib.h>

static int
fd_write (void *ctx, const void *buf, size_t len)
{
  int fd = *(int *) ctx;

  for (size_t off = 0; off < len;)
    {
      ssize_t n = write (fd, (const char *) buf + off, len - off);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return -1;
        }
      off += n;
    }
  return 0;
}

struct export_job
{
  const struct envrun_env_meta *m;
  const char *dest; /* final path (bundle / layout dir, tar file) */
  const char *tmp;  /* where it is built */
  const char *ref;  /* OCI ref name */
  int outfd;        /* tar: the output */
};

static int
write_text (const char *path, const char *text, envrun_error_t *err)
{
  cleanup_close int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                               0644);

  if (fd < 0 || fd_write (&fd, text, strlen (text)) < 0)
    return envrun_error_set (err, errno, "%s", path);
  return 0;
}

static int
export_bundle (const char *root, void *arg, envrun_error_t *err)
{
  struct export_job *j = arg;
  struct envrun_env_run_options o = { .no_cwd = true, .term = "xterm" };
  cleanup_free char *rootfs = NULL;
  cleanup_free char *cfgpath = NULL;
  cleanup_free char *text = NULL;

  if (asprintf (&rootfs, "%s/rootfs", j->tmp) < 0
      || asprintf (&cfgpath, "%s/config.json", j->tmp) < 0)
    return envrun_error_set (err, ENOMEM, "export");
  if (mkdir (rootfs, 0755) < 0)
    return envrun_error_set (err, errno, "%s", rootfs);
  if (env_copy_tree (root, rootfs, false, err) < 0)
    return -1;
  /* The same generator as env run, so the bundle runs as the env does. */
  if (envrun_env_build_config (j->m, &o, "rootfs", &text, err) < 0)
    return -1;
  return write_text (cfgpath, text, err);
}

static int
export_tar (const char *root, void *arg, envrun_error_t *err)
{
  struct export_job *j = arg;

  return env_tar_write_tree (root, fd_write, &j->outfd, err);
}

/* Tar → gzip, hashing both sides: diff_id and blob digest.  */
struct gz_sink
{
  int fd;
  z_stream z;
  struct sha256 raw, gz;
  uint64_t gz_size;
};

static int
gz_flush (struct gz_sink *s, int mode)
{
  unsigned char out[65536];
  int r;

  do
    {
      s->z.next_out = out;
      s->z.avail_out = sizeof out;
      r = deflate (&s->z, mode);
      if (r == Z_STREAM_ERROR)
        return -1;
      size_t n = sizeof out - s->z.avail_out;
      sha256_update (&s->gz, out, n);
      s->gz_size += n;
      if (fd_write (&s->fd, out, n) < 0)
        return -1;
    }
  while (s->z.avail_out == 0);
  return mode == Z_FINISH && r != Z_STREAM_END ? -1 : 0;
}

static int
gz_write (void *ctx, const void *buf, size_t len)
{
  struct gz_sink *s = ctx;

  sha256_update (&s->raw, buf, len);
  s->z.next_in = (unsigned char *) buf;
  s->z.avail_in = len;
  return gz_flush (s, Z_NO_FLUSH);
}

/* Store text as a blob; out: "sha256:<hex>".  */
static int
put_blob (const char *layout, const char *text, char **digest,
          envrun_error_t *err)
{
  struct sha256 h;
  char hex[65];
  cleanup_free char *path = NULL;

  sha256_init (&h);
  sha256_update (&h, text, strlen (text));
  sha256_final_hex (&h, hex);
  if (asprintf (&path, "%s/blobs/sha256/%s", layout, hex) < 0
      || asprintf (digest, "sha256:%s", hex) < 0)
    return envrun_error_set (err, ENOMEM, "blob");
  return write_text (path, text, err);
}

static const char *
oci_arch (void)
{
  struct utsname u;

  uname (&u);
  return strcmp (u.machine, "x86_64") == 0    ? "amd64"
         : strcmp (u.machine, "aarch64") == 0 ? "arm64"
         : strcmp (u.machine, "ppc64le") == 0 ? "ppc64le"
         : strcmp (u.machine, "s390x") == 0   ? "s390x"
                                              : "amd64";
}

static void
gen_strv (struct json_gen *g, const char *key, char **v, size_t n)
{
  if (v == NULL)
    return;
  json_gen_key (g, key);
  json_gen_array_open (g);
  for (size_t i = 0; i < n; i++)
    json_gen_string (g, v[i]);
  json_gen_array_close (g);
}

static int
gen_text (struct json_gen *g, char **out, envrun_error_t *err)
{
  size_t len;
  int r = json_gen_finish (g, out, &len, err);

  json_gen_free (g);
  return r;
}

static int
image_config (const struct envrun_env_meta *m, const char *diff_id,
              char **out, envrun_error_t *err)
{
  struct json_gen *g = json_gen_new (false);

  json_gen_object_open (g);
  json_gen_kv_string (g, "created", m->created);
  json_gen_kv_string (g, "architecture", oci_arch ());
  json_gen_kv_string (g, "os", "linux");
  json_gen_key (g, "config");
  json_gen_object_open (g);
  gen_strv (g, "Env", m->env, m->n_env);
  gen_strv (g, "Entrypoint", m->entrypoint, m->n_entrypoint);
  gen_strv (g, "Cmd", m->cmd, m->n_cmd);
  if (m->workdir)
    json_gen_kv_string (g, "WorkingDir", m->workdir);
  if (m->user)
    json_gen_kv_string (g, "User", m->user);
  json_gen_object_close (g);
  json_gen_key (g, "rootfs");
  json_gen_object_open (g);
  json_gen_kv_string (g, "type", "layers");
  json_gen_key (g, "diff_ids");
  json_gen_array_open (g);
  json_gen_string (g, diff_id);
  json_gen_array_close (g);
  json_gen_object_close (g);
  json_gen_object_close (g);
  return gen_text (g, out, err);
}

static void
gen_descriptor (struct json_gen *g, const char *type, const char *digest,
                uint64_t size)
{
  json_gen_object_open (g);
  json_gen_kv_string (g, "mediaType", type);
  json_gen_kv_string (g, "digest", digest);
  json_gen_kv_uint (g, "size", size);
}

static int
write_manifest_and_index (struct export_job *j, const char *layer_digest,
                          uint64_t layer_size, const char *diff_id,
                          envrun_error_t *err)
{
  cleanup_free char *cfg = NULL, *cfg_digest = NULL, *man = NULL;
  cleanup_free char *man_digest = NULL, *index = NULL, *p = NULL;
  struct json_gen *g;

  if (image_config (j->m, diff_id, &cfg, err) < 0
      || put_blob (j->tmp, cfg, &cfg_digest, err) < 0)
    return -1;
  g = json_gen_new (false);
  json_gen_object_open (g);
  json_gen_kv_int (g, "schemaVersion", 2);
  json_gen_kv_string (g, "mediaType",
                      "application/vnd.oci.image.manifest.v1+json");
  json_gen_key (g, "config");
  gen_descriptor (g, "application/vnd.oci.image.config.v1+json", cfg_digest,
                  strlen (cfg));
  json_gen_object_close (g);
  json_gen_key (g, "layers");
  json_gen_array_open (g);
  gen_descriptor (g, "application/vnd.oci.image.layer.v1.tar+gzip",
                  layer_digest, layer_size);
  json_gen_object_close (g);
  json_gen_array_close (g);
  json_gen_object_close (g);
  if (gen_text (g, &man, err) < 0 || put_blob (j->tmp, man, &man_digest, err)
                                         < 0)
    return -1;
  g = json_gen_new (false);
  json_gen_object_open (g);
  json_gen_kv_int (g, "schemaVersion", 2);
  json_gen_key (g, "manifests");
  json_gen_array_open (g);
  gen_descriptor (g, "application/vnd.oci.image.manifest.v1+json",
                  man_digest, strlen (man));
  json_gen_key (g, "annotations");
  json_gen_object_open (g);
  json_gen_kv_string (g, "org.opencontainers.image.ref.name", j->ref);
  json_gen_object_close (g);
  json_gen_object_close (g);
  json_gen_array_close (g);
  json_gen_object_close (g);
  if (gen_text (g, &index, err) < 0
      || asprintf (&p, "%s/index.json", j->tmp) < 0)
    return -1;
  if (write_text (p, index, err) < 0)
    return -1;
  free (p);
  p = NULL;
  if (asprintf (&p, "%s/oci-layout", j->tmp) < 0)
    return envrun_error_set (err, ENOMEM, "oci-layout");
  return write_text (p, "{\"imageLayoutVersion\":\"1.0.0\"}", err);
}

static int
export_oci (const char *root, void *arg, envrun_error_t *err)
{
  struct export_job *j = arg;
  struct gz_sink s = { .fd = -1 };
  cleanup_free char *blobs = NULL, *tmpblob = NULL, *final = NULL;
  cleanup_free char *digest = NULL, *diff_id = NULL;
  char hex[65], rhex[65];
  int ret;

  if (asprintf (&blobs, "%s/blobs/sha256", j->tmp) < 0
      || asprintf (&tmpblob, "%s/layer.tmp", blobs) < 0)
    return envrun_error_set (err, ENOMEM, "oci");
  if (env_mkdir_p (blobs, 0755, err) < 0)
    return -1;
  s.fd = open (tmpblob, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (s.fd < 0)
    return envrun_error_set (err, errno, "%s", tmpblob);
  sha256_init (&s.raw);
  sha256_init (&s.gz);
  deflateInit2 (&s.z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  ret = env_tar_write_tree (root, gz_write, &s, err);
  if (ret == 0 && gz_flush (&s, Z_FINISH) < 0)
    ret = envrun_error_set (err, errno, "%s", tmpblob);
  deflateEnd (&s.z);
  close (s.fd);
  if (ret < 0)
    return -1;
  sha256_final_hex (&s.gz, hex);
  sha256_final_hex (&s.raw, rhex);
  if (asprintf (&final, "%s/%s", blobs, hex) < 0
      || asprintf (&digest, "sha256:%s", hex) < 0
      || asprintf (&diff_id, "sha256:%s", rhex) < 0)
    return envrun_error_set (err, ENOMEM, "oci");
  if (rename (tmpblob, final) < 0)
    return envrun_error_set (err, errno, "%s", final);
  return write_manifest_and_index (j, digest, s.gz_size, diff_id, err);
}

static int
export_run (struct envrun_store *s, const struct envrun_env_meta *m,
            struct export_job *j,
            int (*fn) (const char *, void *, envrun_error_t *),
            envrun_error_t *err)
{
  struct env_tmp t = { .lockfd = -1 };
  cleanup_free char *view = NULL;
  int ret;

  if (env_tmp_new (s, "export", &t, err) < 0)
    return -1;
  if (asprintf (&view, "%s/view", t.path) < 0 || mkdir (view, 0700) < 0)
    {
      env_tmp_drop (&t);
      return envrun_error_set (err, errno, "%s", t.path);
    }
  ret = env_with_view (s, m, view, fn, j, err);
  env_tmp_drop (&t);
  return ret;
}

static int
export_to_path (struct envrun_store *s, const struct envrun_env_meta *m,
                enum envrun_env_export_kind kind, const char *dest,
                const char *ref, envrun_error_t *err)
{
  struct export_job j = { .m = m, .dest = dest, .ref = ref, .outfd = -1 };
  cleanup_free char *tmp = NULL;
  struct stat st;
  int ret;

  if (lstat (dest, &st) == 0)
    return envrun_error_set (err, EEXIST, "%s: already exists, refusing to "
                             "overwrite it", dest);
  if (asprintf (&tmp, "%s.envrun-tmp-%d", dest, getpid ()) < 0)
    return envrun_error_set (err, ENOMEM, "export");
  j.tmp = tmp;
  if (kind == ENVRUN_ENV_EXPORT_TAR)
    {
      j.outfd = open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (j.outfd < 0)
        return envrun_error_set (err, errno, "%s", tmp);
    }
  else if (mkdir (tmp, 0755) < 0)
    return envrun_error_set (err, errno, "%s", tmp);
  ret = export_run (s, m, &j,
                    kind == ENVRUN_ENV_EXPORT_BUNDLE ? export_bundle
                    : kind == ENVRUN_ENV_EXPORT_TAR  ? export_tar
                                                     : export_oci,
                    err);
  if (j.outfd >= 0 && (fsync (j.outfd) < 0 || close (j.outfd) < 0) && ret == 0)
    ret = envrun_error_set (err, errno, "%s", tmp);
  if (ret == 0
      && renameat2 (AT_FDCWD, tmp, AT_FDCWD, dest, RENAME_NOREPLACE) < 0)
    ret = envrun_error_set (err, errno, "%s", dest);
  if (ret < 0)
    env_rm_rf (tmp, NULL);
  return ret;
}

int
envrun_env_export (struct envrun_store *s, const char *name,
                   enum envrun_env_export_kind kind, const char *dest,
                   envrun_error_t *err)
{
  cleanup_close int lock = -1;
  struct envrun_env_meta *m = NULL;
  cleanup_free char *path = strdup (dest);
  const char *ref = "latest";
  int ret;

  if (path == NULL)
    return envrun_error_set (err, ENOMEM, "export");
  if (kind == ENVRUN_ENV_EXPORT_OCI)
    {
      char *colon = strrchr (path, ':');
      if (colon && !strchr (colon, '/'))
        {
          *colon = '\0';
          ref = colon + 1;
        }
    }
  lock = envrun_env_lock (s, name, ENVRUN_ENV_LOCK_SHARED, false, err);
  if (lock < 0 || envrun_env_load (s, name, &m, err) < 0)
    return -1;
  if (kind == ENVRUN_ENV_EXPORT_TAR && strcmp (dest, "-") == 0)
    {
      struct export_job j = { .m = m, .outfd = STDOUT_FILENO };
      ret = export_run (s, m, &j, export_tar, err);
    }
  else
    ret = export_to_path (s, m, kind, path, ref, err);
  envrun_env_meta_free (m);
  return ret < 0 ? envrun_error_prefix (err, "export %s", name) : 0;
}
