/* --from-oci LAYOUT[:REF]: index.json → manifest → the image config and
   the layers, applied in order with OCI whiteouts.  Every blob is checked
   against its digest; every document is read with the JSON module's typed
   getters so a bad one is named with its field.  */
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
#include <unistd.h>

#define MEDIA_INDEX "application/vnd.oci.image.index.v1+json"
#define DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"

static int
blob_path (const char *layout, const char *digest, char **out,
           envrun_error_t *err)
{
  if (strncmp (digest, "sha256:", 7) != 0 || strlen (digest) != 71
      || strspn (digest + 7, "0123456789abcdef") != 64)
    return envrun_error_set (err, EINVAL, "digest `%s`: expected "
                             "sha256:<64 hex digits>", digest);
  if (asprintf (out, "%s/blobs/sha256/%s", layout, digest + 7) < 0)
    return envrun_error_set (err, ENOMEM, "blob");
  return 0;
}

/* Read a JSON blob (or index.json when digest is NULL), verified.  */
static int
read_doc (const char *layout, const char *digest, struct json_doc **doc,
          envrun_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_free char *text = NULL;
  cleanup_fclose FILE *f = NULL;
  size_t len;

  if (digest == NULL)
    {
      if (asprintf (&path, "%s/index.json", layout) < 0)
        return envrun_error_set (err, ENOMEM, "oci");
    }
  else if (blob_path (layout, digest, &path, err) < 0)
    return -1;
  f = fopen (path, "re");
  text = malloc (JSON_MAX_DOCUMENT + 1);
  if (f == NULL || text == NULL)
    return envrun_error_set (err, errno, "%s", path);
  len = fread (text, 1, JSON_MAX_DOCUMENT + 1, f);
  if (len > JSON_MAX_DOCUMENT)
    return envrun_error_set (err, EFBIG, "%s: too large", path);
  if (digest)
    {
      struct sha256 h;
      char hex[65];
      sha256_init (&h);
      sha256_update (&h, text, len);
      sha256_final_hex (&h, hex);
      if (strcmp (hex, digest + 7) != 0)
        return envrun_error_set (err, 0, "%s: content does not match its "
                                 "digest", path);
    }
  return json_parse (text, len, path, doc, err);
}

static int
get_str (struct json_doc *doc, json_node *obj, const char *key,
         const char *path, const char **out, envrun_error_t *err)
{
  json_node *n = json_object_get (obj, key);

  if (n == NULL)
    return json_error (doc, path, err, "missing");
  return json_get_string (doc, n, path, out, err);
}

/* Pick the manifest descriptor: by ref name, else the only one (in a
   nested index, the one for this architecture).  */
static int
pick_manifest (struct json_doc *doc, const char *ref, const char **digest,
               const char **media, envrun_error_t *err)
{
  json_node *ms = json_object_get (json_doc_root (doc), "manifests");
  json_node *pick = NULL;
  char path[64];

  if (json_expect_type (doc, json_doc_root (doc), ".", JSON_OBJECT, err) < 0)
    return -1;
  if (ms == NULL || json_expect_type (doc, ms, ".manifests", JSON_ARRAY, err)
                        < 0)
    return ms ? -1 : json_error (doc, ".manifests", err, "missing");
  for (size_t i = 0; i < json_array_size (ms); i++)
    {
      json_node *m = json_array_at (ms, i), *a, *r;
      snprintf (path, sizeof path, ".manifests[%zu]", i);
      if (json_expect_type (doc, m, path, JSON_OBJECT, err) < 0)
        return -1;
      a = json_object_get (m, "annotations");
      r = a && json_node_type (a) == JSON_OBJECT
              ? json_object_get (a, "org.opencontainers.image.ref.name")
              : NULL;
      if (ref && r && json_node_type (r) == JSON_STRING
          && strcmp (json_string_value (r), ref) == 0)
        pick = m;
      if (!ref && i == 0)
        pick = m;
    }
  if (pick == NULL)
    return ref ? json_error (doc, ".manifests", err, "no image named `%s`",
                             ref)
               : json_error (doc, ".manifests", err, "empty");
  if (!ref && json_array_size (ms) > 1)
    return json_error (doc, ".manifests", err, "%zu images: name one with "
                       "LAYOUT:REF", json_array_size (ms));
  *media = NULL;
  if (json_object_get (pick, "mediaType"))
    get_str (doc, pick, "mediaType", ".mediaType", media, NULL);
  return get_str (doc, pick, "digest", ".manifests[].digest", digest, err);
}

