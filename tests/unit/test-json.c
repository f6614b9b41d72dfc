/* The JSON module: parsing limits and messages, typed getters, generator. */
#include "config-host.h"

/* cmocka.h needs these first.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct json_doc *
parse_ok (const char *text)
{
  struct json_doc *doc = NULL;
  envrun_error_t err = NULL;

  if (json_parse (text, strlen (text), "t.json", &doc, &err) < 0)
    fail_msg ("unexpected: %s", envrun_error_message (err));
  return doc;
}

static void
expect_parse_error (const char *text, size_t len, const char *msg)
{
  struct json_doc *doc = (struct json_doc *)0x1;
  envrun_error_t err = NULL;

  assert_true (json_parse (text, len, "t.json", &doc, &err) < 0);
  assert_ptr_equal (doc, (struct json_doc *)0x1);
  assert_string_equal (envrun_error_message (err), msg);
  envrun_error_free (&err);
}

static void
parse_walks_objects_and_arrays (void **state)
{
  struct json_doc *doc = parse_ok ("{\"s\": \"hi\", \"b\": true, \"n\": null, "
                                   "\"a\": [1, \"two\", false], \"o\": {}}");
  json_node *root = json_doc_root (doc), *a;

  assert_string_equal (json_doc_name (doc), "t.json");
  assert_int_equal (json_node_type (root), JSON_OBJECT);
  assert_int_equal (json_object_size (root), 5);
  assert_string_equal (json_object_key_at (root, 3), "a");
  assert_null (json_object_key_at (root, 5));
  assert_string_equal (json_string_value (json_object_get (root, "s")), "hi");
  assert_true (json_bool_value (json_object_get (root, "b")));
  assert_int_equal (json_node_type (json_object_get (root, "n")), JSON_NULL);
  assert_null (json_object_get (root, "missing"));
  a = json_object_get (root, "a");
  assert_int_equal (json_array_size (a), 3);
  assert_int_equal (json_node_type (json_array_at (a, 0)), JSON_NUMBER);
  assert_string_equal (json_number_text (json_array_at (a, 0)), "1");
  assert_null (json_array_at (a, 3));
  assert_int_equal (json_node_type (json_object_value_at (root, 4)),
                    JSON_OBJECT);
  /* accessors on the wrong kind return nothing rather than crash */
  assert_int_equal (json_array_size (root), 0);
  assert_null (json_object_get (a, "x"));
  json_doc_free (doc);
}

static void
duplicate_keys_last_one_wins (void **state)
{
  struct json_doc *doc = parse_ok ("{\"k\": \"first\", \"k\": \"last\"}");

  assert_string_equal (
      json_string_value (json_object_get (json_doc_root (doc), "k")), "last");
  json_doc_free (doc);
}

static void
typed_getters_read_values (void **state)
{
  struct json_doc *doc
      = parse_ok ("{\"u\": 18446744073709551615, \"i\": -9223372036854775808,"
                  " \"s\": \"x\", \"b\": false}");
  json_node *root = json_doc_root (doc);
  envrun_error_t err = NULL;
  uint64_t u;
  int64_t i;
  const char *s;
  bool b = true;

  assert_int_equal (
      json_get_uint64 (doc, json_object_get (root, "u"), ".u", &u, &err), 0);
  assert_true (u == UINT64_MAX);
  assert_int_equal (
      json_get_int64 (doc, json_object_get (root, "i"), ".i", &i, &err), 0);
  assert_true (i == INT64_MIN);
  assert_int_equal (
      json_get_string (doc, json_object_get (root, "s"), ".s", &s, &err), 0);
  assert_string_equal (s, "x");
  assert_int_equal (
      json_get_bool (doc, json_object_get (root, "b"), ".b", &b, &err), 0);
  assert_false (b);
  assert_null (err);
  json_doc_free (doc);
}

static void
expect_getter_error (int ret, envrun_error_t *err, const char *msg)
{
  assert_true (ret < 0);
  assert_string_equal (envrun_error_message (*err), msg);
  envrun_error_free (err);
}

