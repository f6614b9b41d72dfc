/* Unit tests of CDI: JSON and YAML specs read into the same edits, spec
   versus device edits, name resolution (=all, overrides between
   directories, conflicts), each class of bad input refused with the file
   and field named, --gpus names, and --user lookups inside a rootfs.  */
#include "config-host.h"

/* cmocka needs these first.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "cdi.h"
#include "env-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char spec_json[]
    = "{\"cdiVersion\": \"0.6.0\", \"kind\": \"vendor.com/dev\",\n"
      " \"devices\": [\n"
      "  {\"name\": \"fake\", \"containerEdits\": {\n"
      "    \"env\": [\"FAKE=1\"],\n"
      "    \"deviceNodes\": [{\"path\": \"/dev/fakedev\", \"hostPath\": "
      "\"/dev/null\", \"fileMode\": 420, \"permissions\": \"rw\"}],\n"
      "    \"mounts\": [{\"hostPath\": \"/etc/hostname\", \"containerPath\": "
      "\"/opt/h\", \"options\": [\"ro\"]}],\n"
      "    \"hooks\": [{\"hookName\": \"createContainer\", \"path\": "
      "\"/bin/true\", \"args\": [\"true\", \"x\"], \"timeout\": 5}],\n"
      "    \"additionalGids\": [44]}},\n"
      "  {\"name\": \"0\", \"containerEdits\": {\"env\": [\"ZERO=1\"]}}],\n"
      " \"containerEdits\": {\"env\": [\"SPEC=1\"]}}\n";

static const char spec_yaml[]
    = "cdiVersion: 0.6.0\n"
      "kind: vendor.com/dev\n"
      "devices:\n"
      "  - name: fake\n"
      "    containerEdits:\n"
      "      env: [FAKE=1]\n"
      "      deviceNodes:\n"
      "        - path: /dev/fakedev\n"
      "          hostPath: /dev/null\n"
      "          fileMode: 0644\n"
      "          permissions: rw\n"
      "      mounts:\n"
      "        - {hostPath: /etc/hostname, containerPath: /opt/h, "
      "options: [ro]}\n"
      "      hooks:\n"
      "        - hookName: createContainer\n"
      "          path: /bin/true\n"
      "          args: [\"true\", x]\n"
      "          timeout: 5\n"
      "      additionalGids: [44]\n"
      "  - name: 0\n"
      "    containerEdits:\n"
      "      env:\n"
      "        - ZERO=1\n"
      "containerEdits:\n"
      "  env: [SPEC=1]\n";

static void
check_spec (const struct cdi_spec *s)
{
  const struct cdi_edits *e;

  assert_string_equal (s->version, "0.6.0");
  assert_string_equal (s->kind, "vendor.com/dev");
  assert_int_equal (s->n_devices, 2);
  assert_string_equal (s->devices[0].name, "fake");
  assert_string_equal (s->devices[1].name, "0");
  e = &s->devices[0].edits;
  assert_int_equal (e->n_env, 1);
  assert_string_equal (e->env[0], "FAKE=1");
  assert_int_equal (e->n_nodes, 1);
  assert_string_equal (e->nodes[0].path, "/dev/fakedev");
  assert_string_equal (e->nodes[0].host_path, "/dev/null");
  assert_true (e->nodes[0].has_file_mode);
  assert_int_equal (e->nodes[0].file_mode, 0644);
  assert_string_equal (e->nodes[0].permissions, "rw");
  assert_false (e->nodes[0].has_major);
  assert_int_equal (e->n_mounts, 1);
  assert_string_equal (e->mounts[0].container_path, "/opt/h");
  assert_string_equal (e->mounts[0].options[0], "ro");
  assert_null (e->mounts[0].options[1]);
  assert_int_equal (e->n_hooks, 1);
  assert_string_equal (e->hooks[0].hook_name, "createContainer");
  assert_string_equal (e->hooks[0].args[1], "x");
  assert_true (e->hooks[0].has_timeout);
  assert_int_equal (e->hooks[0].timeout, 5);
  assert_int_equal (e->n_gids, 1);
  assert_int_equal (e->gids[0], 44);
  assert_int_equal (s->edits.n_env, 1);
  assert_string_equal (s->edits.env[0], "SPEC=1");
}

static void
test_json_and_yaml_read_the_same (void **state)
{
  struct cdi_spec *s = NULL;
  envrun_error_t err = NULL;

  (void)state;
  assert_int_equal (cdi_spec_parse (spec_json, strlen (spec_json), "x.json",
                                    false, &s, &err),
                    0);
  check_spec (s);
  cdi_spec_free (s);
  s = NULL;
  if (cdi_spec_parse (spec_yaml, strlen (spec_yaml), "x.yaml", true, &s, &err)
      < 0)
    fail_msg ("%s", envrun_error_message (err));
  check_spec (s);
  cdi_spec_free (s);
  /* A JSON text is YAML too.  */
  s = NULL;
  assert_int_equal (
      cdi_spec_parse (spec_json, strlen (spec_json), "x.yaml", true, &s, &err),
      0);
  check_spec (s);
  cdi_spec_free (s);
}