static int
apply_layer (const char *layout, struct json_doc *doc, json_node *desc,
             size_t i, int rootfd, envrun_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_free char *got = NULL;
  cleanup_close int fd = -1;
  struct env_reader *r = NULL;
  struct env_tar_options o = { .oci_whiteouts = true };
  const char *digest, *media = "";
  char field[64];
  int ret;

  snprintf (field, sizeof field, ".layers[%zu].digest", i);
  if (get_str (doc, desc, "digest", field, &digest, err) < 0)
    return -1;
  if (json_object_get (desc, "mediaType"))
    get_str (doc, desc, "mediaType", field, &media, NULL);
  if (strstr (media, "zstd"))
    return json_error (doc, field, err, "zstd layers are not supported");
  if (blob_path (layout, digest, &path, err) < 0)
    return -1;
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return envrun_error_set (err, errno, "%s", path);
  if (env_reader_open_fd (fd, &r, err) < 0)
    return -1;
  o.name = path;
  ret = env_tar_extract (env_reader_read, r, rootfd, &o, err);
  got = ret == 0 ? env_reader_digest (r) : NULL;
  env_reader_free (r);
  if (ret == 0 && (got == NULL || strcmp (got, digest) != 0))
    return envrun_error_set (err, 0, "%s: content does not match its digest",
                             path);
  return ret;
}

static int
get_strv_opt (struct json_doc *doc, json_node *obj, const char *key,
              char ***out, size_t *n, envrun_error_t *err)
{
  json_node *a = obj ? json_object_get (obj, key) : NULL;
  char path[64];

  if (a == NULL || json_node_type (a) == JSON_NULL)
    return 0;
  snprintf (path, sizeof path, ".config.%s", key);
  if (json_expect_type (doc, a, path, JSON_ARRAY, err) < 0)
    return -1;
  for (size_t i = 0; i < json_array_size (a); i++)
    {
      const char *s;
      snprintf (path, sizeof path, ".config.%s[%zu]", key, i);
      if (json_get_string (doc, json_array_at (a, i), path, &s, err) < 0)
        return -1;
      if (env_strv_push (out, n, s) < 0)
        return envrun_error_set (err, ENOMEM, "config");
    }
  return 0;
}

/* Env, WorkingDir, User, Entrypoint and Cmd become the defaults.  */
static int
apply_image_config (const char *layout, const char *digest,
                    struct envrun_env_meta *m, envrun_error_t *err)
{
  struct json_doc *doc = NULL;
  json_node *c;
  const char *s;
  int ret = -1;

  if (read_doc (layout, digest, &doc, err) < 0)
    return -1;
  c = json_object_get (json_doc_root (doc), "config");
  if (c && json_node_type (c) != JSON_OBJECT)
    c = NULL;
  if (get_strv_opt (doc, c, "Env", &m->env, &m->n_env, err) < 0
      || get_strv_opt (doc, c, "Entrypoint", &m->entrypoint, &m->n_entrypoint,
                       err) < 0
      || get_strv_opt (doc, c, "Cmd", &m->cmd, &m->n_cmd, err) < 0)
    goto out;
  if (c && json_object_get (c, "WorkingDir")
      && json_get_string (doc, json_object_get (c, "WorkingDir"),
                          ".config.WorkingDir", &s, err) == 0 && *s)
    m->workdir = strdup (s);
  if (c && json_object_get (c, "User")
      && json_get_string (doc, json_object_get (c, "User"), ".config.User",
                          &s, err) == 0 && *s)
    m->user = strdup (s);
  ret = 0;
out:
  json_doc_free (doc);
  return ret;
}

int
env_import_oci (const char *spec, int rootfd, struct envrun_env_meta *m,
                envrun_error_t *err)
{
  cleanup_free char *layout = strdup (spec);
  struct json_doc *index = NULL, *man = NULL;
  const char *ref = NULL, *digest, *media, *cfg;
  json_node *layers;
  char *colon = layout ? strrchr (layout, ':') : NULL;
  int ret = -1;

  if (layout == NULL)
    return envrun_error_set (err, ENOMEM, "oci");
  if (colon && !strchr (colon, '/'))
    *colon = '\0', ref = colon + 1;
  if (read_doc (layout, NULL, &index, err) < 0
      || pick_manifest (index, ref, &digest, &media, err) < 0)
    goto out;
  if (media && (strcmp (media, MEDIA_INDEX) == 0
                || strcmp (media, DOCKER_LIST) == 0))
    {
      envrun_error_set (err, 0, "%s: nested image index: export a "
                        "single-platform image (skopeo copy --override-arch)",
                        layout);
      goto out;
    }
  m->source_digest = strdup (digest);
  if (read_doc (layout, digest, &man, err) < 0)
    goto out;
  layers = json_object_get (json_doc_root (man), "layers");
  if (layers == NULL
      || json_expect_type (man, layers, ".layers", JSON_ARRAY, err) < 0)
    {
      if (layers == NULL)
        json_error (man, ".layers", err, "missing");
      goto out;
    }
  for (size_t i = 0; i < json_array_size (layers); i++)
    if (apply_layer (layout, man, json_array_at (layers, i), i, rootfd, err)
        < 0)
      goto out;
  {
    json_node *c = json_object_get (json_doc_root (man), "config");
    if (c == NULL || json_node_type (c) != JSON_OBJECT
        || get_str (man, c, "digest", ".config.digest", &cfg, err) < 0)
      {
        if (!c || json_node_type (c) != JSON_OBJECT)
          json_error (man, ".config", err, "expected an object");
        goto out;
      }
    ret = apply_image_config (layout, cfg, m, err);
  }
out:
  json_doc_free (index);
  json_doc_free (man);
  return ret < 0 ? envrun_error_prefix (err, "image %s", spec) : 0;
}
