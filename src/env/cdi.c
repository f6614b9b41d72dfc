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
#include <yaml.h>

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
static int
strv_push (char ***v, size_t *n, const char *s)
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
static bool
valid_kind (const char *kind)
{
  const char *slash = strchr (kind, '/');

  return slash && valid_label (kind, slash - kind, "-.", 253)
         && valid_label (slash + 1, strlen (slash + 1), "-_.", 63);
}

static bool
valid_device_name (const char *name)
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
  if (!valid_device_name (d->name))
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
  if (!valid_kind (s->kind))
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

/* ---- YAML to the JSON tree ------------------------------------------------
 */

struct yaml_frame
{
  bool mapping;
  bool want_key;
};

/* A plain scalar's JSON type, as a YAML 1.1 reader (what CDI's reference
   implementation uses) sees it: null, booleans, integers (0x hex, 0/0o
   octal); everything else is a string.  */
static void
gen_plain_scalar (struct json_gen *g, const char *s)
{
  const char *digits = s + (*s == '-' || *s == '+');
  char *end;

  if (*s == '\0' || strcmp (s, "~") == 0 || strcasecmp (s, "null") == 0)
    return json_gen_null (g);
  if (strcasecmp (s, "true") == 0 || strcasecmp (s, "false") == 0)
    return json_gen_bool (g, tolower ((unsigned char)s[0]) == 't');
  if (isdigit ((unsigned char)*digits))
    {
      int base = strncmp (digits, "0o", 2) == 0 ? 8 : 0;
      const char *from = base ? digits + 2 : digits;
      unsigned long long v;
      errno = 0;
      v = strtoull (from, &end, base);
      if (*end == '\0' && errno == 0 && end != from)
        {
          if (*s != '-')
            return json_gen_uint (g, v);
          if (v <= (unsigned long long)INT64_MAX)
            return json_gen_int (g, -(int64_t)v);
        }
    }
  json_gen_string (g, s);
}

static int
yaml_scalar (struct json_gen *g, struct yaml_frame *top,
             const yaml_event_t *ev)
{
  const char *s = (const char *)ev->data.scalar.value;

  if (strlen (s) != ev->data.scalar.length)
    return -1;
  if (top && top->mapping && top->want_key)
    json_gen_key (g, s);
  else if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
    gen_plain_scalar (g, s);
  else
    json_gen_string (g, s);
  if (top && top->mapping)
    top->want_key = !top->want_key;
  return 0;
}

/* One event into the generator.  Returns 1 at the end of the stream.  */
static int
yaml_event (struct json_gen *g, struct yaml_frame *stack, size_t *depth,
            unsigned *docs, const yaml_event_t *ev, const char **why)
{
  struct yaml_frame *top = *depth ? &stack[*depth - 1] : NULL;

  switch (ev->type)
    {
    case YAML_STREAM_END_EVENT:
      return 1;
    case YAML_DOCUMENT_START_EVENT:
      if (++*docs > 1)
        return *why = "more than one YAML document", -1;
      return 0;
    case YAML_ALIAS_EVENT:
      return *why = "YAML aliases are not allowed", -1;
    case YAML_SCALAR_EVENT:
      return yaml_scalar (g, top, ev) < 0 ? (*why = "NUL in a string", -1) : 0;
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
      if (top && top->mapping && top->want_key)
        return *why = "mapping keys must be scalars", -1;
      if (*depth >= JSON_MAX_DEPTH)
        return *why = "nested too deeply", -1;
      stack[(*depth)++]
          = (struct yaml_frame){ ev->type == YAML_MAPPING_START_EVENT, true };
      if (ev->type == YAML_MAPPING_START_EVENT)
        json_gen_object_open (g);
      else
        json_gen_array_open (g);
      return 0;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
      if (stack[--*depth].mapping)
        json_gen_object_close (g);
      else
        json_gen_array_close (g);
      if (*depth && stack[*depth - 1].mapping)
        stack[*depth - 1].want_key = true;
      return 0;
    default:
      return 0;
    }
}

