/* Unit tests of the environment store: names, metadata round trip, the
   tar extractor on hostile archives, diff over whiteouts and opaque
   directories.  */
#include "config-host.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "env-internal.h"
#include "tar.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

static void
test_names (void **state)
{
  static const char *const good[] = { "main", "a", "risky-1", "x_y.z",
                                      "0abc", NULL };
  static const char *const bad[] = { "", "../x", "a/b", ".hidden", "-x",
                                     "a..b", "a b", "caf\xc3\xa9", "x\n",
                                     NULL };
  char long_name[80];

  for (const char *const *n = good; *n; n++)
    assert_int_equal (envrun_env_validate_name (*n, NULL), 0);
  for (const char *const *n = bad; *n; n++)
    {
      envrun_error_t err = NULL;
      assert_true (envrun_env_validate_name (*n, &err) < 0);
      assert_non_null (strstr (envrun_error_message (err), "environment name"));
      envrun_error_free (&err);
    }
  memset (long_name, 'a', 65);
  long_name[65] = '\0';
  assert_true (envrun_env_validate_name (long_name, NULL) < 0);
  long_name[64] = '\0';
  assert_int_equal (envrun_env_validate_name (long_name, NULL), 0);
}

static void
test_meta_round_trip (void **state)
{
  struct envrun_env_meta *m = env_meta_new ("main"), *back = NULL;
  char *text = NULL, *again = NULL;
  envrun_error_t err = NULL;

  assert_non_null (m);
  m->parent = strdup ("base");
  env_strv_push (&m->layers, &m->n_layers,
                 "sha256:0123456789abcdef0123456789abcdef0123456789abcdef01"
                 "23456789abcdef");
  m->base_layers = 1;
  m->upper = strdup ("upper-1");
  m->work = strdup ("work-1");
  env_strv_push (&m->env, &m->n_env, "A=1");
  env_strv_push (&m->packages, &m->n_packages, "python3-pip");
  m->source_type = strdup ("bootstrap");
  m->source = strdup ("bookworm");
  assert_int_equal (envrun_env_meta_to_json (m, true, &text, &err), 0);
  assert_int_equal (envrun_env_meta_parse (text, strlen (text), "meta.json",
                                           &back, &err), 0);
  assert_int_equal (envrun_env_meta_to_json (back, true, &again, &err), 0);
  assert_string_equal (text, again);
  assert_string_equal (back->packages[0], "python3-pip");
  assert_int_equal (back->base_layers, 1);
  free (text);
  free (again);
  envrun_env_meta_free (m);
  envrun_env_meta_free (back);
}

static void
test_meta_errors_name_the_field (void **state)
{
  static const struct
  {
    const char *text, *want;
  } cases[] = {
    { "{\"name\":\"m\",\"upper\":\"u\",\"work\":\"w\",\"layers\":[1]}",
      ".layers[0]" },
    { "{\"name\":\"m\",\"upper\":\"u\",\"work\":\"w\",\"layers\":[\"x\"]}",
      ".layers" },
    { "{\"name\":\"../m\",\"upper\":\"u\",\"work\":\"w\"}", ".name" },
    { "{\"name\":\"m\",\"upper\":\"../u\",\"work\":\"w\"}", ".upper" },
    { "[]", "meta.json" },
  };

  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
    {
      struct envrun_env_meta *m = NULL;
      envrun_error_t err = NULL;
      assert_true (envrun_env_meta_parse (cases[i].text, strlen (cases[i].text),
                                          "meta.json", &m, &err) < 0);
      assert_null (m);
      if (!strstr (envrun_error_message (err), cases[i].want))
        fail_msg ("%s: %s", cases[i].text, envrun_error_message (err));
      envrun_error_free (&err);
    }
}

/* An in-memory tar archive.  */
struct mem
{
  char *buf;
  size_t len, off;
};

static void
add_header (struct mem *a, const char *name, char type, const char *link,
            const char *data)
{
  size_t dlen = data ? strlen (data) : 0;
  unsigned char h[512] = { 0 };
  unsigned long sum = 0;

  snprintf ((char *) h, 100, "%s", name);
  snprintf ((char *) h + 100, 8, "%07o", 0644);
  snprintf ((char *) h + 108, 8, "%07o", 0);
  snprintf ((char *) h + 116, 8, "%07o", 0);
  snprintf ((char *) h + 124, 12, "%011o", (unsigned int) dlen);
  snprintf ((char *) h + 136, 12, "%011o", 0);
  h[156] = type;
  if (link)
    snprintf ((char *) h + 157, 100, "%s", link);
  memcpy (h + 257, "ustar\0" "00", 8);
  snprintf ((char *) h + 329, 8, "%07o", 1);
  snprintf ((char *) h + 337, 8, "%07o", 3);
  memset (h + 148, ' ', 8);
  for (int i = 0; i < 512; i++)
    sum += h[i];
  snprintf ((char *) h + 148, 8, "%06lo", sum);
  a->buf = realloc (a->buf, a->len + 512 + ((dlen + 511) & ~511u) + 1024);
  memcpy (a->buf + a->len, h, 512);
  a->len += 512;
  if (dlen)
    {
      memset (a->buf + a->len, 0, (dlen + 511) & ~511u);
      memcpy (a->buf + a->len, data, dlen);
      a->len += (dlen + 511) & ~511u;
    }
}

