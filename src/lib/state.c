/* State directories and state.json (see state.h).  */
#include "config-host.h"

#include "cleanup.h"
#include "json.h"
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STATE_FILE "state.json"
#define STATE_MAX (1024 * 1024)

/* The state root with its parents, as runc's MkdirAll: containerd's shim
   passes /run/containerd/runc/<namespace> before anything made it.  */
static int
ensure_root (const char *root, envrun_error_t *err)
{
  char path[PATH_MAX];

  if (mkdir (root, 0700) == 0 || errno == EEXIST)
    return 0;
  if (errno != ENOENT || strlen (root) >= sizeof path)
    return envrun_error_set (err, errno, "create state root `%s`", root);
  strcpy (path, root);
  for (char *p = path + 1; *p; p++)
    if (*p == '/')
      {
        *p = '\0';
        if (mkdir (path, 0700) < 0 && errno != EEXIST)
          return envrun_error_set (err, errno, "create `%s`", path);
        *p = '/';
      }
  if (mkdir (root, 0700) < 0 && errno != EEXIST)
    return envrun_error_set (err, errno, "create state root `%s`", root);
  return 0;
}

static int
lock_dir (int fd, const char *id, envrun_error_t *err)
{
  if (flock (fd, LOCK_EX) < 0)
    return envrun_error_set (err, errno, "lock container `%s`", id);
  return 0;
}