struct bad_case
{
  bool yaml;
  const char *text;
  const char *message; /* expected substring, after the file name */
};

#define HEAD "{\"cdiVersion\":\"0.8.0\",\"kind\":\"v.com/c\","
#define DEV(edits)                                                            \
  HEAD "\"devices\":[{\"name\":\"d\",\"containerEdits\":" edits "}]}"

static const struct bad_case bad_cases[] = {
  { false, "[]", ": expected an object" },
  { false, "{\"kind\":\"v.com/c\",\"devices\":[]}",
    ".cdiVersion: is required" },
  { false, "{\"cdiVersion\":\"0.2.0\",\"kind\":\"v.com/c\",\"devices\":[]}",
    ".cdiVersion: unsupported version \"0.2.0\"" },
  { false, "{\"cdiVersion\":\"0.8.0\",\"kind\":\"vendor\",\"devices\":[]}",
    ".kind: expected vendor.com/class" },
  { false, HEAD "\"devices\":{}}", ".devices: expected an array" },
  { false, HEAD "\"devices\":[]}", ".devices: must not be empty" },
  { false, HEAD "\"devices\":[{\"name\":\"a b\"}]}",
    ".devices[0].name: invalid device name" },
  { false, HEAD "\"devices\":[{\"name\":\"a\"},{\"name\":\"a\"}]}",
    ".devices[1].name: device \"a\" is defined twice" },
  { false, DEV ("{\"env\":[\"NOVALUE\"]}"),
    ".devices[0].containerEdits.env[0]: expected KEY=VALUE" },
  { false, DEV ("{\"deviceNodes\":[{\"path\":\"/dev/x\"},{\"path\":7}]}"),
    ".devices[0].containerEdits.deviceNodes[1].path: expected a string" },
  { false, DEV ("{\"deviceNodes\":[{\"path\":true}]}"),
    ".devices[0].containerEdits.deviceNodes[0].path: expected a string" },
  { false, DEV ("{\"deviceNodes\":[{\"path\":\"dev/x\"}]}"),
    "deviceNodes[0].path: must be an absolute path" },
  { false, DEV ("{\"deviceNodes\":[{\"path\":\"/dev/x\",\"type\":\"x\"}]}"),
    "deviceNodes[0].type: must be \"c\", \"b\", \"u\" or \"p\"" },
  { false, DEV ("{\"deviceNodes\":[{\"path\":\"/dev/x\",\"major\":-1}]}"),
    "deviceNodes[0].major: expected an unsigned integer" },
  { false,
    DEV ("{\"deviceNodes\":[{\"path\":\"/dev/x\",\"fileMode\":"
         "65535}]}"),
    "deviceNodes[0].fileMode: must be at most" },
  { false,
    DEV ("{\"deviceNodes\":[{\"path\":\"/dev/x\",\"permissions\":"
         "\"rwx\"}]}"),
    "deviceNodes[0].permissions: must be made of r, w and m" },
  { false,
    DEV ("{\"mounts\":[{\"hostPath\":\"/a\",\"containerPath\":"
         "\"rel\"}]}"),
    ".mounts[0].containerPath: must be an absolute path" },
  { false,
    DEV ("{\"mounts\":[{\"hostPath\":\"/a\",\"containerPath\":"
         "\"/x/../../etc\"}]}"),
    ".mounts[0].containerPath: must not contain \"..\"" },
  { false,
    DEV ("{\"mounts\":[{\"hostPath\":\"a\",\"containerPath\":"
         "\"/x\"}]}"),
    ".mounts[0].hostPath: must be an absolute path" },
  { false, DEV ("{\"mounts\":[{\"containerPath\":\"/x\"}]}"),
    ".mounts[0].hostPath: is required" },
  { false, DEV ("{\"hooks\":[{\"hookName\":\"preStart\",\"path\":\"/x\"}]}"),
    ".hooks[0].hookName: unknown hook \"preStart\"" },
  { false, DEV ("{\"hooks\":[{\"hookName\":\"poststop\",\"path\":\"x\"}]}"),
    ".hooks[0].path: must be an absolute path" },
  { false,
    DEV ("{\"hooks\":[{\"hookName\":\"poststop\",\"path\":\"/x\","
         "\"timeout\":0}]}"),
    ".hooks[0].timeout: must be greater than zero" },
  { false, DEV ("{\"additionalGids\":[4294967295]}"),
    ".additionalGids[0]: must be at most" },
  { false, DEV ("{\"netDevices\":[]}"),
    ".devices[0].containerEdits.netDevices: not supported by envrun" },
  { false, DEV ("{\"intelRdt\":{\"closID\":\"x\"}}"),
    "containerEdits.intelRdt: not supported by envrun" },
  { false, DEV ("[]"), ".devices[0].containerEdits: expected an object" },
  { false, "{\"cdiVersion\":", "x.spec: " },
  { true, "cdiVersion: 0.8.0\nkind: &k v.com/c\nx: *k\n",
    "YAML aliases are not allowed" },
  { true, "a: 1\n---\nb: 2\n", "more than one YAML document" },
  { true, "? [a]\n: b\n", "mapping keys must be scalars" },
  { true, "a: [b\n", "x.spec: line " },
  { true, "", "x.spec: empty document" },
  { true,
    "cdiVersion: 0.8.0\nkind: v.com/c\ndevices:\n  - name: d\n"
    "    containerEdits:\n      deviceNodes:\n        - path: /dev/x\n"
    "          type: q\n",
    ".devices[0].containerEdits.deviceNodes[0].type: must be" },
};

