/* CDI spec files: parse (JSON through the JSON module; YAML converted
   event by event into the same tree, so one field walk checks both),
   load the spec directories, resolve device names.

   Specs are input from outside envrun: every field is type-checked, paths
   must be absolute, hook names must be OCI's, and an edit envrun does not
   understand is refused rather than silently skipped.  */
#include "config-host.h"

#include "cdi.h"
#include "cleanup.h"
#include "json.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define CDI_PATH_MAX 256 /* field paths in messages */

static const char *const hook_names[] = { "prestart",
                                          "createRuntime",
                                          "createContainer",
                                          "startContainer",
                                          "poststart",
                                          "poststop",
                                          NULL };

/* Append a copy of s to the NULL-terminated *v (kept here so the parser
   links alone into the fuzz target).  */
int
cdi_strv_push (char ***v, size_t *n, const char *s)
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

/* ---- the field walk ---------------------------------------------------- */

struct walk
{
  const struct json_doc *doc;
  envrun_error_t *err;
  bool yaml; /* the tree came from YAML */
};

/* A path too long for the buffer ends in "..." rather than misleading.  */
static void
mark_truncated (char *buf, int r)
{
  if (r < 0 || r >= CDI_PATH_MAX)
    memcpy (buf + CDI_PATH_MAX - 4, "...", 4);
}

static void
key_path (char *buf, const char *base, const char *key)
{
  mark_truncated (buf, snprintf (buf, CDI_PATH_MAX, "%s.%s", base, key));
}

static void
index_path (char *buf, const char *base, size_t i)
{
  mark_truncated (buf, snprintf (buf, CDI_PATH_MAX, "%s[%zu]", base, i));
}

/* A string field; YAML writes `name: 0` for the string "0", so there a
   number is taken as its text.  */
static int
get_string (struct walk *w, json_node *n, const char *path, char **out)
{
  const char *s = w->yaml ? json_number_text (n) : NULL;

  if (s == NULL && json_get_string (w->doc, n, path, &s, w->err) < 0)
    return -1;
  *out = strdup (s);
  return *out ? 0 : envrun_error_set (w->err, ENOMEM, "%s", path);
}

static int
opt_string (struct walk *w, json_node *obj, const char *base, const char *key,
            bool required, char **out)
{
  char path[CDI_PATH_MAX];
  json_node *n = json_object_get (obj, key);

  key_path (path, base, key);
  if (n == NULL || json_node_type (n) == JSON_NULL)
    return required ? json_error (w->doc, path, w->err, "is required") : 0;
  return get_string (w, n, path, out);
}

static bool
has_dotdot (const char *p)
{
  for (const char *c = p; (c = strstr (c, "..")); c += 2)
    if ((c == p || c[-1] == '/') && (c[2] == '\0' || c[2] == '/'))
      return true;
  return false;
}

static int
abs_path (struct walk *w, json_node *obj, const char *base, const char *key,
          bool required, char **out)
{
  char path[CDI_PATH_MAX];

  if (opt_string (w, obj, base, key, required, out) < 0)
    return -1;
  key_path (path, base, key);
  if (*out && (*out)[0] != '/')
    return json_error (w->doc, path, w->err,
                       "must be an absolute path, "
                       "not \"%s\"",
                       *out);
  if (*out && has_dotdot (*out))
    return json_error (w->doc, path, w->err, "must not contain \"..\"");
  return 0;
}