static void
typed_getters_refuse_wrong_kinds (void **state)
{
  struct json_doc *doc
      = parse_ok ("{\"neg\": -1, \"frac\": 1.5, \"exp\": 1e3, \"str\": \"7\","
                  " \"big\": 18446744073709551616, \"ten\": 11}");
  json_node *r = json_doc_root (doc);
  envrun_error_t err = NULL;
  uint64_t u = 42;
  int64_t i = 42;
  const char *s;
  bool b;

  expect_getter_error (
      json_get_uint64 (doc, json_object_get (r, "neg"), ".neg", &u, &err),
      &err, "t.json: .neg: expected an unsigned integer");
  expect_getter_error (
      json_get_uint64 (doc, json_object_get (r, "frac"), ".frac", &u, &err),
      &err, "t.json: .frac: expected an unsigned integer");
  expect_getter_error (
      json_get_int64 (doc, json_object_get (r, "exp"), ".exp", &i, &err), &err,
      "t.json: .exp: expected an integer");
  expect_getter_error (
      json_get_uint64 (doc, json_object_get (r, "str"), ".str", &u, &err),
      &err, "t.json: .str: expected an unsigned integer");
  expect_getter_error (
      json_get_uint64 (doc, json_object_get (r, "big"), ".big", &u, &err),
      &err, "t.json: .big: must be at most 18446744073709551615");
  expect_getter_error (
      json_get_int64 (doc, json_object_get (r, "big"), ".big", &i, &err), &err,
      "t.json: .big: integer out of range");
  expect_getter_error (json_get_uint_max (doc, json_object_get (r, "ten"),
                                          ".ten", 10, &u, &err),
                       &err, "t.json: .ten: must be at most 10");
  expect_getter_error (
      json_get_string (doc, json_object_get (r, "neg"), ".neg", &s, &err),
      &err, "t.json: .neg: expected a string");
  expect_getter_error (json_get_bool (doc, NULL, ".none", &b, &err), &err,
                       "t.json: .none: expected a boolean");
  expect_getter_error (json_expect_type (doc, r, "", JSON_ARRAY, &err), &err,
                       "t.json: expected an array");
  /* out-parameters untouched on failure */
  assert_int_equal (u, 42);
  assert_int_equal (i, 42);
  json_doc_free (doc);
}

static void
type_names_read_in_messages (void **state)
{
  assert_string_equal (json_type_name (JSON_OBJECT), "an object");
  assert_string_equal (json_type_name (JSON_ARRAY), "an array");
  assert_string_equal (json_type_name (JSON_STRING), "a string");
  assert_string_equal (json_type_name (JSON_NUMBER), "a number");
  assert_string_equal (json_type_name (JSON_BOOL), "a boolean");
  assert_string_equal (json_type_name (JSON_NULL), "null");
}

static void
parse_errors_give_line_and_column (void **state)
{
  const char *bad = "{\n  \"a\": x\n}";
  const char *trunc = "{\"a\": [1, 2";
  const char *trail = "{} {}";

  expect_parse_error (bad, strlen (bad),
                      "t.json: line 2, column 8: lexical error: invalid char "
                      "in json text.");
  expect_parse_error (trunc, strlen (trunc),
                      "t.json: line 1, column 12: parse error: premature "
                      "EOF");
  expect_parse_error (trail, strlen (trail),
                      "t.json: line 1, column 4: parse error: trailing "
                      "garbage");
}

static void
parse_refuses_invalid_utf8_and_nul (void **state)
{
  const char nul[] = "{\"a\": \"x\0y\"}";

  expect_parse_error ("\"\xff\"", 3,
                      "t.json: line 1, column 2: lexical error: invalid "
                      "bytes in UTF8 string.");
  expect_parse_error (nul, sizeof nul - 1, "t.json: NUL byte at offset 8");
}

static void
parse_refuses_documents_over_the_size_limit (void **state)
{
  size_t len = JSON_MAX_DOCUMENT + 1;
  char *big = malloc (len);
  char msg[128];

  assert_non_null (big);
  memset (big, ' ', len);
  big[0] = '[';
  big[len - 1] = ']';
  snprintf (msg, sizeof msg, "t.json: document is %zu bytes, the limit is %u",
            len, JSON_MAX_DOCUMENT);
  expect_parse_error (big, len, msg);
  free (big);
}