static void
test_bad_specs_name_file_and_field (void **state)
{
  (void)state;
  for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++)
    {
      const struct bad_case *c = &bad_cases[i];
      struct cdi_spec *s = NULL;
      envrun_error_t err = NULL;
      const char *msg;
      if (cdi_spec_parse (c->text, strlen (c->text), "x.spec", c->yaml, &s,
                          &err)
          == 0)
        fail_msg ("case %zu accepted: %s", i, c->text);
      assert_null (s);
      msg = envrun_error_message (err);
      if (strncmp (msg, "x.spec", 6) != 0 || !strstr (msg, c->message))
        fail_msg ("case %zu: got \"%s\", want \"%s\"", i, msg, c->message);
      envrun_error_free (&err);
    }
}

static void
test_yaml_nesting_is_limited (void **state)
{
  char text[1200];
  struct cdi_spec *s = NULL;
  envrun_error_t err = NULL;

  (void)state;
  memset (text, '[', 1000);
  text[1000] = '\0';
  assert_true (
      cdi_spec_parse (text, strlen (text), "deep.yaml", true, &s, &err) < 0);
  assert_non_null (strstr (envrun_error_message (err), "nested too deeply"));
  envrun_error_free (&err);
}

/* ---- directories and resolution ------------------------------------------
 */

static char tmpdir[64];

static void
write_file (const char *dir, const char *name, const char *text, mode_t mode)
{
  char path[256];
  int fd;

  snprintf (path, sizeof path, "%s/%s", dir, name);
  fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  assert_true (fd >= 0);
  assert_int_equal (write (fd, text, strlen (text)), (ssize_t)strlen (text));
  assert_int_equal (fchmod (fd, mode), 0);
  close (fd);
}

static char *
make_dir (const char *name)
{
  char *path;

  assert_true (asprintf (&path, "%s/%s", tmpdir, name) > 0);
  assert_int_equal (mkdir (path, 0755), 0);
  return path;
}

