/* meta.json: what an environment is made of and where it came from.
   Parsed with the JSON module's typed getters, so a damaged file is
   reported as "<store>/envs/main/meta.json: .layers[2]: expected a
   string".  */
#include "config-host.h"

#include "env-internal.h"
#include "json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char **
env_strv_dup (char *const *v, size_t n)
{
  char **out = calloc (n + 1, sizeof *out);

  if (out == NULL)
    return NULL;
  for (size_t i = 0; i < n; i++)
    if ((out[i] = strdup (v[i])) == NULL)
      {
        cleanup_strvp (&out);
        return NULL;
      }
  return out;
}

int
env_strv_push (char ***v, size_t *n, const char *s)
{
  char **nv = realloc (*v, (*n + 2) * sizeof *nv);

  if (nv == NULL)
    return -1;
  *v = nv;
  if ((nv[*n] = strdup (s)) == NULL)
    return -1;
  nv[++*n] = NULL;
  return 0;
}

struct envrun_env_meta *
env_meta_new (const char *name)
{
  struct envrun_env_meta *m = calloc (1, sizeof *m);

  if (m == NULL)
    return NULL;
  m->name = strdup (name);
  m->created = env_now_rfc3339 ();
  m->layers = calloc (1, sizeof *m->layers);
  if (!m->name || !m->created || !m->layers)
    {
      envrun_env_meta_free (m);
      return NULL;
    }
  return m;
}

void
envrun_env_meta_free (struct envrun_env_meta *m)
{
  if (m == NULL)
    return;
  free (m->name);
  free (m->created);
  free (m->parent);
  cleanup_strvp (&m->layers);
  free (m->upper);
  free (m->work);
  cleanup_strvp (&m->env);
  free (m->workdir);
  free (m->user);
  cleanup_strvp (&m->entrypoint);
  cleanup_strvp (&m->cmd);
  free (m->notes);
  free (m->source_type);
  free (m->source);
  free (m->source_digest);
  cleanup_strvp (&m->packages);
  free (m->freeze_upper);
  free (m->freeze_layer);
  free (m);
}

static int
get_opt_string (const struct json_doc *doc, json_node *obj, const char *key,
                char **out, envrun_error_t *err)
{
  json_node *n = json_object_get (obj, key);
  char path[64];
  const char *v;

  if (n == NULL || json_node_type (n) == JSON_NULL)
    return 0;
  snprintf (path, sizeof path, ".%s", key);
  if (json_get_string (doc, n, path, &v, err) < 0)
    return -1;
  if ((*out = strdup (v)) == NULL)
    return envrun_error_set (err, ENOMEM, "%s", path);
  return 0;
}

static int
get_opt_strv (const struct json_doc *doc, json_node *obj, const char *key,
              char ***out, size_t *n_out, envrun_error_t *err)
{
  json_node *n = json_object_get (obj, key);
  char path[80];

  if (n == NULL || json_node_type (n) == JSON_NULL)
    return 0;
  snprintf (path, sizeof path, ".%s", key);
  if (json_expect_type (doc, n, path, JSON_ARRAY, err) < 0)
    return -1;
  *out = calloc (json_array_size (n) + 1, sizeof **out);
  if (*out == NULL)
    return envrun_error_set (err, ENOMEM, "%s", path);
  *n_out = 0;
  for (size_t i = 0; i < json_array_size (n); i++)
    {
      const char *v;
      snprintf (path, sizeof path, ".%s[%zu]", key, i);
      if (json_get_string (doc, json_array_at (n, i), path, &v, err) < 0)
        return -1;
      if (((*out)[i] = strdup (v)) == NULL)
        return envrun_error_set (err, ENOMEM, "%s", path);
      *n_out = i + 1;
    }
  return 0;
}

static int
meta_check (const struct json_doc *doc, struct envrun_env_meta *m,
            envrun_error_t *err)
{
  static const char prefix[] = "sha256:";

  if (m->name == NULL)
    return json_error (doc, ".name", err, "missing");
  if (envrun_env_validate_name (m->name, err) < 0)
    return envrun_error_prefix (err, "%s: .name", json_doc_name (doc));
  if (m->upper == NULL || strchr (m->upper, '/') || m->upper[0] == '.')
    return json_error (doc, ".upper", err,
                       "missing or not a plain directory name");
  if (m->work == NULL || strchr (m->work, '/') || m->work[0] == '.')
    return json_error (doc, ".work", err,
                       "missing or not a plain directory name");
  if (m->layers == NULL && (m->layers = calloc (1, sizeof (char *))) == NULL)
    return envrun_error_set (err, ENOMEM, "meta");
  for (size_t i = 0; i < m->n_layers; i++)
    {
      const char *l = m->layers[i];
      if (strncmp (l, prefix, 7) != 0 || strlen (l) != 71
          || strspn (l + 7, "0123456789abcdef") != 64)
        return json_error (doc, ".layers", err,
                           "[%zu]: expected \"sha256:<64 hex digits>\"", i);
    }
  if (m->base_layers > m->n_layers)
    return json_error (doc, ".baseLayers", err, "more than .layers has");
  if (m->freeze_layer && (strlen (m->freeze_layer) != 71
                          || strncmp (m->freeze_layer, prefix, 7) != 0
                          || !m->freeze_upper || strchr (m->freeze_upper, '/')))
    return json_error (doc, ".freeze", err, "malformed");
  return 0;
}