int
state_dir_create (const char *root, const char *id, envrun_error_t *err)
{
  cleanup_close int rootfd = -1;
  cleanup_close int fd = -1;

  if (ensure_root (root, err) < 0)
    return -1;
  rootfd = open (root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return envrun_error_set (err, errno, "open state root `%s`", root);
  if (mkdirat (rootfd, id, 0700) < 0)
    {
      if (errno == EEXIST)
        return envrun_error_set (err, EEXIST,
                                 "container `%s` already exists", id);
      return envrun_error_set (err, errno, "create state dir for `%s`", id);
    }
  fd = openat (rootfd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return envrun_error_set (err, errno, "open state dir for `%s`", id);
  if (lock_dir (fd, id, err) < 0)
    return -1;
  return steal_fd (&fd);
}

int
state_dir_open (const char *root, const char *id, envrun_error_t *err)
{
  char path[PATH_MAX];
  cleanup_close int fd = -1;

  if (snprintf (path, sizeof path, "%s/%s", root, id) >= (int) sizeof path)
    return envrun_error_set (err, ENAMETOOLONG, "state path for `%s`", id);
  fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    {
      if (errno == ENOENT)
        return envrun_error_set (err, ENOENT,
                                 "container `%s` does not exist", id);
      return envrun_error_set (err, errno, "open state dir `%s`", path);
    }
  if (lock_dir (fd, id, err) < 0)
    return -1;
  /* A concurrent delete may have removed it while we waited.  */
  struct stat st;
  if (fstatat (fd, ".", &st, 0) == 0 && st.st_nlink == 0)
    return envrun_error_set (err, ENOENT, "container `%s` does not exist",
                             id);
  return steal_fd (&fd);
}

int
state_dir_remove (const char *root, const char *id, envrun_error_t *err)
{
  char path[PATH_MAX];
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  snprintf (path, sizeof path, "%s/%s", root, id);
  d = opendir (path);
  if (d == NULL)
    return errno == ENOENT ? 0
                           : envrun_error_set (err, errno, "open `%s`", path);
  while ((de = readdir (d)))
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (unlinkat (dirfd (d), de->d_name, 0) < 0 && errno != ENOENT)
        return envrun_error_set (err, errno, "remove `%s/%s`", path,
                                 de->d_name);
    }
  if (rmdir (path) < 0 && errno != ENOENT)
    return envrun_error_set (err, errno, "remove `%s`", path);
  return 0;
}

static void
gen_annotations (struct json_gen *g, const struct container_state *s)
{
  if (s->n_annotations == 0)
    return;
  json_gen_key (g, "annotations");
  json_gen_object_open (g);
  for (size_t i = 0; i < s->n_annotations; i++)
    json_gen_kv_string (g, s->annotations[i].key, s->annotations[i].value);
  json_gen_object_close (g);
}

int
state_write (int dirfd, const struct container_state *s, envrun_error_t *err)
{
  struct json_gen *g = json_gen_new (false);
  cleanup_free char *text = NULL;
  size_t len;
  cleanup_close int fd = -1;

  json_gen_object_open (g);
  json_gen_kv_string (g, "id", s->id);
  json_gen_kv_string (g, "bundle", s->bundle);
  json_gen_kv_string (g, "rootfs", s->rootfs);
  json_gen_kv_string (g, "ociVersion", s->oci_version);
  json_gen_kv_string (g, "created", s->created);
  json_gen_kv_string (g, "owner", s->owner ? s->owner : "");
  json_gen_kv_int (g, "pid", s->pid);
  json_gen_kv_uint (g, "pidStartTime", s->pid_start_time);
  if (s->cgroup_path)
    json_gen_kv_string (g, "cgroupPath", s->cgroup_path);
  json_gen_kv_bool (g, "configCopy", s->has_config_copy);
  gen_annotations (g, s);
  json_gen_object_close (g);
  int ret = json_gen_finish (g, &text, &len, err);
  json_gen_free (g);
  if (ret < 0)
    return -1;
  fd = openat (dirfd, STATE_FILE ".tmp",
               O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0 || write (fd, text, len) != (ssize_t) len)
    return envrun_error_set (err, errno, "write " STATE_FILE);
  if (renameat (dirfd, STATE_FILE ".tmp", dirfd, STATE_FILE) < 0)
    return envrun_error_set (err, errno, "rename " STATE_FILE);
  return 0;
}

static int
dup_string_field (const struct json_doc *doc, json_node *root,
                  const char *key, bool required, char **out,
                  envrun_error_t *err)
{
  char path[64];
  const char *v;
  json_node *n = json_object_get (root, key);

  snprintf (path, sizeof path, ".%s", key);
  if (n == NULL)
    return required ? json_error (doc, path, err, "missing") : 0;
  if (json_get_string (doc, n, path, &v, err) < 0)
    return -1;
  *out = strdup (v);
  return *out ? 0 : envrun_error_set (err, ENOMEM, "state");
}

static int
parse_annotations (const struct json_doc *doc, json_node *root,
                   struct container_state *s, envrun_error_t *err)
{
  json_node *a = json_object_get (root, "annotations");
  if (a == NULL)
    return 0;
  if (json_expect_type (doc, a, ".annotations", JSON_OBJECT, err) < 0)
    return -1;
  size_t n = json_object_size (a);
  s->annotations = calloc (n + 1, sizeof *s->annotations);
  if (s->annotations == NULL)
    return envrun_error_set (err, ENOMEM, "state");
  for (size_t i = 0; i < n; i++)
    {
      const char *v;
      if (json_get_string (doc, json_object_value_at (a, i), ".annotations",
                           &v, err) < 0)
        return -1;
      s->annotations[i].key = strdup (json_object_key_at (a, i));
      s->annotations[i].value = strdup (v);
      s->n_annotations++;
    }
  return 0;
}

static int
parse_numbers (const struct json_doc *doc, json_node *root,
               struct container_state *s, envrun_error_t *err)
{
  uint64_t v;
  json_node *n = json_object_get (root, "pid");
  if (n == NULL)
    return json_error (doc, ".pid", err, "missing");
  if (json_get_uint_max (doc, n, ".pid", INT32_MAX, &v, err) < 0)
    return -1;
  s->pid = (pid_t) v;
  n = json_object_get (root, "pidStartTime");
  if (n && json_get_uint64 (doc, n, ".pidStartTime", &s->pid_start_time,
                            err) < 0)
    return -1;
  n = json_object_get (root, "configCopy");
  if (n && json_get_bool (doc, n, ".configCopy", &s->has_config_copy, err)
               < 0)
    return -1;
  return 0;
}

int
state_parse (const char *text, size_t len, const char *name,
             struct container_state **out, envrun_error_t *err)
{
  struct json_doc *doc = NULL;
  struct container_state *s;
  json_node *root;
  int ret;

  if (json_parse (text, len, name, &doc, err) < 0)
    return -1;
  root = json_doc_root (doc);
  s = calloc (1, sizeof *s);
  ret = s ? json_expect_type (doc, root, ".", JSON_OBJECT, err) : -1;
  if (ret == 0)
    ret = dup_string_field (doc, root, "id", true, &s->id, err);
  if (ret == 0)
    ret = dup_string_field (doc, root, "bundle", true, &s->bundle, err);
  if (ret == 0)
    ret = dup_string_field (doc, root, "rootfs", false, &s->rootfs, err);
  if (ret == 0)
    ret = dup_string_field (doc, root, "ociVersion", true, &s->oci_version,
                            err);
  if (ret == 0)
    ret = dup_string_field (doc, root, "created", false, &s->created, err);
  if (ret == 0)
    ret = dup_string_field (doc, root, "owner", false, &s->owner, err);
  if (ret == 0)
    ret = dup_string_field (doc, root, "cgroupPath", false, &s->cgroup_path,
                            err);
  if (ret == 0)
    ret = parse_numbers (doc, root, s, err);
  if (ret == 0)
    ret = parse_annotations (doc, root, s, err);
  json_doc_free (doc);
  if (ret < 0)
    {
      if (s == NULL)
        envrun_error_set (err, ENOMEM, "%s", name);
      container_state_free (s);
      return -1;
    }
  *out = s;
  return 0;
}

int
state_read (int dirfd, const char *id, struct container_state **out,
            envrun_error_t *err)
{
  cleanup_close int fd = openat (dirfd, STATE_FILE, O_RDONLY | O_CLOEXEC);
  cleanup_free char *buf = NULL;
  char name[PATH_MAX];
  ssize_t n;

  snprintf (name, sizeof name, "%s/" STATE_FILE, id);
  if (fd < 0)
    return envrun_error_set (err, errno == ENOENT ? ENOENT : errno,
                             errno == ENOENT
                                 ? "container `%s` is still being created"
                                 : "open state of `%s`",
                             id);
  buf = malloc (STATE_MAX);
  if (buf == NULL)
    return envrun_error_set (err, ENOMEM, "%s", name);
  n = read (fd, buf, STATE_MAX);
  if (n < 0)
    return envrun_error_set (err, errno, "read %s", name);
  return state_parse (buf, (size_t) n, name, out, err);
}

void
container_state_free (struct container_state *s)
{
  if (s == NULL)
    return;
  free (s->id);
  free (s->bundle);
  free (s->rootfs);
  free (s->oci_version);
  free (s->created);
  free (s->owner);
  free (s->cgroup_path);
  for (size_t i = 0; i < s->n_annotations; i++)
    {
      free (s->annotations[i].key);
      free (s->annotations[i].value);
    }
  free (s->annotations);
  free (s);
}

uint64_t
process_start_time (pid_t pid)
{
  char path[64], buf[1024];
  cleanup_close int fd = -1;
  ssize_t n;

  snprintf (path, sizeof path, "/proc/%d/stat", pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  n = read (fd, buf, sizeof buf - 1);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  /* comm may contain spaces and parentheses: fields start after the last
     ')'.  Field 3 is the state, field 22 the start time.  */
  char *p = strrchr (buf, ')');
  if (p == NULL || p[1] == '\0')
    return 0;
  p += 2;
  if (*p == 'Z' || *p == 'X')
    return 0;
  for (int field = 3; field < 22 && p; field++)
    {
      p = strchr (p, ' ');
      if (p)
        p++;
    }
  return p ? strtoull (p, NULL, 10) : 0;
}

enum envrun_status
state_status (int dirfd, const struct container_state *s)
{
  struct stat st;

  if (s->pid <= 0)
    return ENVRUN_STATUS_STOPPED;
  uint64_t start = process_start_time (s->pid);
  if (start == 0 || (s->pid_start_time && start != s->pid_start_time))
    return ENVRUN_STATUS_STOPPED;
  if (fstatat (dirfd, "exec.fifo", &st, 0) == 0)
    return ENVRUN_STATUS_CREATED;
  return ENVRUN_STATUS_RUNNING;
}

char *
state_now_rfc3339 (void)
{
  struct timespec ts;
  struct tm tm;
  char buf[64], *out = NULL;

  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  if (asprintf (&out, "%s.%09ldZ", buf, ts.tv_nsec) < 0)
    return NULL;
  return out;
}

int
state_oci_json (const struct container_state *s, enum envrun_status st,
                bool pretty, char **out, envrun_error_t *err)
{
  struct json_gen *g = json_gen_new (pretty);
  size_t len;

  json_gen_object_open (g);
  json_gen_kv_string (g, "ociVersion", s->oci_version);
  json_gen_kv_string (g, "id", s->id);
  json_gen_kv_string (g, "status", envrun_status_name (st));
  if (st != ENVRUN_STATUS_STOPPED && s->pid > 0)
    json_gen_kv_int (g, "pid", s->pid);
  json_gen_kv_string (g, "bundle", s->bundle);
  gen_annotations (g, s);
  json_gen_object_close (g);
  int ret = json_gen_finish (g, out, &len, err);
  json_gen_free (g);
  return ret;
}

const char *
envrun_status_name (enum envrun_status s)
{
  static const char *const names[] = {
    [ENVRUN_STATUS_CREATING] = "creating",
    [ENVRUN_STATUS_CREATED] = "created",
    [ENVRUN_STATUS_RUNNING] = "running",
    [ENVRUN_STATUS_STOPPED] = "stopped",
    [ENVRUN_STATUS_PAUSED] = "paused",
  };
  return names[s];
}
