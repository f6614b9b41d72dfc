/* The JSON module: yajl's tree parser behind typed getters that report
   "<document>: <.field.path>: <problem>", and yajl_gen behind a generator
   whose failures are sticky.  Nothing else in envrun includes yajl.  */
#include "config-host.h"

#include "cleanup.h"
#include "json.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>
#include <yajl/yajl_tree.h>

struct json_doc
{
  yajl_val root;
  char *name;
};

/* json_node is an opaque view of a yajl_val: the two casts below are the
   only places that know it.  */
static inline yajl_val
V (json_node *n)
{
  return (yajl_val)n;
}

static inline json_node *
N (yajl_val v)
{
  return (json_node *)v;
}

/* ---- parsing ---------------------------------------------------------- */

/* Nesting depth limit, checked before yajl sees the text: yajl_tree_free
   and json_gen_node recurse, so a hostile "[[[[…" must be refused before a
   tree that deep exists.  Also refuses NUL bytes, which yajl_tree_parse
   (it takes a C string) would silently treat as the end of input.  */
static int
check_structure (const char *text, size_t len, const char *name,
                 envrun_error_t *err)
{
  size_t depth = 0;
  bool in_string = false;

  for (size_t i = 0; i < len; i++)
    {
      char c = text[i];

      if (c == '\0')
        return envrun_error_set (err, 0, "%s: NUL byte at offset %zu", name,
                                 i);
      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = false;
          continue;
        }
      if (c == '"')
        in_string = true;
      else if (c == '/' && i + 1 < len && text[i + 1] == '/')
        {
          while (i < len && text[i] != '\n')
            i++;
        }
      else if (c == '/' && i + 1 < len && text[i + 1] == '*')
        {
          const char *end = memmem (text + i + 2, len - i - 2, "*/", 2);
          i = end ? (size_t)(end - text) + 1 : len;
        }
      else if (c == '[' || c == '{')
        {
          if (++depth > JSON_MAX_DEPTH)
            return envrun_error_set (err, 0,
                                     "%s: nested more than %u levels deep",
                                     name, JSON_MAX_DEPTH);
        }
      else if ((c == ']' || c == '}') && depth > 0)
        depth--;
    }
  return 0;
}

/* yajl_tree_parse gives no position; a second, tree-less pass over the
   (already refused) text does, only on the error path.  */
static int
parse_error (const char *text, size_t len, const char *name,
             envrun_error_t *err)
{
  yajl_handle h = yajl_alloc (NULL, NULL, NULL);
  size_t offset = len, line = 1, col = 1;
  cleanup_free char *msg = NULL;
  yajl_status st;

  if (h == NULL)
    return envrun_error_set (err, ENOMEM, "%s", name);
  yajl_config (h, yajl_allow_comments, 1);
  st = yajl_parse (h, (const unsigned char *)text, len);
  if (st == yajl_status_ok)
    st = yajl_complete_parse (h);
  else
    {
      size_t consumed = yajl_get_bytes_consumed (h);
      offset = consumed > 0 ? consumed - 1 : 0;
    }
  if (st != yajl_status_ok)
    {
      unsigned char *m = yajl_get_error (h, 0, NULL, 0);
      if (m)
        {
          msg = strdup ((char *)m);
          yajl_free_error (h, m);
        }
    }
  yajl_free (h);
  for (size_t i = 0; i < offset && i < len; i++)
    {
      if (text[i] == '\n')
        {
          line++;
          col = 1;
        }
      else
        col++;
    }
  if (msg)
    msg[strcspn (msg, "\n")] = '\0';
  return envrun_error_set (err, 0, "%s: line %zu, column %zu: %s", name, line,
                           col, msg && *msg ? msg : "invalid JSON");
}

int
json_parse (const char *text, size_t len, const char *name,
            struct json_doc **out, envrun_error_t *err)
{
  cleanup_free char *copy = NULL;
  struct json_doc *doc;
  char errbuf[256] = "";
  yajl_val root;
  int ret;

