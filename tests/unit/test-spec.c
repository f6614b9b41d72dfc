/* `spec` writes what `runc spec` writes (bundles move between the two
   runtimes unchanged) and `features` is a valid, honest features
   document.  */
#include "config-host.h"

#include "json.h"
#include "seccomp.h"

#include <envrun/spec.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* cmocka needs the headers above first.  */
#include <cmocka.h>

static struct json_doc *
parse_ok (const char *text, const char *name)
{
  struct json_doc *doc = NULL;
  envrun_error_t err = NULL;

  if (json_parse (text, strlen (text), name, &doc, &err) < 0)
    fail_msg ("%s", envrun_error_message (err));
  return doc;
}

/* Fields where envrun says its own name or version on purpose.  */
static bool
ignored_key (const char *path, const char *key)
{
  return path[0] == '\0'
         && (strcmp (key, "ociVersion") == 0 || strcmp (key, "hostname") == 0);
}

/* Structural equality: objects as key sets, arrays in order.  Fails with
   the path of the first difference.  */
static void
assert_same (json_node *a, json_node *b, const char *path)
{
  char sub[512];

  if (json_node_type (a) != json_node_type (b))
    fail_msg ("%s: %s vs %s", path, json_type_name (json_node_type (a)),
              json_type_name (json_node_type (b)));
  switch (json_node_type (a))
    {
    case JSON_OBJECT:
      for (size_t i = 0; i < json_object_size (b); i++)
        {
          const char *k = json_object_key_at (b, i);
          if (!ignored_key (path, k) && json_object_get (a, k) == NULL)
            fail_msg ("%s.%s: missing in envrun's", path, k);
        }
      for (size_t i = 0; i < json_object_size (a); i++)
        {
          const char *k = json_object_key_at (a, i);
          json_node *other = json_object_get (b, k);
          if (ignored_key (path, k))
            continue;
          snprintf (sub, sizeof sub, "%s.%s", path, k);
          if (other == NULL)
            fail_msg ("%s: not in runc's", sub);
          assert_same (json_object_value_at (a, i), other, sub);
        }
      break;
    case JSON_ARRAY:
      if (json_array_size (a) != json_array_size (b))
        fail_msg ("%s: %zu vs %zu elements", path, json_array_size (a),
                  json_array_size (b));
      for (size_t i = 0; i < json_array_size (a); i++)
        {
          snprintf (sub, sizeof sub, "%s[%zu]", path, i);
          assert_same (json_array_at (a, i), json_array_at (b, i), sub);
        }
      break;
    case JSON_STRING:
      if (strcmp (json_string_value (a), json_string_value (b)) != 0)
        fail_msg ("%s: \"%s\" vs \"%s\"", path, json_string_value (a),
                  json_string_value (b));
      break;
    case JSON_BOOL:
      if (json_bool_value (a) != json_bool_value (b))
        fail_msg ("%s: booleans differ", path);
      break;
    case JSON_NUMBER:
      {
        uint64_t x, y;
        assert_int_equal (json_get_uint64 (NULL, a, path, &x, NULL), 0);
        assert_int_equal (json_get_uint64 (NULL, b, path, &y, NULL), 0);
        if (x != y)
          fail_msg ("%s: %ju vs %ju", path, (uintmax_t)x, (uintmax_t)y);
      }
      break;
    case JSON_NULL:
      break;
    }
}

static char *
read_all (const char *path)
{
  FILE *f = fopen (path, "re");
  char *buf = NULL;
  size_t cap = 0;
  ssize_t n;

  assert_non_null (f);
  n = getdelim (&buf, &cap, '\0', f);
  fclose (f);
  assert_true (n > 0);
  return buf;
}

/* `runc spec [--rootless]` in a scratch directory; NULL without runc.  */
static char *
runc_spec (bool rootless)
{
  char dir[] = "/tmp/envrun-test-spec-XXXXXX";
  char cmd[256], path[128];
  char *text;

  if (system ("command -v runc >/dev/null 2>&1") != 0)
    return NULL;
  assert_non_null (mkdtemp (dir));
  snprintf (cmd, sizeof cmd, "cd %s && runc spec %s >/dev/null 2>&1", dir,
            rootless ? "--rootless" : "");
  assert_int_equal (system (cmd), 0);
  snprintf (path, sizeof path, "%s/config.json", dir);
  text = read_all (path);
  unlink (path);
  rmdir (dir);
  return text;
}

static void
compare_with_runc (bool rootless)
{
  char *mine = NULL, *theirs = runc_spec (rootless);
  struct json_doc *a, *b;
  envrun_error_t err = NULL;

  if (theirs == NULL)
    skip ();
  assert_int_equal (envrun_spec_json (rootless, &mine, &err), 0);
  a = parse_ok (mine, "envrun spec");
  b = parse_ok (theirs, "runc spec");
  assert_same (json_doc_root (a), json_doc_root (b), "");
  json_doc_free (a);
  json_doc_free (b);
  free (mine);
  free (theirs);
}