static void
finish (struct mem *a)
{
  memset (a->buf + a->len, 0, 1024);
  a->len += 1024;
}

static ssize_t
mem_read (void *ctx, void *buf, size_t len)
{
  struct mem *a = ctx;

  if (len > a->len - a->off)
    len = a->len - a->off;
  memcpy (buf, a->buf + a->off, len);
  a->off += len;
  return len;
}

static int
extract (struct mem *a, const char *root, envrun_error_t *err)
{
  struct env_tar_options o = { .name = "test.tar" };
  int fd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int ret = env_tar_extract (mem_read, a, fd, &o, err);

  close (fd);
  return ret;
}

static char *
tmpdir (void)
{
  char t[] = "/tmp/test-env-XXXXXX";
  return strdup (mkdtemp (t));
}

static void
expect_refused (struct mem *a, const char *what)
{
  cleanup_free char *root = tmpdir ();
  envrun_error_t err = NULL;

  finish (a);
  assert_true (extract (a, root, &err) < 0);
  if (!strstr (envrun_error_message (err), what)
      || !strstr (envrun_error_message (err), "test.tar"))
    fail_msg ("want `%s`: %s", what, envrun_error_message (err));
  envrun_error_free (&err);
  env_rm_rf (root, NULL);
  free (a->buf);
}

static void
test_tar_hostile (void **state)
{
  struct mem a = { 0 };
  char *deep;

  add_header (&a, "../escape", '0', NULL, "x");
  expect_refused (&a, "`..` refused");
  a = (struct mem){ 0 };
  add_header (&a, "/etc/passwd", '0', NULL, "x");
  expect_refused (&a, "absolute path");
  a = (struct mem){ 0 };
  add_header (&a, "up", '2', "../../../etc", NULL);
  expect_refused (&a, "escapes the root");
  a = (struct mem){ 0 };
  /* An absolute symlink is kept, but nothing is written through it.  */
  add_header (&a, "lnk", '2', "/tmp", NULL);
  add_header (&a, "lnk/test-env-through", '0', NULL, "x");
  expect_refused (&a, "symlinks are not followed");
  assert_int_equal (access ("/tmp/test-env-through", F_OK), -1);
  a = (struct mem){ 0 };
  add_header (&a, "h", '1', "../../etc/passwd", NULL);
  expect_refused (&a, "hard link");
  a = (struct mem){ 0 };
  add_header (&a, "h", '1', "/etc/passwd", NULL);
  expect_refused (&a, "absolute path");
  /* 10,000 directories deep, as a GNU long name.  */
  a = (struct mem){ 0 };
  deep = malloc (20001);
  for (int i = 0; i < 10000; i++)
    memcpy (deep + 2 * i, "a/", 2);
  deep[19999] = '\0';
  add_header (&a, "././@LongLink", 'L', NULL, deep);
  add_header (&a, "x", '0', NULL, "x");
  free (deep);
  expect_refused (&a, "longer than");
  a = (struct mem){ 0 };
  add_header (&a, "ok", '0', NULL, "x");
  a.buf[148] ^= 1; /* damaged checksum */
  expect_refused (&a, "checksum");
}

static void
test_tar_device_needs_root (void **state)
{
  cleanup_free char *root = tmpdir ();
  struct mem a = { 0 };
  envrun_error_t err = NULL;
  int ret;

  add_header (&a, "null", '3', NULL, NULL);
  add_header (&a, "dir/", '5', NULL, NULL);
  add_header (&a, "dir/f", '0', NULL, "hello");
  add_header (&a, "dir/h", '1', "dir/f", NULL);
  finish (&a);
  ret = extract (&a, root, &err);
  if (geteuid () == 0)
    {
      char p[256];
      struct stat st, st2;
      assert_int_equal (ret, 0);
      snprintf (p, sizeof p, "%s/null", root);
      assert_int_equal (lstat (p, &st), 0);
      assert_true (S_ISCHR (st.st_mode) && st.st_rdev == makedev (1, 3));
      snprintf (p, sizeof p, "%s/dir/f", root);
      assert_int_equal (lstat (p, &st), 0);
      snprintf (p, sizeof p, "%s/dir/h", root);
      assert_int_equal (lstat (p, &st2), 0);
      assert_int_equal (st.st_ino, st2.st_ino);
    }
  else
    {
      assert_true (ret < 0);
      assert_non_null (strstr (envrun_error_message (err), "device node"));
    }
  envrun_error_free (&err);
  free (a.buf);
  env_rm_rf (root, NULL);
}