static void
parse_depth_limit_is_exact (void **state)
{
  char text[2 * JSON_MAX_DEPTH + 8];
  struct json_doc *doc = NULL;
  envrun_error_t err = NULL;

  memset (text, '[', JSON_MAX_DEPTH);
  memset (text + JSON_MAX_DEPTH, ']', JSON_MAX_DEPTH);
  assert_int_equal (
      json_parse (text, 2 * JSON_MAX_DEPTH, "t.json", &doc, &err), 0);
  /* the deepest tree accepted can still be written, even wrapped */
  {
    struct json_gen *g = json_gen_new (false);
    char *out = NULL;

    for (int i = 0; i < 10; i++)
      json_gen_array_open (g);
    json_gen_node (g, json_doc_root (doc));
    for (int i = 0; i < 10; i++)
      json_gen_array_close (g);
    assert_int_equal (json_gen_finish (g, &out, NULL, &err), 0);
    assert_int_equal (strlen (out), 2 * JSON_MAX_DEPTH + 20);
    free (out);
    json_gen_free (g);
  }
  json_doc_free (doc);
  memset (text, '[', JSON_MAX_DEPTH + 1);
  memset (text + JSON_MAX_DEPTH + 1, ']', JSON_MAX_DEPTH + 1);
  expect_parse_error (text, 2 * JSON_MAX_DEPTH + 2,
                      "t.json: nested more than 100 levels deep");
}

static void
depth_counting_skips_strings_and_comments (void **state)
{
  /* brackets inside strings and comments do not nest, and a quote inside
     a comment does not open a string that would hide real nesting */
  char text[4096];
  size_t n = (size_t)snprintf (text, sizeof text,
                               "/* \" */ {\"k\": \"[[[[\\\"[[[[\", \"x\": ");
  struct json_doc *doc;

  for (unsigned i = 0; i < 200; i++)
    text[n++] = '[';
  for (unsigned i = 0; i < 200; i++)
    text[n++] = ']';
  text[n++] = '}';
  text[n] = '\0';
  expect_parse_error (text, n, "t.json: nested more than 100 levels deep");
  doc = parse_ok ("// [[[[[\n{\"k\": \"[[[[[[\"}");
  json_doc_free (doc);
}

static char *
gen_finish_ok (struct json_gen *g)
{
  envrun_error_t err = NULL;
  char *out = NULL;
  size_t len = 0;

  if (json_gen_finish (g, &out, &len, &err) < 0)
    fail_msg ("unexpected: %s", envrun_error_message (err));
  assert_int_equal (len, strlen (out));
  json_gen_free (g);
  return out;
}

static void
generator_compact_output (void **state)
{
  struct json_gen *g = json_gen_new (false);
  char *out;

  json_gen_object_open (g);
  json_gen_kv_string (g, "id", "c1");
  json_gen_kv_int (g, "pid", -5);
  json_gen_kv_uint (g, "big", UINT64_MAX);
  json_gen_kv_bool (g, "ok", true);
  json_gen_key (g, "list");
  json_gen_array_open (g);
  json_gen_string (g, NULL);
  json_gen_null (g);
  json_gen_double (g, 0.5);
  json_gen_string (g, "q\"\n/");
  json_gen_array_close (g);
  json_gen_object_close (g);
  out = gen_finish_ok (g);
  assert_string_equal (out, "{\"id\":\"c1\",\"pid\":-5,\"big\":"
                            "18446744073709551615,\"ok\":true,\"list\":"
                            "[null,null,0.5,\"q\\\"\\n/\"]}");
  free (out);
}

static void
generator_pretty_output (void **state)
{
  struct json_gen *g = json_gen_new (true);
  char *out;

  json_gen_object_open (g);
  json_gen_kv_string (g, "a", "b");
  json_gen_key (g, "c");
  json_gen_array_open (g);
  json_gen_int (g, 1);
  json_gen_array_close (g);
  json_gen_object_close (g);
  out = gen_finish_ok (g);
  assert_string_equal (out, "{\n  \"a\": \"b\",\n  \"c\": [\n    1\n  ]\n}");
  free (out);
  g = json_gen_new_indent ("\t");
  json_gen_object_open (g);
  json_gen_kv_int (g, "x", 1);
  json_gen_object_close (g);
  out = gen_finish_ok (g);
  assert_string_equal (out, "{\n\t\"x\": 1\n}");
  free (out);
}

static void
expect_gen_error (struct json_gen *g, const char *msg)
{
  envrun_error_t err = NULL;
  char *out = (char *)0x1;

  assert_true (json_gen_finish (g, &out, NULL, &err) < 0);
  assert_ptr_equal (out, (char *)0x1);
  assert_string_equal (envrun_error_message (err), msg);
  envrun_error_free (&err);
  json_gen_free (g);
}