static void
test_spec_matches_runc (void **state)
{
  compare_with_runc (false);
}

static void
test_spec_rootless_matches_runc (void **state)
{
  compare_with_runc (true);
}

/* Without runc at hand, the fields orchestrators rely on are checked
   directly, so the test means something everywhere.  */
static void
test_spec_defaults (void **state)
{
  char *text = NULL;
  struct json_doc *doc;
  json_node *root, *linux_, *ns;
  envrun_error_t err = NULL;

  assert_int_equal (envrun_spec_json (false, &text, &err), 0);
  assert_true (text[0] == '{'
               && strncmp (text, "{\n\t\"ociVersion\"", 15) == 0);
  doc = parse_ok (text, "spec");
  root = json_doc_root (doc);
  assert_string_equal (
      json_string_value (json_object_get (root, "ociVersion")),
      ENVRUN_OCI_VERSION);
  linux_ = json_object_get (root, "linux");
  ns = json_object_get (linux_, "namespaces");
  assert_int_equal (json_array_size (ns), 5);
  assert_null (json_object_get (linux_, "uidMappings"));
  assert_int_equal (json_array_size (json_object_get (linux_, "maskedPaths")),
                    10);
  json_doc_free (doc);
  free (text);

  assert_int_equal (envrun_spec_json (true, &text, &err), 0);
  doc = parse_ok (text, "spec --rootless");
  linux_ = json_object_get (json_doc_root (doc), "linux");
  assert_non_null (json_object_get (linux_, "uidMappings"));
  assert_null (json_object_get (linux_, "resources"));
  ns = json_object_get (linux_, "namespaces");
  assert_string_equal (
      json_string_value (json_object_get (json_array_at (ns, 4), "type")),
      "user");
  json_doc_free (doc);
  free (text);
}

static bool
array_has (json_node *arr, const char *s)
{
  for (size_t i = 0; i < json_array_size (arr); i++)
    if (strcmp (json_string_value (json_array_at (arr, i)), s) == 0)
      return true;
  return false;
}

static void
test_features_document (void **state)
{
  char *text = NULL;
  struct json_doc *doc;
  json_node *root, *linux_, *sc, *known, *supported;
  envrun_error_t err = NULL;

  assert_int_equal (envrun_features_json (&text, &err), 0);
  doc = parse_ok (text, "features");
  root = json_doc_root (doc);
  assert_string_equal (
      json_string_value (json_object_get (root, "ociVersionMax")),
      ENVRUN_OCI_VERSION);
  assert_true (array_has (json_object_get (root, "hooks"), "createRuntime"));
  assert_true (array_has (json_object_get (root, "mountOptions"), "rbind"));
  linux_ = json_object_get (root, "linux");
  assert_int_equal (json_array_size (json_object_get (linux_, "namespaces")),
                    8);
  assert_true (array_has (json_object_get (linux_, "namespaces"), "time"));
  assert_true (
      array_has (json_object_get (linux_, "capabilities"), "CAP_SYS_ADMIN"));
  assert_false (
      array_has (json_object_get (linux_, "capabilities"), "CAP_BOGUS"));
  sc = json_object_get (linux_, "seccomp");
  assert_true (json_bool_value (json_object_get (sc, "enabled")));
  assert_true (array_has (json_object_get (sc, "actions"), "SCMP_ACT_NOTIFY"));
  assert_true (
      array_has (json_object_get (sc, "operators"), "SCMP_CMP_MASKED_EQ"));
  assert_true (array_has (json_object_get (sc, "archs"), "SCMP_ARCH_X86_64"));
  known = json_object_get (sc, "knownFlags");
  supported = json_object_get (sc, "supportedFlags");
  /* Every supported flag is known, and the kernel's answer is used:
     SECCOMP_FILTER_FLAG_LOG exists since Linux 4.14.  */
  for (size_t i = 0; i < json_array_size (supported); i++)
    assert_true (
        array_has (known, json_string_value (json_array_at (supported, i))));
  assert_true (array_has (supported, "SECCOMP_FILTER_FLAG_LOG"));
  assert_false (json_bool_value (
      json_object_get (json_object_get (linux_, "apparmor"), "enabled")));
  assert_non_null (json_object_get (json_object_get (root, "annotations"),
                                    "io.github.seccomp.libseccomp.version"));
  json_doc_free (doc);
  free (text);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_spec_defaults),
    cmocka_unit_test (test_spec_matches_runc),
    cmocka_unit_test (test_spec_rootless_matches_runc),
    cmocka_unit_test (test_features_document),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