/* NULL-terminated list of strings; kv: each must be KEY=VALUE.  */
static int
opt_strv (struct walk *w, json_node *obj, const char *base, const char *key,
          bool kv, char ***out, size_t *n_out)
{
  char path[CDI_PATH_MAX], item[CDI_PATH_MAX];
  json_node *arr = json_object_get (obj, key);
  size_t n = 0;

  key_path (path, base, key);
  if (arr == NULL || json_node_type (arr) == JSON_NULL)
    return 0;
  if (json_expect_type (w->doc, arr, path, JSON_ARRAY, w->err) < 0)
    return -1;
  *out = calloc (json_array_size (arr) + 1, sizeof **out);
  if (*out == NULL)
    return envrun_error_set (w->err, ENOMEM, "%s", path);
  for (size_t i = 0; i < json_array_size (arr); i++, n++)
    {
      index_path (item, path, i);
      if (get_string (w, json_array_at (arr, i), item, &(*out)[i]) < 0)
        return -1;
      if (kv && ((*out)[i][0] == '=' || strchr ((*out)[i], '=') == NULL))
        return json_error (w->doc, item, w->err,
                           "expected KEY=VALUE, not "
                           "\"%s\"",
                           (*out)[i]);
    }
  if (n_out)
    *n_out = n;
  return 0;
}

static int
opt_uint (struct walk *w, json_node *obj, const char *base, const char *key,
          uint64_t max, bool *has, uint64_t *out)
{
  char path[CDI_PATH_MAX];
  json_node *n = json_object_get (obj, key);

  key_path (path, base, key);
  if (n == NULL || json_node_type (n) == JSON_NULL)
    return 0;
  if (json_get_uint_max (w->doc, n, path, max, out, w->err) < 0)
    return -1;
  *has = true;
  return 0;
}

/* An array of objects: calloc'd items of `size` bytes, each parsed by
   `one`.  */
static int
opt_objects (struct walk *w, json_node *obj, const char *base, const char *key,
             size_t size, void **items, size_t *n_items,
             int (*one) (struct walk *, json_node *, const char *, void *))
{
  char path[CDI_PATH_MAX], item[CDI_PATH_MAX];
  json_node *arr = json_object_get (obj, key);

  key_path (path, base, key);
  if (arr == NULL || json_node_type (arr) == JSON_NULL)
    return 0;
  if (json_expect_type (w->doc, arr, path, JSON_ARRAY, w->err) < 0)
    return -1;
  *items = calloc (json_array_size (arr) + 1, size);
  if (*items == NULL)
    return envrun_error_set (w->err, ENOMEM, "%s", path);
  for (size_t i = 0; i < json_array_size (arr); i++)
    {
      json_node *n = json_array_at (arr, i);
      index_path (item, path, i);
      (*n_items)++; /* counted first so a half-parsed item is freed */
      if (json_expect_type (w->doc, n, item, JSON_OBJECT, w->err) < 0
          || one (w, n, item, (char *)*items + i * size) < 0)
        return -1;
    }
  return 0;
}

static int
parse_node (struct walk *w, json_node *n, const char *path, void *out)
{
  struct cdi_device_node *d = out;
  char field[CDI_PATH_MAX];
  cleanup_free char *type = NULL;
  uint64_t v = 0;

  if (abs_path (w, n, path, "path", true, &d->path) < 0
      || abs_path (w, n, path, "hostPath", false, &d->host_path) < 0
      || opt_string (w, n, path, "type", false, &type) < 0
      || opt_string (w, n, path, "permissions", false, &d->permissions) < 0)
    return -1;
  key_path (field, path, "type");
  if (type && (strlen (type) != 1 || !strchr ("cbup", type[0])))
    return json_error (w->doc, field, w->err,
                       "must be \"c\", \"b\", \"u\" "
                       "or \"p\", not \"%s\"",
                       type);
  d->type = type ? type[0] : 0;
  key_path (field, path, "permissions");
  if (d->permissions
      && (d->permissions[0] == '\0'
          || strspn (d->permissions, "rwm") != strlen (d->permissions)))
    return json_error (w->doc, field, w->err,
                       "must be made of r, w and m, "
                       "not \"%s\"",
                       d->permissions);
  if (opt_uint (w, n, path, "major", INT64_MAX, &d->has_major, &v) < 0)
    return -1;
  d->major = (int64_t)v;
  if (opt_uint (w, n, path, "minor", INT64_MAX, &d->has_minor, &v) < 0)
    return -1;
  d->minor = (int64_t)v;
  if (opt_uint (w, n, path, "fileMode", 07777, &d->has_file_mode, &v) < 0)
    return -1;
  d->file_mode = (uint32_t)v;
  if (opt_uint (w, n, path, "uid", UINT32_MAX - 1, &d->has_uid, &v) < 0)
    return -1;
  d->uid = (uint32_t)v;
  if (opt_uint (w, n, path, "gid", UINT32_MAX - 1, &d->has_gid, &v) < 0)
    return -1;
  d->gid = (uint32_t)v;
  return 0;
}

