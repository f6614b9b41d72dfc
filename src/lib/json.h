/* The one JSON module: yajl sits behind it and nothing else includes yajl.
 *
 * Reading: parse text into a tree, walk it with typed getters that report
 * failures as "<document>: <.field.path>: <what is wrong>".
 * Writing: a small generator for state.json, list/ps/events output, spec.
 */
#ifndef ENVRUN_JSON_H
#define ENVRUN_JSON_H

#include <envrun/error.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Refuse documents larger than this (a 10 MB args array is hostile).  */
#define JSON_MAX_DOCUMENT (8u * 1024 * 1024)
/* Refuse documents nested deeper than this: the tree is freed and copied
   recursively, and yajl_gen writes at most 127 levels, so any parsed tree
   can be written back even inside a few levels of wrapper.  No real
   configuration is more than a few levels deep.  */
#define JSON_MAX_DEPTH 100u

enum json_type
{
  JSON_NULL,
  JSON_BOOL,
  JSON_NUMBER,
  JSON_STRING,
  JSON_ARRAY,
  JSON_OBJECT
};

struct json_doc; /* owns the tree */
typedef const struct json_node json_node;

/* Parse; on failure sets "<name>: <parser message>" (with line/column when
   yajl gives it).  */
int json_parse (const char *text, size_t len, const char *name,
                struct json_doc **out, envrun_error_t *err);
void json_doc_free (struct json_doc *doc);
/* Read a file whole (NUL-terminated), refusing one larger than
   JSON_MAX_DOCUMENT; errors name the path as given.  */
int json_read_file (const char *path, char **text, size_t *len,
                    envrun_error_t *err);
json_node *json_doc_root (const struct json_doc *doc);
const char *json_doc_name (const struct json_doc *doc);

enum json_type json_node_type (json_node *n);
const char *json_type_name (enum json_type t); /* "a string", "an object"… */

/* Objects.  json_object_get returns NULL when the key is absent.  */
json_node *json_object_get (json_node *obj, const char *key);
size_t json_object_size (json_node *obj);
const char *json_object_key_at (json_node *obj, size_t i);
json_node *json_object_value_at (json_node *obj, size_t i);

/* Arrays.  */
size_t json_array_size (json_node *arr);
json_node *json_array_at (json_node *arr, size_t i);

/* Raw accessors, no checking (caller checked the type).  */
const char *json_string_value (json_node *n);
bool json_bool_value (json_node *n);
/* A number as written in the document, or NULL when n is not a number.  */
const char *json_number_text (json_node *n);

/* Typed getters.  `path` is the field path used in messages, e.g.
   ".process.user.uid".  Each fails with
   "<doc>: <path>: expected <kind>" or "<doc>: <path>: <range problem>".  */
int json_get_string (const struct json_doc *doc, json_node *n,
                     const char *path, const char **out, envrun_error_t *err);
int json_get_bool (const struct json_doc *doc, json_node *n, const char *path,
                   bool *out, envrun_error_t *err);
int json_get_int64 (const struct json_doc *doc, json_node *n,
                    const char *path, int64_t *out, envrun_error_t *err);
int json_get_uint64 (const struct json_doc *doc, json_node *n,
                     const char *path, uint64_t *out, envrun_error_t *err);
/* Range-checked unsigned: fails "expected an unsigned integer" or
   "must be at most <max>".  */
int json_get_uint_max (const struct json_doc *doc, json_node *n,
                       const char *path, uint64_t max, uint64_t *out,
                       envrun_error_t *err);
int json_expect_type (const struct json_doc *doc, json_node *n,
                      const char *path, enum json_type t, envrun_error_t *err);

/* Error with the document name and path prefixed: returns -1.  */
int json_error (const struct json_doc *doc, const char *path,
                envrun_error_t *err, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

/* Generator.  All calls on a failed generator are no-ops; json_gen_finish
   reports the first failure.  */
struct json_gen;
struct json_gen *json_gen_new (bool pretty); /* pretty: 2-space indent */
/* Pretty with the given indent ("\t" for `spec`, as runc writes it);
   NULL: compact.  */
struct json_gen *json_gen_new_indent (const char *indent);
void json_gen_free (struct json_gen *g);
void json_gen_object_open (struct json_gen *g);
void json_gen_object_close (struct json_gen *g);
void json_gen_array_open (struct json_gen *g);
void json_gen_array_close (struct json_gen *g);
void json_gen_key (struct json_gen *g, const char *key);
void json_gen_string (struct json_gen *g, const char *s); /* NULL → null */
void json_gen_int (struct json_gen *g, int64_t v);
void json_gen_uint (struct json_gen *g, uint64_t v);
void json_gen_double (struct json_gen *g, double v);
/* Insert one value given as JSON text, verbatim.  Only for text the
   program itself carries (an embedded profile), never for input.  */
void json_gen_raw (struct json_gen *g, const char *text, size_t len);
void json_gen_bool (struct json_gen *g, bool v);
void json_gen_null (struct json_gen *g);
/* Convenience: key + value.  */
void json_gen_kv_string (struct json_gen *g, const char *k, const char *v);
void json_gen_kv_int (struct json_gen *g, const char *k, int64_t v);
void json_gen_kv_uint (struct json_gen *g, const char *k, uint64_t v);
void json_gen_kv_bool (struct json_gen *g, const char *k, bool v);
/* key + array of the NULL-terminated strings v.  */
void json_gen_kv_strv (struct json_gen *g, const char *k,
                       const char *const *v);
/* Copy an already-parsed subtree into the output.  */
void json_gen_node (struct json_gen *g, json_node *n);
/* Get the text (malloc'd, NUL-terminated, no trailing newline).  */
int json_gen_finish (struct json_gen *g, char **out, size_t *len,
                     envrun_error_t *err);

#endif