static int
setup_tmp (void **state)
{
  (void)state;
  strcpy (tmpdir, "/tmp/test-cdi.XXXXXX");
  return mkdtemp (tmpdir) ? 0 : -1;
}

static int
teardown_tmp (void **state)
{
  (void)state;
  return env_rm_rf (tmpdir, NULL);
}

static const char *
env_of (const struct cdi_edits *e)
{
  return e->n_env ? e->env[0] : "-";
}

static void
test_resolve_spec_then_device_edits_once (void **state)
{
  cleanup_free char *a = make_dir ("a");
  struct cdi_registry *r = NULL;
  const struct cdi_edits **edits = NULL;
  envrun_error_t err = NULL;
  char *names[]
      = { "vendor.com/dev=fake", "vendor.com/dev=0", "vendor.com/dev=fake" };
  size_t n = 0;

  (void)state;
  write_file (a, "dev.json", spec_json, 0644);
  write_file (a, "README", "not a spec", 0666);
  assert_int_equal (cdi_registry_load (a, &r, &err), 0);
  assert_int_equal (r->n_specs, 1);
  assert_int_equal (cdi_resolve (r, names, 3, &edits, &n, &err), 0);
  assert_int_equal (n, 3);
  assert_string_equal (env_of (edits[0]), "SPEC=1");
  assert_string_equal (env_of (edits[1]), "FAKE=1");
  assert_string_equal (env_of (edits[2]), "ZERO=1");
  free (edits);
  /* =all: every device of the kind.  */
  assert_int_equal (
      cdi_resolve (r, (char *[]){ "vendor.com/dev=all" }, 1, &edits, &n, &err),
      0);
  assert_int_equal (n, 3);
  free (edits);
  cdi_registry_free (r);
}

static void
test_resolve_errors_name_dirs (void **state)
{
  cleanup_free char *a = make_dir ("a");
  struct cdi_registry *r = NULL;
  const struct cdi_edits **edits = NULL;
  envrun_error_t err = NULL;
  size_t n = 0;
  char dirs[200];

  (void)state;
  write_file (a, "dev.yaml", spec_yaml, 0644);
  snprintf (dirs, sizeof dirs, "%s:%s/missing", a, tmpdir);
  assert_int_equal (cdi_registry_load (dirs, &r, &err), 0);
  assert_true (
      cdi_resolve (r, (char *[]){ "vendor.com/dev=nope" }, 1, &edits, &n, &err)
      < 0);
  assert_non_null (strstr (envrun_error_message (err), "no device nope"));
  assert_non_null (strstr (envrun_error_message (err), "/missing"));
  assert_true (
      cdi_resolve (r, (char *[]){ "nvidia.com/gpu=all" }, 1, &edits, &n, &err)
      < 0);
  assert_non_null (strstr (envrun_error_message (err),
                           "no CDI spec for nvidia.com/gpu in "));
  assert_true (
      cdi_resolve (r, (char *[]){ "vendor.com/dev" }, 1, &edits, &n, &err)
      < 0);
  assert_non_null (
      strstr (envrun_error_message (err), "expected a CDI device name"));
  envrun_error_free (&err);
  cdi_registry_free (r);
}

static const char gpu_spec[]
    = "{\"cdiVersion\":\"0.5.0\",\"kind\":\"nvidia.com/gpu\",\"devices\":["
      "{\"name\":\"0\",\"containerEdits\":{\"env\":[\"G=%s0\"]}},"
      "{\"name\":\"1\",\"containerEdits\":{\"env\":[\"G=%s1\"]}}]}";