  if (name == NULL)
    name = "JSON document";
  if (len > JSON_MAX_DOCUMENT)
    return envrun_error_set (err, 0,
                             "%s: document is %zu bytes, the limit is %u",
                             name, len, JSON_MAX_DOCUMENT);
  ret = check_structure (text, len, name, err);
  if (ret < 0)
    return ret;
  copy = malloc (len + 1);
  if (copy == NULL)
    return envrun_error_set (err, ENOMEM, "%s", name);
  memcpy (copy, text, len);
  copy[len] = '\0';
  root = yajl_tree_parse (copy, errbuf, sizeof errbuf);
  if (root == NULL)
    return parse_error (text, len, name, err);
  doc = calloc (1, sizeof *doc);
  if (doc == NULL || (doc->name = strdup (name)) == NULL)
    {
      free (doc);
      yajl_tree_free (root);
      return envrun_error_set (err, ENOMEM, "%s", name);
    }
  doc->root = root;
  *out = doc;
  return 0;
}

void
json_doc_free (struct json_doc *doc)
{
  if (doc == NULL)
    return;
  yajl_tree_free (doc->root);
  free (doc->name);
  free (doc);
}

json_node *
json_doc_root (const struct json_doc *doc)
{
  return N (doc->root);
}

const char *
json_doc_name (const struct json_doc *doc)
{
  return doc->name;
}

/* Read a whole file, refusing more than JSON_MAX_DOCUMENT bytes without
   reading them all.  Messages use the path as given.  */
int
json_read_file (const char *path, char **text, size_t *len,
                envrun_error_t *err)
{
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  cleanup_free char *buf = NULL;
  size_t used = 0, cap = 0;

  if (fd < 0)
    return envrun_error_set (err, errno, "%s", path);
  for (;;)
    {
      ssize_t r;

      if (cap - used < 4096)
        {
          size_t ncap = cap ? cap * 2 : 16384;
          char *nbuf;

          if (ncap > JSON_MAX_DOCUMENT + 4096)
            ncap = JSON_MAX_DOCUMENT + 4096;
          nbuf = realloc (buf, ncap + 1);
          if (nbuf == NULL)
            return envrun_error_set (err, ENOMEM, "%s", path);
          buf = nbuf;
          cap = ncap;
        }
      r = read (fd, buf + used, cap - used);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return envrun_error_set (err, errno, "%s: read", path);
      if (r == 0)
        break;
      used += (size_t)r;
      if (used > JSON_MAX_DOCUMENT)
        return envrun_error_set (err, 0,
                                 "%s: document is larger than %u bytes", path,
                                 JSON_MAX_DOCUMENT);
    }
  buf[used] = '\0';
  *text = steal_pointer (&buf);
  *len = used;
  return 0;
}

/* ---- tree access ------------------------------------------------------ */

enum json_type
json_node_type (json_node *n)
{
  if (n == NULL)
    return JSON_NULL;
  switch (V (n)->type)
    {
    case yajl_t_string:
      return JSON_STRING;
    case yajl_t_number:
      return JSON_NUMBER;
    case yajl_t_object:
      return JSON_OBJECT;
    case yajl_t_array:
      return JSON_ARRAY;
    case yajl_t_true:
    case yajl_t_false:
      return JSON_BOOL;
    default:
      return JSON_NULL;
    }
}

const char *
json_type_name (enum json_type t)
{
  switch (t)
    {
    case JSON_NULL:
      return "null";
    case JSON_BOOL:
      return "a boolean";
    case JSON_NUMBER:
      return "a number";
    case JSON_STRING:
      return "a string";
    case JSON_ARRAY:
      return "an array";
    case JSON_OBJECT:
      return "an object";
    }
  return "an unknown type";
}

/* The last of duplicate keys wins, as with Go's encoding/json (runc), so
   a document means the same thing to envrun as to the other runtimes.  */
json_node *
json_object_get (json_node *obj, const char *key)
{
  yajl_val o = V (obj);

  if (o == NULL || o->type != yajl_t_object)
    return NULL;
  for (size_t i = o->u.object.len; i > 0; i--)
    if (strcmp (o->u.object.keys[i - 1], key) == 0)
      return N (o->u.object.values[i - 1]);
  return NULL;
}