static void
write_file (const char *dir, const char *rel, const char *text)
{
  char p[512];
  FILE *f;

  snprintf (p, sizeof p, "%s/%s", dir, rel);
  f = fopen (p, "w");
  assert_non_null (f);
  fputs (text, f);
  fclose (f);
}

/* A store with one base layer and a clone whose top layer has a whiteout,
   an opaque directory, an addition and a modification.  */
static void
test_diff_whiteouts (void **state)
{
  cleanup_free char *dir = tmpdir ();
  struct envrun_store *s = NULL;
  struct envrun_env_meta *m = NULL;
  struct envrun_env_diff_entry *d = NULL;
  envrun_error_t err = NULL;
  char src[512], up[600], p[700];
  size_t n = 0;
  static const char *const want[]
      = { "D /gone", "D /opq/old", "A /opq/new", "A /added", "M /changed" };

  if (geteuid () != 0)
    skip ();
  snprintf (src, sizeof src, "%s/src", dir);
  mkdir (src, 0755);
  write_file (src, "gone", "g");
  write_file (src, "changed", "old");
  snprintf (p, sizeof p, "%s/opq", src);
  mkdir (p, 0755);
  write_file (src, "opq/old", "o");
  snprintf (p, sizeof p, "%s/store", dir);
  assert_int_equal (envrun_store_open (p, &s, &err), 0);
  {
    struct envrun_env_create_options o = { .source = ENVRUN_ENV_FROM_DIR,
                                           .path = src };
    assert_int_equal (envrun_env_create (s, "base", &o, &err), 0);
  }
  assert_int_equal (envrun_env_clone (s, "base", "c", false, &err), 0);
  assert_int_equal (envrun_env_load (s, "c", &m, &err), 0);
  snprintf (up, sizeof up, "%s/store/envs/c/%s", dir, m->upper);
  snprintf (p, sizeof p, "%s/gone", up);
  assert_int_equal (mknod (p, S_IFCHR | 0, makedev (0, 0)), 0);
  snprintf (p, sizeof p, "%s/opq", up);
  mkdir (p, 0755);
  assert_int_equal (setxattr (p, "trusted.overlay.opaque", "y", 1, 0), 0);
  write_file (up, "opq/new", "n");
  write_file (up, "added", "a");
  write_file (up, "changed", "new");
  assert_int_equal (envrun_env_diff (s, "c", &d, &n, &err), 0);
  assert_int_equal (n, 5);
  for (size_t i = 0; i < sizeof want / sizeof *want; i++)
    {
      bool found = false;
      for (size_t j = 0; j < n; j++)
        found |= d[j].change == (want[i][0] == 'A'   ? ENVRUN_ENV_ADDED
                                 : want[i][0] == 'M' ? ENVRUN_ENV_MODIFIED
                                                     : ENVRUN_ENV_DELETED)
                 && strcmp (d[j].path, want[i] + 2) == 0;
      if (!found)
        fail_msg ("missing %s", want[i]);
    }
  envrun_env_diff_free (d, n);
  envrun_env_meta_free (m);
  envrun_store_close (s);
  env_rm_rf (dir, NULL);
}

/* Removing a half-made layer must never descend into a mount left in it
   (debootstrap's /proc, a bind of a host directory): the files behind it
   are not ours.  */
static void
test_rm_rf_stops_at_mount_points (void **state)
{
  char top[] = "/tmp/test-env-rm.XXXXXX", sub[64], keep[80];
  envrun_error_t err = NULL;

  (void) state;
  if (geteuid () != 0)
    skip ();
  assert_non_null (mkdtemp (top));
  snprintf (sub, sizeof sub, "%s/a", top);
  assert_int_equal (mkdir (sub, 0755), 0);
  assert_int_equal (mount ("tmpfs", sub, "tmpfs", 0, NULL), 0);
  snprintf (keep, sizeof keep, "%s/keep", sub);
  int fd = open (keep, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  assert_true (fd >= 0);
  close (fd);
  assert_true (env_rm_rf (top, &err) < 0);
  assert_non_null (strstr (envrun_error_message (err), "mount point"));
  envrun_error_free (&err);
  assert_int_equal (access (keep, F_OK), 0);
  assert_int_equal (umount2 (sub, MNT_DETACH), 0);
  assert_int_equal (env_rm_rf (top, &err), 0);
  assert_int_not_equal (access (top, F_OK), 0);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_names),
    cmocka_unit_test (test_meta_round_trip),
    cmocka_unit_test (test_meta_errors_name_the_field),
    cmocka_unit_test (test_tar_hostile),
    cmocka_unit_test (test_tar_device_needs_root),
    cmocka_unit_test (test_diff_whiteouts),
    cmocka_unit_test (test_rm_rf_stops_at_mount_points),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