static int
parse_mount (struct walk *w, json_node *n, const char *path, void *out)
{
  struct cdi_mount *m = out;
  char field[CDI_PATH_MAX];

  if (abs_path (w, n, path, "containerPath", true, &m->container_path) < 0
      || opt_string (w, n, path, "hostPath", true, &m->host_path) < 0
      || opt_string (w, n, path, "type", false, &m->type) < 0
      || opt_strv (w, n, path, "options", false, &m->options, NULL) < 0)
    return -1;
  key_path (field, path, "hostPath");
  /* A bind source relative to the runtime's cwd is never what a vendor
     meant.  */
  if ((m->type == NULL || strcmp (m->type, "bind") == 0)
      && m->host_path[0] != '/')
    return json_error (w->doc, field, w->err,
                       "must be an absolute path, "
                       "not \"%s\"",
                       m->host_path);
  return 0;
}

static int
parse_hook (struct walk *w, json_node *n, const char *path, void *out)
{
  struct cdi_hook *h = out;
  cleanup_free char *name = NULL;
  char field[CDI_PATH_MAX];
  uint64_t v = 0;

  if (opt_string (w, n, path, "hookName", true, &name) < 0)
    return -1;
  for (const char *const *k = hook_names; *k; k++)
    if (strcmp (*k, name) == 0)
      h->hook_name = *k;
  key_path (field, path, "hookName");
  if (h->hook_name == NULL)
    return json_error (w->doc, field, w->err,
                       "unknown hook \"%s\" (expected "
                       "createRuntime, createContainer, startContainer, "
                       "poststart, poststop or prestart)",
                       name);
  if (abs_path (w, n, path, "path", true, &h->path) < 0
      || opt_strv (w, n, path, "args", false, &h->args, NULL) < 0
      || opt_strv (w, n, path, "env", true, &h->env, NULL) < 0
      || opt_uint (w, n, path, "timeout", INT32_MAX, &h->has_timeout, &v) < 0)
    return -1;
  key_path (field, path, "timeout");
  if (h->has_timeout && v == 0)
    return json_error (w->doc, field, w->err, "must be greater than zero");
  h->timeout = (int64_t)v;
  return 0;
}

static int
parse_gids (struct walk *w, json_node *obj, const char *base,
            struct cdi_edits *e)
{
  char path[CDI_PATH_MAX], item[CDI_PATH_MAX];
  json_node *arr = json_object_get (obj, "additionalGids");

  key_path (path, base, "additionalGids");
  if (arr == NULL || json_node_type (arr) == JSON_NULL)
    return 0;
  if (json_expect_type (w->doc, arr, path, JSON_ARRAY, w->err) < 0)
    return -1;
  e->gids = calloc (json_array_size (arr) + 1, sizeof *e->gids);
  if (e->gids == NULL)
    return envrun_error_set (w->err, ENOMEM, "%s", path);
  for (size_t i = 0; i < json_array_size (arr); i++)
    {
      uint64_t v;
      index_path (item, path, i);
      if (json_get_uint_max (w->doc, json_array_at (arr, i), item,
                             UINT32_MAX - 1, &v, w->err)
          < 0)
        return -1;
      e->gids[e->n_gids++] = (uint32_t)v;
    }
  return 0;
}

static int
parse_edits (struct walk *w, json_node *n, const char *path,
             struct cdi_edits *e)
{
  static const char *const known[]
      = { "env",      "deviceNodes", "mounts", "hooks", "additionalGids",
          "intelRdt", NULL };