static int
yaml_to_json (const char *text, size_t len, const char *file, char **out,
              size_t *out_len, envrun_error_t *err)
{
  struct yaml_frame stack[JSON_MAX_DEPTH];
  struct json_gen *g = json_gen_new (false);
  const char *why = NULL;
  unsigned docs = 0;
  size_t depth = 0;
  yaml_parser_t p;
  int r = 0;

  if (g == NULL || !yaml_parser_initialize (&p))
    {
      json_gen_free (g);
      return envrun_error_set (err, ENOMEM, "%s", file);
    }
  yaml_parser_set_input_string (&p, (const unsigned char *)text, len);
  while (r == 0)
    {
      yaml_event_t ev;
      if (!yaml_parser_parse (&p, &ev))
        {
          envrun_error_set (err, 0, "%s: line %zu column %zu: %s", file,
                            p.problem_mark.line + 1, p.problem_mark.column + 1,
                            p.problem ? p.problem : "invalid YAML");
          r = -1;
          break;
        }
      r = yaml_event (g, stack, &depth, &docs, &ev, &why);
      if (r < 0)
        envrun_error_set (err, 0, "%s: line %zu column %zu: %s", file,
                          ev.start_mark.line + 1, ev.start_mark.column + 1,
                          why);
      yaml_event_delete (&ev);
    }
  yaml_parser_delete (&p);
  if (r > 0 && docs == 0)
    r = envrun_error_set (err, 0, "%s: empty document", file);
  if (r > 0)
    r = json_gen_finish (g, out, out_len, err);
  json_gen_free (g);
  return r < 0 ? -1 : 0;
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
  if (yaml && yaml_to_json (text, len, file, &json, &json_len, err) < 0)
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

/* ---- the spec directories ---------------------------------------------- */

static bool
spec_file_name (const char *name, bool *yaml)
{
  size_t len = strlen (name);

  if (name[0] == '.')
    return false;
  *yaml = (len > 5 && strcmp (name + len - 5, ".yaml") == 0)
          || (len > 4 && strcmp (name + len - 4, ".yml") == 0);
  return *yaml || (len > 5 && strcmp (name + len - 5, ".json") == 0);
}

/* Read one spec file.  Specs steer device nodes, mounts and hooks run as
   root: one that someone other than root or the caller could have written
   is refused.  */
static int
read_spec_at (int dirfd, const char *file, const char *name, char **text,
              size_t *len, envrun_error_t *err)
{
  cleanup_close int fd
      = openat (dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  cleanup_free char *buf = NULL;
  struct stat st;
  size_t got = 0;

  if (fd < 0 || fstat (fd, &st) < 0)
    return envrun_error_set (err, errno, "%s", file);
  if (!S_ISREG (st.st_mode))
    return envrun_error_set (err, 0, "%s: not a regular file", file);
  if (st.st_size > (off_t)CDI_SPEC_MAX)
    return envrun_error_set (err, EFBIG, "%s: larger than %u bytes", file,
                             CDI_SPEC_MAX);
  if ((st.st_uid != 0 && st.st_uid != geteuid ()) || (st.st_mode & 0002))
    return envrun_error_set (err, EPERM,
                             "%s: refusing a CDI spec that "
                             "others can write (owner %u, mode %04o)",
                             file, (unsigned)st.st_uid,
                             (unsigned)(st.st_mode & 07777));
  buf = malloc ((size_t)st.st_size + 1);
  if (buf == NULL)
    return envrun_error_set (err, ENOMEM, "%s", file);
  while (got < (size_t)st.st_size)
    {
      ssize_t r = read (fd, buf + got, (size_t)st.st_size - got);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return envrun_error_set (err, errno, "%s", file);
      if (r == 0)
        break;
      got += (size_t)r;
    }
  buf[got] = '\0';
  *len = got;
  *text = steal_pointer (&buf);
  return 0;
}

static int
registry_add (struct cdi_registry *r, int dirfd, const char *dir,
              const char *name, bool yaml, unsigned priority,
              envrun_error_t *err)
{
  cleanup_free char *file = NULL;
  cleanup_free char *text = NULL;
  struct cdi_spec **n, *s = NULL;
  size_t len = 0;

  if (r->n_specs >= CDI_MAX_SPECS)
    return envrun_error_set (err, E2BIG, "%s: more than %u CDI spec files",
                             dir, CDI_MAX_SPECS);
  if (asprintf (&file, "%s/%s", dir, name) < 0)
    return envrun_error_set (err, ENOMEM, "%s", dir);
  if (read_spec_at (dirfd, file, name, &text, &len, err) < 0
      || cdi_spec_parse (text, len, file, yaml, &s, err) < 0)
    return -1;
  n = realloc (r->specs, (r->n_specs + 1) * sizeof *n);
  if (n == NULL)
    {
      cdi_spec_free (s);
      return envrun_error_set (err, ENOMEM, "%s", file);
    }
  s->priority = priority;
  r->specs = n;
  r->specs[r->n_specs++] = s;
  return 0;
}

static int
compare_names (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

static int
load_dir (struct cdi_registry *r, const char *dir, unsigned priority,
          envrun_error_t *err)
{
  cleanup_close int fd = -1;
  cleanup_strv char **names = NULL;
  size_t n = 0;
  struct dirent *de;
  DIR *d;

  if (dir[0] != '/')
    return envrun_error_set (err, EINVAL,
                             "CDI directory %s: must be an "
                             "absolute path",
                             dir);
  fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT || errno == ENOTDIR
               ? 0
               : envrun_error_set (err, errno, "CDI directory %s", dir);
  d = fdopendir (dup (fd));
  if (d == NULL)
    return envrun_error_set (err, errno, "CDI directory %s", dir);
  while ((de = readdir (d)))
    {
      bool yaml;
      if (spec_file_name (de->d_name, &yaml) && n < CDI_MAX_SPECS + 1
          && strv_push (&names, &n, de->d_name) < 0)
        {
          closedir (d);
          return envrun_error_set (err, ENOMEM, "%s", dir);
        }
    }
  closedir (d);
  if (n)
    qsort (names, n, sizeof *names, compare_names);
  for (size_t i = 0; i < n; i++)
    {
      bool yaml;
      spec_file_name (names[i], &yaml);
      if (registry_add (r, fd, dir, names[i], yaml, priority, err) < 0)
        return -1;
    }
  return 0;
}

void
cdi_registry_free (struct cdi_registry *r)
{
  if (r == NULL)
    return;
  for (size_t i = 0; i < r->n_specs; i++)
    cdi_spec_free (r->specs[i]);
  free (r->specs);
  free (r->dirs);
  free (r);
}

int
cdi_registry_load (const char *dirs, struct cdi_registry **out,
                   envrun_error_t *err)
{
  struct cdi_registry *r = calloc (1, sizeof *r);
  cleanup_free char *copy = strdup (dirs ? dirs : CDI_DEFAULT_DIRS);
  char *save = NULL;
  unsigned priority = 0;

  if (r == NULL || copy == NULL || (r->dirs = strdup ("")) == NULL)
    {
      cdi_registry_free (r);
      return envrun_error_set (err, ENOMEM, "CDI");
    }
  for (char *dir = strtok_r (copy, ":", &save); dir;
       dir = strtok_r (NULL, ":", &save), priority++)
    {
      char *list;
      if (asprintf (&list, "%s%s%s", r->dirs, *r->dirs ? ", " : "", dir) < 0)
        list = NULL;
      free (r->dirs);
      r->dirs = list;
      if (list == NULL || load_dir (r, dir, priority, err) < 0)
        {
          if (list == NULL)
            envrun_error_set (err, ENOMEM, "CDI");
          cdi_registry_free (r);
          return -1;
        }
    }
  *out = r;
  return 0;
}

/* ---- resolving names -----------------------------------------------------
 */

struct resolution
{
  const struct cdi_edits **edits;
  size_t n;
};

static int
add_edits (struct resolution *res, const struct cdi_edits *e)
{
  const struct cdi_edits **n;

  for (size_t i = 0; i < res->n; i++)
    if (res->edits[i] == e)
      return 0;
  n = realloc (res->edits, (res->n + 1) * sizeof *n);
  if (n == NULL)
    return -1;
  res->edits = n;
  res->edits[res->n++] = e;
  return 0;
}

/* The winning definition of kind=name: the highest-priority directory's.
   0 found, 1 none, -1 error (two files of one directory define it).  */
static int
find_device (const struct cdi_registry *r, const char *kind, const char *name,
             const struct cdi_spec **spec, const struct cdi_device **dev,
             envrun_error_t *err)
{
  *spec = NULL;
  *dev = NULL;
  for (size_t i = 0; i < r->n_specs; i++)
    {
      const struct cdi_spec *s = r->specs[i];
      if (strcmp (s->kind, kind) != 0)
        continue;
      for (size_t j = 0; j < s->n_devices; j++)
        {
          if (strcmp (s->devices[j].name, name) != 0)
            continue;
          if (*spec && (*spec)->priority == s->priority)
            return envrun_error_set (err, 0,
                                     "%s=%s: defined by both %s "
                                     "and %s",
                                     kind, name, (*spec)->file, s->file);
          if (*spec == NULL || s->priority > (*spec)->priority)
            *spec = s, *dev = &s->devices[j];
        }
    }
  return *spec ? 0 : 1;
}

static int
use_device (struct resolution *res, const struct cdi_spec *s,
            const struct cdi_device *d, envrun_error_t *err)
{
  if (add_edits (res, &s->edits) < 0 || add_edits (res, &d->edits) < 0)
    return envrun_error_set (err, ENOMEM, "CDI");
  return 0;
}

/* kind=all without a device named "all": every device of the kind.  */
static int
use_all (const struct cdi_registry *r, struct resolution *res,
         const char *kind, envrun_error_t *err)
{
  for (size_t i = 0; i < r->n_specs; i++)
    for (size_t j = 0;
         strcmp (r->specs[i]->kind, kind) == 0 && j < r->specs[i]->n_devices;
         j++)
      {
        const struct cdi_spec *s;
        const struct cdi_device *d;
        if (find_device (r, kind, r->specs[i]->devices[j].name, &s, &d, err)
            < 0)
          return -1;
        if (d == &r->specs[i]->devices[j] && use_device (res, s, d, err) < 0)
          return -1;
      }
  return 0;
}

static bool
kind_known (const struct cdi_registry *r, const char *kind)
{
  for (size_t i = 0; i < r->n_specs; i++)
    if (strcmp (r->specs[i]->kind, kind) == 0)
      return true;
  return false;
}

static int
resolve_one (const struct cdi_registry *r, struct resolution *res,
             const char *qualified, envrun_error_t *err)
{
  cleanup_free char *kind = strdup (qualified);
  const struct cdi_spec *s;
  const struct cdi_device *d;
  char *name;
  int found;

  if (kind == NULL)
    return envrun_error_set (err, ENOMEM, "CDI");
  name = strchr (kind, '=');
  if (name)
    *name++ = '\0';
  if (name == NULL || !valid_kind (kind) || !valid_device_name (name))
    return envrun_error_set (err, 0,
                             "%s: expected a CDI device name "
                             "vendor.com/class=name",
                             qualified);
  if (!kind_known (r, kind))
    return envrun_error_set (err, 0, "%s: no CDI spec for %s in %s", qualified,
                             kind, *r->dirs ? r->dirs : "(none)");
  found = find_device (r, kind, name, &s, &d, err);
  if (found < 0)
    return -1;
  if (found == 0)
    return use_device (res, s, d, err);
  if (strcmp (name, "all") == 0)
    return use_all (r, res, kind, err);
  return envrun_error_set (err, 0,
                           "%s: no device %s in the CDI specs "
                           "for %s in %s",
                           qualified, name, kind, r->dirs);
}

int
cdi_resolve (const struct cdi_registry *r, char *const *names, size_t n,
             const struct cdi_edits ***out, size_t *n_out, envrun_error_t *err)
{
  struct resolution res = { NULL, 0 };

  if (n > CDI_MAX_REQUESTS)
    return envrun_error_set (err, E2BIG, "more than %u CDI devices",
                             CDI_MAX_REQUESTS);
  for (size_t i = 0; i < n; i++)
    if (resolve_one (r, &res, names[i], err) < 0)
      {
        free (res.edits);
        return -1;
      }
  *out = res.edits;
  *n_out = res.n;
  return 0;
}

/* ---- what a run asks for ---------------------------------------------------
 */

/* --gpus / NVIDIA_VISIBLE_DEVICES: "all", "none"/"void"/"" (no GPU), or
   "0,1" / "GPU-<uuid>,…" (docker's "device=" prefix accepted).  */
static int
gpu_names (const char *gpus, char ***names, size_t *n, envrun_error_t *err)
{
  cleanup_free char *copy = NULL;
  char *save = NULL;

  if (strncmp (gpus, "device=", 7) == 0)
    gpus += 7;
  if (*gpus == '\0' || strcmp (gpus, "none") == 0
      || strcmp (gpus, "void") == 0)
    return 0;
  copy = strdup (gpus);
  if (copy == NULL)
    return envrun_error_set (err, ENOMEM, "--gpus");
  for (char *g = strtok_r (copy, ",", &save); g;
       g = strtok_r (NULL, ",", &save))
    {
      char buf[300];
      if (!valid_device_name (g) || strlen (g) > 255)
        return envrun_error_set (err, 0,
                                 "--gpus %s: `%s` is not a GPU "
                                 "index or UUID",
                                 gpus, g);
      snprintf (buf, sizeof buf, "nvidia.com/gpu=%s", g);
      if (strv_push (names, n, buf) < 0)
        return envrun_error_set (err, ENOMEM, "--gpus");
    }
  return 0;
}

int
cdi_requested_names (const struct envrun_env_run_options *o, char ***names,
                     size_t *n, envrun_error_t *err)
{
  cleanup_strv char **v = NULL;
  size_t count = 0;

  for (size_t i = 0; i < o->n_devices; i++)
    if (cdi_is_name (o->devices[i])
        && strv_push (&v, &count, o->devices[i]) < 0)
      return envrun_error_set (err, ENOMEM, "--device");
  if (o->gpus && gpu_names (o->gpus, &v, &count, err) < 0)
    return o->gpus_from_env
               ? envrun_error_prefix (err, "NVIDIA_VISIBLE_DEVICES")
               : -1;
  *names = steal_pointer (&v);
  *n = count;
  return 0;
}

/* ---- device nodes ---------------------------------------------------------
 */

static char
stat_type (mode_t m)
{
  return S_ISCHR (m) ? 'c' : S_ISBLK (m) ? 'b' : S_ISFIFO (m) ? 'p' : 0;
}

int
cdi_node_complete (const struct cdi_device_node *in, struct cdi_node_info *out,
                   envrun_error_t *err)
{
  const char *host = in->host_path ? in->host_path : in->path;
  bool need = in->type == 0 || !in->has_file_mode
              || (in->type != 'p' && !in->has_major && !in->has_minor);
  struct stat st;

  *out = (struct cdi_node_info){ .path = in->path,
                                 .type = in->type,
                                 .major = in->major,
                                 .minor = in->minor,
                                 .has_file_mode = in->has_file_mode,
                                 .file_mode = in->file_mode,
                                 .has_uid = in->has_uid,
                                 .uid = in->uid,
                                 .has_gid = in->has_gid,
                                 .gid = in->gid,
                                 .access
                                 = in->permissions ? in->permissions : "rwm" };
  if (!need)
    return 0;
  if (stat (host, &st) < 0)
    {
      /* The mode alone can default; the device number cannot.  */
      if (in->type && (in->type == 'p' || in->has_major || in->has_minor))
        return 0;
      return envrun_error_set (err, errno, "CDI device node %s: %s", in->path,
                               host);
    }
  if (stat_type (st.st_mode) == 0)
    return envrun_error_set (err, 0,
                             "CDI device node %s: %s is not a "
                             "device node",
                             in->path, host);
  if (in->type && in->type != 'u' && in->type != stat_type (st.st_mode))
    return envrun_error_set (err, 0,
                             "CDI device node %s: type %c, but %s "
                             "is of type %c",
                             in->path, in->type, host, stat_type (st.st_mode));
  if (out->type == 0)
    out->type = stat_type (st.st_mode);
  if (!in->has_major && !in->has_minor)
    out->major = major (st.st_rdev), out->minor = minor (st.st_rdev);
  if (!in->has_file_mode)
    out->has_file_mode = true, out->file_mode = st.st_mode & 0777;
  return 0;
}