static void
generator_failures_are_sticky_and_reported (void **state)
{
  struct json_gen *g = json_gen_new (false);

  json_gen_object_open (g);
  json_gen_int (g, 1); /* a value where a key belongs */
  json_gen_kv_string (g, "later", "ignored");
  json_gen_object_close (g);
  expect_gen_error (g, "JSON generator: object key expected");

  g = json_gen_new (false);
  json_gen_array_open (g);
  expect_gen_error (g, "JSON generator: object or array left open");

  g = json_gen_new (false);
  json_gen_string (g, "\xff\xfe");
  expect_gen_error (g, "JSON generator: string is not valid UTF-8");

  g = json_gen_new (false);
  json_gen_double (g, NAN);
  expect_gen_error (g, "JSON generator: NaN or infinity cannot be written");

  expect_gen_error (json_gen_new (false), "JSON generator: no output");
  json_gen_free (NULL);
}

static void
generator_copies_parsed_subtrees_exactly (void **state)
{
  const char *text = "{\"a\":[1,-2,18446744073709551615,1.25e-3,\"s\\u00e9\","
                     "true,false,null,{}],\"b\":{\"c\":[]}}";
  struct json_doc *doc = parse_ok (text);
  struct json_gen *g = json_gen_new (false);
  char *out;

  json_gen_node (g, json_doc_root (doc));
  out = gen_finish_ok (g);
  /* numbers are copied as written; the escape comes out as UTF-8 */
  assert_string_equal (out, "{\"a\":[1,-2,18446744073709551615,1.25e-3,"
                            "\"s\xc3\xa9\",true,false,null,{}],\"b\":{\"c\":"
                            "[]}}");
  free (out);

  g = json_gen_new (false);
  json_gen_object_open (g);
  json_gen_key (g, "copy");
  json_gen_node (g, json_object_get (json_doc_root (doc), "b"));
  json_gen_object_close (g);
  out = gen_finish_ok (g);
  assert_string_equal (out, "{\"copy\":{\"c\":[]}}");
  free (out);
  json_doc_free (doc);
}

static void
read_file_names_the_path_and_caps_the_size (void **state)
{
  char dir[] = "/tmp/test-json-XXXXXX", path[256];
  envrun_error_t err = NULL;
  char *text = NULL;
  size_t len = 0;
  FILE *f;

  assert_true (json_read_file ("does/not/exist.json", &text, &len, &err) < 0);
  assert_string_equal (envrun_error_message (err),
                       "does/not/exist.json: No such file or directory");
  envrun_error_free (&err);

  assert_non_null (mkdtemp (dir));
  snprintf (path, sizeof path, "%s/f.json", dir);
  f = fopen (path, "we");
  assert_non_null (f);
  fputs ("{\"x\": 1}", f);
  fclose (f);
  assert_int_equal (json_read_file (path, &text, &len, &err), 0);
  assert_int_equal (len, 8);
  assert_string_equal (text, "{\"x\": 1}");
  free (text);
  text = NULL;

  assert_int_equal (truncate (path, (off_t)JSON_MAX_DOCUMENT + 1), 0);
  assert_true (json_read_file (path, &text, &len, &err) < 0);
  assert_null (text);
  assert_non_null (strstr (envrun_error_message (err),
                           "f.json: document is larger than 8388608 bytes"));
  envrun_error_free (&err);
  unlink (path);
  rmdir (dir);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (parse_walks_objects_and_arrays),
    cmocka_unit_test (duplicate_keys_last_one_wins),
    cmocka_unit_test (typed_getters_read_values),
    cmocka_unit_test (typed_getters_refuse_wrong_kinds),
    cmocka_unit_test (type_names_read_in_messages),
    cmocka_unit_test (parse_errors_give_line_and_column),
    cmocka_unit_test (parse_refuses_invalid_utf8_and_nul),
    cmocka_unit_test (parse_refuses_documents_over_the_size_limit),
    cmocka_unit_test (parse_depth_limit_is_exact),
    cmocka_unit_test (depth_counting_skips_strings_and_comments),
    cmocka_unit_test (generator_compact_output),
    cmocka_unit_test (generator_pretty_output),
    cmocka_unit_test (generator_failures_are_sticky_and_reported),
    cmocka_unit_test (generator_copies_parsed_subtrees_exactly),
    cmocka_unit_test (read_file_names_the_path_and_caps_the_size),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