size_t
json_object_size (json_node *obj)
{
  yajl_val o = V (obj);
  return o && o->type == yajl_t_object ? o->u.object.len : 0;
}

const char *
json_object_key_at (json_node *obj, size_t i)
{
  return i < json_object_size (obj) ? V (obj)->u.object.keys[i] : NULL;
}

json_node *
json_object_value_at (json_node *obj, size_t i)
{
  return i < json_object_size (obj) ? N (V (obj)->u.object.values[i]) : NULL;
}

size_t
json_array_size (json_node *arr)
{
  yajl_val a = V (arr);
  return a && a->type == yajl_t_array ? a->u.array.len : 0;
}

json_node *
json_array_at (json_node *arr, size_t i)
{
  return i < json_array_size (arr) ? N (V (arr)->u.array.values[i]) : NULL;
}

const char *
json_string_value (json_node *n)
{
  return json_node_type (n) == JSON_STRING ? V (n)->u.string : NULL;
}

bool
json_bool_value (json_node *n)
{
  return n && V (n)->type == yajl_t_true;
}

const char *
json_number_text (json_node *n)
{
  return json_node_type (n) == JSON_NUMBER ? V (n)->u.number.r : NULL;
}

/* ---- typed getters ---------------------------------------------------- */

int
json_error (const struct json_doc *doc, const char *path, envrun_error_t *err,
            const char *fmt, ...)
{
  cleanup_free char *msg = NULL;
  const char *name = doc ? doc->name : "JSON document";
  va_list ap;

  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  if (path && *path)
    return envrun_error_set (err, 0, "%s: %s: %s", name, path,
                             msg ? msg : "out of memory");
  return envrun_error_set (err, 0, "%s: %s", name,
                           msg ? msg : "out of memory");
}

int
json_expect_type (const struct json_doc *doc, json_node *n, const char *path,
                  enum json_type t, envrun_error_t *err)
{
  if (json_node_type (n) != t)
    return json_error (doc, path, err, "expected %s", json_type_name (t));
  return 0;
}

int
json_get_string (const struct json_doc *doc, json_node *n, const char *path,
                 const char **out, envrun_error_t *err)
{
  if (json_node_type (n) != JSON_STRING)
    return json_error (doc, path, err, "expected a string");
  *out = V (n)->u.string;
  return 0;
}

int
json_get_bool (const struct json_doc *doc, json_node *n, const char *path,
               bool *out, envrun_error_t *err)
{
  if (json_node_type (n) != JSON_BOOL)
    return json_error (doc, path, err, "expected a boolean");
  *out = V (n)->type == yajl_t_true;
  return 0;
}

/* Integers are read from the number's text, so "1.0", "1e3" and values
   beyond 64 bits are refused instead of being rounded.  */
int
json_get_int64 (const struct json_doc *doc, json_node *n, const char *path,
                int64_t *out, envrun_error_t *err)
{
  const char *s = json_number_text (n);
  char *end = NULL;
  long long v;

  if (s == NULL || s[strspn (s, "-0123456789")] != '\0')
    return json_error (doc, path, err, "expected an integer");
  errno = 0;
  v = strtoll (s, &end, 10);
  if (errno == ERANGE || end == s || *end != '\0')
    return json_error (doc, path, err, "integer out of range");
  *out = v;
  return 0;
}

int
json_get_uint64 (const struct json_doc *doc, json_node *n, const char *path,
                 uint64_t *out, envrun_error_t *err)
{
  const char *s = json_number_text (n);
  char *end = NULL;
  unsigned long long v;

  if (s == NULL || *s == '\0' || s[strspn (s, "0123456789")] != '\0')
    return json_error (doc, path, err, "expected an unsigned integer");
  errno = 0;
  v = strtoull (s, &end, 10);
  if (errno == ERANGE || *end != '\0')
    return json_error (doc, path, err, "must be at most %" PRIu64, UINT64_MAX);
  *out = v;
  return 0;
}