static int
meta_parse_tree (const struct json_doc *doc, struct envrun_env_meta *m,
                 envrun_error_t *err)
{
  json_node *root = json_doc_root (doc), *n;
  uint64_t base = 0;
  size_t dummy;

  if (json_expect_type (doc, root, ".", JSON_OBJECT, err) < 0)
    return -1;
  if (get_opt_string (doc, root, "name", &m->name, err) < 0
      || get_opt_string (doc, root, "created", &m->created, err) < 0
      || get_opt_string (doc, root, "parent", &m->parent, err) < 0
      || get_opt_strv (doc, root, "layers", &m->layers, &m->n_layers, err) < 0
      || get_opt_string (doc, root, "upper", &m->upper, err) < 0
      || get_opt_string (doc, root, "work", &m->work, err) < 0
      || get_opt_strv (doc, root, "env", &m->env, &m->n_env, err) < 0
      || get_opt_string (doc, root, "workdir", &m->workdir, err) < 0
      || get_opt_string (doc, root, "user", &m->user, err) < 0
      || get_opt_strv (doc, root, "entrypoint", &m->entrypoint,
                       &m->n_entrypoint, err) < 0
      || get_opt_strv (doc, root, "cmd", &m->cmd, &m->n_cmd, err) < 0
      || get_opt_string (doc, root, "notes", &m->notes, err) < 0
      || get_opt_string (doc, root, "sourceType", &m->source_type, err) < 0
      || get_opt_string (doc, root, "source", &m->source, err) < 0
      || get_opt_string (doc, root, "sourceDigest", &m->source_digest, err) < 0
      || get_opt_strv (doc, root, "packages", &m->packages, &m->n_packages,
                       err) < 0
      || get_opt_string (doc, root, "freezeUpper", &m->freeze_upper, err) < 0
      || get_opt_string (doc, root, "freezeLayer", &m->freeze_layer, err) < 0)
    return -1;
  (void) dummy;
  n = json_object_get (root, "baseLayers");
  if (n && json_get_uint_max (doc, n, ".baseLayers", 100000, &base, err) < 0)
    return -1;
  m->base_layers = base;
  return meta_check (doc, m, err);
}

int
envrun_env_meta_parse (const char *text, size_t len, const char *docname,
                       struct envrun_env_meta **out, envrun_error_t *err)
{
  struct json_doc *doc = NULL;
  struct envrun_env_meta *m;

  if (json_parse (text, len, docname, &doc, err) < 0)
    return -1;
  m = calloc (1, sizeof *m);
  if (m == NULL)
    {
      json_doc_free (doc);
      return envrun_error_set (err, ENOMEM, "%s", docname);
    }
  if (meta_parse_tree (doc, m, err) < 0)
    {
      json_doc_free (doc);
      envrun_env_meta_free (m);
      return -1;
    }
  json_doc_free (doc);
  *out = m;
  return 0;
}

static void
gen_strv (struct json_gen *g, const char *key, char *const *v, size_t n,
          bool always)
{
  if (v == NULL && !always)
    return;
  json_gen_key (g, key);
  json_gen_array_open (g);
  for (size_t i = 0; i < n; i++)
    json_gen_string (g, v[i]);
  json_gen_array_close (g);
}

static void
gen_opt (struct json_gen *g, const char *key, const char *v)
{
  if (v)
    json_gen_kv_string (g, key, v);
}

int
envrun_env_meta_to_json (const struct envrun_env_meta *m, bool pretty,
                         char **out, envrun_error_t *err)
{
  struct json_gen *g = json_gen_new (pretty);
  size_t len;
  int ret;

  if (g == NULL)
    return envrun_error_set (err, ENOMEM, "meta.json");
  json_gen_object_open (g);
  json_gen_kv_string (g, "name", m->name);
  json_gen_kv_string (g, "created", m->created);
  json_gen_kv_string (g, "parent", m->parent);
  gen_strv (g, "layers", m->layers, m->n_layers, true);
  json_gen_kv_uint (g, "baseLayers", m->base_layers);
  gen_opt (g, "upper", m->upper);
  gen_opt (g, "work", m->work);
  gen_strv (g, "env", m->env, m->n_env, false);
  gen_opt (g, "workdir", m->workdir);
  gen_opt (g, "user", m->user);
  gen_strv (g, "entrypoint", m->entrypoint, m->n_entrypoint, false);
  gen_strv (g, "cmd", m->cmd, m->n_cmd, false);
  gen_opt (g, "notes", m->notes);
  gen_opt (g, "sourceType", m->source_type);
  gen_opt (g, "source", m->source);
  gen_opt (g, "sourceDigest", m->source_digest);
  gen_strv (g, "packages", m->packages, m->n_packages, false);
  gen_opt (g, "freezeUpper", m->freeze_upper);
  gen_opt (g, "freezeLayer", m->freeze_layer);
  json_gen_object_close (g);
  ret = json_gen_finish (g, out, &len, err);
  json_gen_free (g);
  return ret < 0 ? envrun_error_prefix (err, "meta.json") : 0;
}

int
env_meta_save (struct envrun_store *s, const char *envdir,
               const struct envrun_env_meta *m, envrun_error_t *err)
{
  cleanup_free char *text = NULL;
  cleanup_free char *path = NULL;
  size_t len;

  (void) s;
  if (envrun_env_meta_to_json (m, true, &text, err) < 0)
    return -1;
  if (asprintf (&path, "%s/meta.json", envdir) < 0)
    return envrun_error_set (err, ENOMEM, "meta.json");
  len = strlen (text);
  text[len] = '\0';
  {
    cleanup_free char *nl = NULL;
    if (asprintf (&nl, "%s\n", text) < 0)
      return envrun_error_set (err, ENOMEM, "meta.json");
    return env_write_file_atomic (path, nl, len + 1, err);
  }
}