static void
test_later_dirs_override_same_dir_conflicts (void **state)
{
  cleanup_free char *a = make_dir ("a");
  cleanup_free char *b = make_dir ("b");
  struct cdi_registry *r = NULL;
  const struct cdi_edits **edits = NULL;
  envrun_error_t err = NULL;
  char dirs[200], text[512];
  size_t n = 0;

  (void)state;
  snprintf (text, sizeof text, gpu_spec, "a", "a");
  write_file (a, "gpu.json", text, 0644);
  snprintf (text, sizeof text, gpu_spec, "b", "b");
  write_file (b, "gpu.json", text, 0644);
  snprintf (dirs, sizeof dirs, "%s:%s", a, b);
  assert_int_equal (cdi_registry_load (dirs, &r, &err), 0);
  assert_int_equal (
      cdi_resolve (r, (char *[]){ "nvidia.com/gpu=1" }, 1, &edits, &n, &err),
      0);
  assert_int_equal (n, 2);
  assert_string_equal (env_of (edits[1]), "G=b1");
  free (edits);
  assert_int_equal (
      cdi_resolve (r, (char *[]){ "nvidia.com/gpu=all" }, 1, &edits, &n, &err),
      0);
  assert_int_equal (n, 3); /* b's spec edits, b0, b1 */
  assert_string_equal (env_of (edits[1]), "G=b0");
  assert_string_equal (env_of (edits[2]), "G=b1");
  free (edits);
  cdi_registry_free (r);
  /* Two files of one directory defining one device: a conflict.  */
  write_file (b, "gpu2.yaml", text, 0644);
  assert_int_equal (cdi_registry_load (b, &r, &err), 0);
  assert_true (
      cdi_resolve (r, (char *[]){ "nvidia.com/gpu=0" }, 1, &edits, &n, &err)
      < 0);
  assert_non_null (strstr (envrun_error_message (err), "defined by both"));
  envrun_error_free (&err);
  cdi_registry_free (r);
}

static void
test_writable_or_broken_specs_fail_the_load (void **state)
{
  cleanup_free char *a = make_dir ("a");
  cleanup_free char *b = make_dir ("b");
  struct cdi_registry *r = NULL;
  envrun_error_t err = NULL;

  (void)state;
  write_file (a, "dev.json", spec_json, 0666);
  assert_true (cdi_registry_load (a, &r, &err) < 0);
  assert_null (r);
  assert_non_null (strstr (envrun_error_message (err), "dev.json: refusing"));
  write_file (b, "bad.json", "{\"cdiVersion\": 3}", 0644);
  assert_true (cdi_registry_load (b, &r, &err) < 0);
  assert_non_null (strstr (envrun_error_message (err),
                           "/b/bad.json: .cdiVersion: expected a string"));
  assert_true (cdi_registry_load ("relative/dir", &r, &err) < 0);
  envrun_error_free (&err);
}

static void
test_gpu_names (void **state)
{
  struct envrun_env_run_options o = { 0 };
  char *devs[] = { "/dev/null", "vendor.com/dev=fake", NULL };
  char **names = NULL;
  envrun_error_t err = NULL;
  size_t n = 0;

  (void)state;
  o.devices = devs;
  o.n_devices = 2;
  o.gpus = "0,GPU-4b6f1c2e-aaaa";
  assert_int_equal (cdi_requested_names (&o, &names, &n, &err), 0);
  assert_int_equal (n, 3);
  assert_string_equal (names[0], "vendor.com/dev=fake");
  assert_string_equal (names[1], "nvidia.com/gpu=0");
  assert_string_equal (names[2], "nvidia.com/gpu=GPU-4b6f1c2e-aaaa");
  cleanup_strvp (&names);
  o.n_devices = 0;
  for (const char *const *g
       = (const char *const[]){ "none", "void", "", NULL };
       *g; g++)
    {
      o.gpus = *g;
      names = NULL;
      assert_int_equal (cdi_requested_names (&o, &names, &n, &err), 0);
      assert_int_equal (n, 0);
      cleanup_strvp (&names);
    }
  o.gpus = "all";
  assert_int_equal (cdi_requested_names (&o, &names, &n, &err), 0);
  assert_string_equal (names[0], "nvidia.com/gpu=all");
  cleanup_strvp (&names);
  o.gpus = "0,,x y";
  o.gpus_from_env = true;
  assert_true (cdi_requested_names (&o, &names, &n, &err) < 0);
  assert_non_null (
      strstr (envrun_error_message (err), "NVIDIA_VISIBLE_DEVICES"));
  envrun_error_free (&err);
}