  if (n == NULL || json_node_type (n) == JSON_NULL)
    return 0;
  if (json_expect_type (w->doc, n, path, JSON_OBJECT, w->err) < 0)
    return -1;
  for (size_t i = 0; i < json_object_size (n); i++)
    {
      const char *k = json_object_key_at (n, i);
      const char *const *p = known;
      char field[CDI_PATH_MAX];
      while (*p && strcmp (*p, k) != 0)
        p++;
      key_path (field, path, k);
      /* An edit we cannot apply must not be dropped without a word.  */
      if (*p == NULL
          || (strcmp (k, "intelRdt") == 0
              && json_node_type (json_object_value_at (n, i)) != JSON_NULL))
        return json_error (w->doc, field, w->err, "not supported by envrun");
    }
  if (opt_strv (w, n, path, "env", true, &e->env, &e->n_env) < 0
      || opt_objects (w, n, path, "deviceNodes", sizeof *e->nodes,
                      (void **)&e->nodes, &e->n_nodes, parse_node)
             < 0
      || opt_objects (w, n, path, "mounts", sizeof *e->mounts,
                      (void **)&e->mounts, &e->n_mounts, parse_mount)
             < 0
      || opt_objects (w, n, path, "hooks", sizeof *e->hooks,
                      (void **)&e->hooks, &e->n_hooks, parse_hook)
             < 0
      || parse_gids (w, n, path, e) < 0)
    return -1;
  return 0;
}

static void
edits_free (struct cdi_edits *e)
{
  cleanup_strvp (&e->env);
  for (size_t i = 0; i < e->n_nodes; i++)
    {
      free (e->nodes[i].path);
      free (e->nodes[i].host_path);
      free (e->nodes[i].permissions);
    }
  free (e->nodes);
  for (size_t i = 0; i < e->n_mounts; i++)
    {
      free (e->mounts[i].host_path);
      free (e->mounts[i].container_path);
      free (e->mounts[i].type);
      cleanup_strvp (&e->mounts[i].options);
    }
  free (e->mounts);
  for (size_t i = 0; i < e->n_hooks; i++)
    {
      free (e->hooks[i].path);
      cleanup_strvp (&e->hooks[i].args);
      cleanup_strvp (&e->hooks[i].env);
    }
  free (e->hooks);
  free (e->gids);
}

void
cdi_spec_free (struct cdi_spec *s)
{
  if (s == NULL)
    return;
  for (size_t i = 0; i < s->n_devices; i++)
    {
      free (s->devices[i].name);
      edits_free (&s->devices[i].edits);
    }
  free (s->devices);
  edits_free (&s->edits);
  free (s->file);
  free (s->version);
  free (s->kind);
  free (s);
}

/* ---- names -------------------------------------------------------------- */

static bool
is_alnum (char c)
{
  return isascii ((unsigned char)c) && isalnum ((unsigned char)c);
}

/* Alphanumeric at both ends, `inner` characters between, at most max.  */
static bool
valid_label (const char *s, size_t len, const char *inner, size_t max)
{
  if (len == 0 || len > max || !is_alnum (s[0]) || !is_alnum (s[len - 1]))
    return false;
  for (size_t i = 0; i < len; i++)
    if (!is_alnum (s[i]) && !strchr (inner, s[i]))
      return false;
  return true;
}

/* "vendor.com/class": a DNS-like vendor, a class name.  */
bool
cdi_valid_kind (const char *kind)
{
  const char *slash = strchr (kind, '/');

  return slash && valid_label (kind, slash - kind, "-.", 253)
         && valid_label (slash + 1, strlen (slash + 1), "-_.", 63);
}

bool
cdi_valid_device_name (const char *name)
{
  return valid_label (name, strlen (name), "-_.:", 255);
}

bool
cdi_is_name (const char *s)
{
  return s && s[0] != '/' && strchr (s, '=') != NULL;
}