int
json_get_uint_max (const struct json_doc *doc, json_node *n, const char *path,
                   uint64_t max, uint64_t *out, envrun_error_t *err)
{
  uint64_t v;
  int ret = json_get_uint64 (doc, n, path, &v, err);

  if (ret < 0)
    return ret;
  if (v > max)
    return json_error (doc, path, err, "must be at most %" PRIu64, max);
  *out = v;
  return 0;
}

/* ---- generator -------------------------------------------------------- */

struct json_gen
{
  yajl_gen g;
  yajl_gen_status status; /* first failure, sticky */
  size_t depth;           /* open objects and arrays */
  bool pretty;
};

struct json_gen *
json_gen_new_indent (const char *indent)
{
  struct json_gen *g = calloc (1, sizeof *g);

  if (g == NULL)
    return NULL;
  g->g = yajl_gen_alloc (NULL);
  if (g->g == NULL)
    {
      free (g);
      return NULL;
    }
  yajl_gen_config (g->g, yajl_gen_validate_utf8, 1);
  if (indent)
    {
      g->pretty = true;
      yajl_gen_config (g->g, yajl_gen_beautify, 1);
      yajl_gen_config (g->g, yajl_gen_indent_string, indent);
    }
  return g;
}

struct json_gen *
json_gen_new (bool pretty)
{
  return json_gen_new_indent (pretty ? "  " : NULL);
}

void
json_gen_free (struct json_gen *g)
{
  if (g == NULL)
    return;
  yajl_gen_free (g->g);
  free (g);
}

static inline bool
gen_ok (struct json_gen *g)
{
  return g != NULL && g->status == yajl_gen_status_ok;
}

static inline void
gen_check (struct json_gen *g, yajl_gen_status s)
{
  if (s != yajl_gen_status_ok)
    g->status = s;
}

#define GEN(g, call)                                                          \
  do                                                                          \
    {                                                                         \
      if (gen_ok (g))                                                         \
        gen_check ((g), (call));                                              \
    }                                                                         \
  while (0)

void
json_gen_object_open (struct json_gen *g)
{
  GEN (g, yajl_gen_map_open (g->g));
  if (gen_ok (g))
    g->depth++;
}

void
json_gen_object_close (struct json_gen *g)
{
  GEN (g, yajl_gen_map_close (g->g));
  if (gen_ok (g) && g->depth > 0)
    g->depth--;
}

void
json_gen_array_open (struct json_gen *g)
{
  GEN (g, yajl_gen_array_open (g->g));
  if (gen_ok (g))
    g->depth++;
}

void
json_gen_array_close (struct json_gen *g)
{
  GEN (g, yajl_gen_array_close (g->g));
  if (gen_ok (g) && g->depth > 0)
    g->depth--;
}

void
json_gen_string (struct json_gen *g, const char *s)
{
  if (s == NULL)
    json_gen_null (g);
  else
    GEN (g, yajl_gen_string (g->g, (const unsigned char *)s, strlen (s)));
}

void
json_gen_key (struct json_gen *g, const char *key)
{
  if (key == NULL)
    {
      if (g)
        g->status = yajl_gen_keys_must_be_strings;
      return;
    }
  json_gen_string (g, key);
}

void
json_gen_int (struct json_gen *g, int64_t v)
{
  GEN (g, yajl_gen_integer (g->g, v));
}

/* yajl_gen_integer takes long long; values past INT64_MAX go out as text. */
void
json_gen_uint (struct json_gen *g, uint64_t v)
{
  char buf[32];
  int n = snprintf (buf, sizeof buf, "%" PRIu64, v);
  GEN (g, yajl_gen_number (g->g, buf, (size_t)n));
}

void
json_gen_raw (struct json_gen *g, const char *text, size_t len)
{
  /* yajl copies a number's text verbatim: the one way to insert a value
     that is already JSON.  The caller vouches for the text.  */
  GEN (g, yajl_gen_number (g->g, text, len));
}

void
json_gen_double (struct json_gen *g, double v)
{
  GEN (g, yajl_gen_double (g->g, v));
}

void
json_gen_bool (struct json_gen *g, bool v)
{
  GEN (g, yajl_gen_bool (g->g, v));
}