static void
test_node_complete_from_stat (void **state)
{
  struct cdi_device_node in
      = { .path = "/dev/fakedev", .host_path = "/dev/null" };
  struct cdi_node_info out;
  envrun_error_t err = NULL;

  (void)state;
  assert_int_equal (cdi_node_complete (&in, &out, &err), 0);
  assert_int_equal (out.type, 'c');
  assert_int_equal (out.major, 1);
  assert_int_equal (out.minor, 3);
  assert_true (out.has_file_mode);
  assert_string_equal (out.access, "rwm");
  in.type = 'b';
  assert_true (cdi_node_complete (&in, &out, &err) < 0);
  assert_non_null (strstr (envrun_error_message (err), "type b"));
  in.type = 0;
  in.host_path = "/etc/hostname";
  assert_true (cdi_node_complete (&in, &out, &err) < 0);
  assert_non_null (strstr (envrun_error_message (err), "not a device node"));
  envrun_error_free (&err);
}

/* ---- --user ------------------------------------------------------------ */

static void
test_user_names_inside_the_rootfs (void **state)
{
  cleanup_free char *root = make_dir ("root");
  cleanup_free char *etc = NULL;
  cleanup_close int rootfd = -1;
  struct envrun_env_user u = { 0 };
  envrun_error_t err = NULL;
  char link[300];

  (void)state;
  assert_true (asprintf (&etc, "%s/etc", root) > 0);
  assert_int_equal (mkdir (etc, 0755), 0);
  write_file (etc, "pw",
              "root:x:0:0::/root:/bin/sh\n"
              "alice:x:1000:1000:A:/home/alice:/bin/sh\n",
              0644);
  /* An absolute link resolves inside the rootfs, not on the host.  */
  snprintf (link, sizeof link, "%s/passwd", etc);
  assert_int_equal (symlink ("/etc/pw", link), 0);
  write_file (etc, "group",
              "alice:x:1000:\nvideo:x:44:alice,bob\n"
              "audio:x:29:bob\n",
              0644);
  rootfd = open (root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  assert_true (rootfd >= 0);
  assert_int_equal (envrun_env_resolve_user (rootfd, "alice", &u, &err), 0);
  assert_int_equal (u.uid, 1000);
  assert_int_equal (u.gid, 1000);
  assert_string_equal (u.home, "/home/alice");
  assert_int_equal (u.n_groups, 1);
  assert_int_equal (u.groups[0], 44);
  envrun_env_user_free (&u);
  assert_int_equal (envrun_env_resolve_user (rootfd, "alice:audio", &u, &err),
                    0);
  assert_int_equal (u.gid, 29);
  envrun_env_user_free (&u);
  assert_int_equal (envrun_env_resolve_user (rootfd, "4242:7", &u, &err), 0);
  assert_int_equal (u.uid, 4242);
  assert_int_equal (u.gid, 7);
  assert_null (u.home);
  envrun_env_user_free (&u);
  assert_int_equal (envrun_env_resolve_user (rootfd, "4242", &u, &err), 0);
  assert_int_equal (u.gid, 4242);
  envrun_env_user_free (&u);
  assert_true (envrun_env_resolve_user (rootfd, "mallory", &u, &err) < 0);
  assert_non_null (strstr (envrun_error_message (err), "no user mallory"));
  assert_true (envrun_env_resolve_user (rootfd, "alice:nogroup", &u, &err)
               < 0);
  assert_non_null (strstr (envrun_error_message (err), "no group nogroup"));
  assert_true (envrun_env_resolve_user (rootfd, "alice:", &u, &err) < 0);
  envrun_error_free (&err);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_json_and_yaml_read_the_same),
    cmocka_unit_test (test_bad_specs_name_file_and_field),
    cmocka_unit_test (test_yaml_nesting_is_limited),
    cmocka_unit_test_setup_teardown (test_resolve_spec_then_device_edits_once,
                                     setup_tmp, teardown_tmp),
    cmocka_unit_test_setup_teardown (test_resolve_errors_name_dirs, setup_tmp,
                                     teardown_tmp),
    cmocka_unit_test_setup_teardown (
        test_later_dirs_override_same_dir_conflicts, setup_tmp, teardown_tmp),
    cmocka_unit_test_setup_teardown (
        test_writable_or_broken_specs_fail_the_load, setup_tmp, teardown_tmp),
    cmocka_unit_test (test_gpu_names),
    cmocka_unit_test (test_node_complete_from_stat),
    cmocka_unit_test_setup_teardown (test_user_names_inside_the_rootfs,
                                     setup_tmp, teardown_tmp),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
