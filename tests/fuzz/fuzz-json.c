/* libFuzzer target: json_parse, the typed getters and the generator.
   Invariant checked beyond "no crash, no leak": whatever parses, the
   generator can write back out, and that output parses again to the same
   text (the round trip is a fixed point).  */
#include "config-host.h"

#include "json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void
walk (const struct json_doc *doc, json_node *n, unsigned depth)
{
  envrun_error_t err = NULL;
  const char *s;
  uint64_t u;
  int64_t i;
  bool b;

  /* every getter on every node: each either succeeds or sets a message */
  if (json_get_uint64 (doc, n, ".x", &u, &err) < 0 && err == NULL)
    abort ();
  envrun_error_free (&err);
  if (json_get_int64 (doc, n, ".x", &i, &err) < 0 && err == NULL)
    abort ();
  envrun_error_free (&err);
  if (json_get_uint_max (doc, n, ".x", 1000, &u, &err) == 0 && u > 1000)
    abort ();
  envrun_error_free (&err);
  if (json_get_string (doc, n, ".x", &s, &err) == 0 && s == NULL)
    abort ();
  envrun_error_free (&err);
  json_get_bool (doc, n, ".x", &b, &err);
  envrun_error_free (&err);
  if (depth > JSON_MAX_DEPTH)
    abort ();
  for (size_t k = 0; k < json_array_size (n); k++)
    walk (doc, json_array_at (n, k), depth + 1);
  for (size_t k = 0; k < json_object_size (n); k++)
    {
      if (json_object_get (n, json_object_key_at (n, k)) == NULL)
        abort ();
      walk (doc, json_object_value_at (n, k), depth + 1);
    }
}

static char *
generate (json_node *n, bool pretty)
{
  struct json_gen *g = json_gen_new (pretty);
  envrun_error_t err = NULL;
  char *out = NULL;
  size_t len;

  json_gen_node (g, n);
  if (json_gen_finish (g, &out, &len, &err) < 0)
    abort (); /* anything the parser accepted must be writable */
  json_gen_free (g);
  return out;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct json_doc *doc = NULL, *again = NULL;
  envrun_error_t err = NULL;
  char *compact, *pretty, *second;

  if (json_parse ((const char *)data, size, "fuzz.json", &doc, &err) < 0)
    {
      if (err == NULL || strncmp (err->msg, "fuzz.json: ", 11) != 0)
        abort ();
      envrun_error_free (&err);
      return 0;
    }
  walk (doc, json_doc_root (doc), 0);
  compact = generate (json_doc_root (doc), false);
  pretty = generate (json_doc_root (doc), true);
  if (json_parse (compact, strlen (compact), "again", &again, &err) < 0)
    abort ();
  second = generate (json_doc_root (again), false);
  if (strcmp (compact, second) != 0)
    abort ();
  free (second);
  json_doc_free (again);
  free (compact);
  free (pretty);
  json_doc_free (doc);
  return 0;
}