void
json_gen_null (struct json_gen *g)
{
  GEN (g, yajl_gen_null (g->g));
}

void
json_gen_kv_string (struct json_gen *g, const char *k, const char *v)
{
  json_gen_key (g, k);
  json_gen_string (g, v);
}

void
json_gen_kv_int (struct json_gen *g, const char *k, int64_t v)
{
  json_gen_key (g, k);
  json_gen_int (g, v);
}

void
json_gen_kv_uint (struct json_gen *g, const char *k, uint64_t v)
{
  json_gen_key (g, k);
  json_gen_uint (g, v);
}

void
json_gen_kv_bool (struct json_gen *g, const char *k, bool v)
{
  json_gen_key (g, k);
  json_gen_bool (g, v);
}

/* Recursion is bounded: parsed trees are at most JSON_MAX_DEPTH deep and
   yajl_gen refuses deeper output itself.  Numbers are copied as written so
   64-bit values survive.  */
void
json_gen_node (struct json_gen *g, json_node *n)
{
  yajl_val v = V (n);

  if (!gen_ok (g))
    return;
  switch (json_node_type (n))
    {
    case JSON_NULL:
      json_gen_null (g);
      break;
    case JSON_BOOL:
      json_gen_bool (g, v->type == yajl_t_true);
      break;
    case JSON_NUMBER:
      GEN (g, yajl_gen_number (g->g, v->u.number.r, strlen (v->u.number.r)));
      break;
    case JSON_STRING:
      json_gen_string (g, v->u.string);
      break;
    case JSON_ARRAY:
      json_gen_array_open (g);
      for (size_t i = 0; i < v->u.array.len && gen_ok (g); i++)
        json_gen_node (g, N (v->u.array.values[i]));
      json_gen_array_close (g);
      break;
    case JSON_OBJECT:
      json_gen_object_open (g);
      for (size_t i = 0; i < v->u.object.len && gen_ok (g); i++)
        {
          json_gen_key (g, v->u.object.keys[i]);
          json_gen_node (g, N (v->u.object.values[i]));
        }
      json_gen_object_close (g);
      break;
    }
}

static const char *
gen_status_message (yajl_gen_status s)
{
  switch (s)
    {
    case yajl_gen_keys_must_be_strings:
      return "object key expected";
    case yajl_max_depth_exceeded:
      return "nested too deeply";
    case yajl_gen_in_error_state:
      return "generator in error state";
    case yajl_gen_generation_complete:
      return "more than one top-level value";
    case yajl_gen_invalid_number:
      return "NaN or infinity cannot be written";
    case yajl_gen_invalid_string:
      return "string is not valid UTF-8";
    default:
      return "generator error";
    }
}

int
json_gen_finish (struct json_gen *g, char **out, size_t *len,
                 envrun_error_t *err)
{
  const unsigned char *buf = NULL;
  size_t n = 0;
  char *copy;

  if (g == NULL)
    return envrun_error_set (err, ENOMEM, "JSON generator");
  if (g->status != yajl_gen_status_ok)
    return envrun_error_set (err, 0, "JSON generator: %s",
                             gen_status_message (g->status));
  if (g->depth > 0)
    return envrun_error_set (err, 0,
                             "JSON generator: object or array left open");
  if (yajl_gen_get_buf (g->g, &buf, &n) != yajl_gen_status_ok || n == 0)
    return envrun_error_set (err, 0, "JSON generator: no output");
  while (n > 0 && buf[n - 1] == '\n')
    n--;
  copy = malloc (n + 1);
  if (copy == NULL)
    return envrun_error_set (err, ENOMEM, "JSON generator");
  memcpy (copy, buf, n);
  copy[n] = '\0';
  *out = copy;
  if (len)
    *len = n;
  return 0;
}

void
json_gen_kv_strv (struct json_gen *g, const char *k, const char *const *v)
{
  json_gen_key (g, k);
  json_gen_array_open (g);
  for (; v && *v; v++)
    json_gen_string (g, *v);
  json_gen_array_close (g);
}