static bool
version_supported (const char *v)
{
  unsigned minor, patch;
  int used = 0;

  return sscanf (v, "0.%u.%u%n", &minor, &patch, &used) == 2 && v[used] == '\0'
         && minor >= 3 && minor <= 8 && v[1] == '.'
         && isdigit ((unsigned char)v[2]);
}

static int
parse_device (struct walk *w, json_node *n, const char *path, void *out)
{
  struct cdi_device *d = out;
  char field[CDI_PATH_MAX];

  if (opt_string (w, n, path, "name", true, &d->name) < 0)
    return -1;
  key_path (field, path, "name");
  if (!cdi_valid_device_name (d->name))
    return json_error (w->doc, field, w->err, "invalid device name \"%s\"",
                       d->name);
  key_path (field, path, "containerEdits");
  return parse_edits (w, json_object_get (n, "containerEdits"), field,
                      &d->edits);
}

static int
parse_spec_tree (struct walk *w, json_node *root, struct cdi_spec *s)
{
  if (json_expect_type (w->doc, root, "", JSON_OBJECT, w->err) < 0
      || opt_string (w, root, "", "cdiVersion", true, &s->version) < 0)
    return -1;
  if (!version_supported (s->version))
    return json_error (w->doc, ".cdiVersion", w->err,
                       "unsupported version "
                       "\"%s\" (envrun reads 0.3.0 to 0.8.0)",
                       s->version);
  if (opt_string (w, root, "", "kind", true, &s->kind) < 0)
    return -1;
  if (!cdi_valid_kind (s->kind))
    return json_error (w->doc, ".kind", w->err,
                       "expected vendor.com/class, "
                       "not \"%s\"",
                       s->kind);
  if (json_object_get (root, "devices") == NULL)
    return json_error (w->doc, ".devices", w->err, "is required");
  if (opt_objects (w, root, "", "devices", sizeof *s->devices,
                   (void **)&s->devices, &s->n_devices, parse_device)
      < 0)
    return -1;
  if (s->n_devices == 0)
    return json_error (w->doc, ".devices", w->err, "must not be empty");
  for (size_t i = 0; i < s->n_devices; i++)
    for (size_t j = 0; j < i; j++)
      if (strcmp (s->devices[i].name, s->devices[j].name) == 0)
        {
          char field[CDI_PATH_MAX];
          snprintf (field, sizeof field, ".devices[%zu].name", i);
          return json_error (w->doc, field, w->err,
                             "device \"%s\" is "
                             "defined twice",
                             s->devices[i].name);
        }
  return parse_edits (w, json_object_get (root, "containerEdits"),
                      ".containerEdits", &s->edits);
}

int
cdi_spec_parse (const char *text, size_t len, const char *file, bool yaml,
                struct cdi_spec **out, envrun_error_t *err)
{
  cleanup_free char *json = NULL;
  struct json_doc *doc = NULL;
  struct cdi_spec *s;
  size_t json_len = 0;
  struct walk w = { NULL, err, yaml };

  if (len > CDI_SPEC_MAX)
    return envrun_error_set (err, EFBIG, "%s: larger than %u bytes", file,
                             CDI_SPEC_MAX);
  if (yaml && cdi_yaml_to_json (text, len, file, &json, &json_len, err) < 0)
    return -1;
  if (json_parse (yaml ? json : text, yaml ? json_len : len, file, &doc, err)
      < 0)
    return -1;
  s = calloc (1, sizeof *s);
  if (s == NULL || (s->file = strdup (file)) == NULL)
    {
      free (s);
      json_doc_free (doc);
      return envrun_error_set (err, ENOMEM, "%s", file);
    }
  w.doc = doc;
  if (parse_spec_tree (&w, json_doc_root (doc), s) < 0)
    {
      json_doc_free (doc);
      cdi_spec_free (s);
      return -1;
    }
  json_doc_free (doc);
  *out = s;
  return 0;
}
