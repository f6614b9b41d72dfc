/* Content-addressed layers.  A layer's name is the SHA-256 of a canonical
   walk of its tree (entries sorted by name; for each: relative path, type,
   mode, owner, mtime, device, size, content or link target, xattrs sorted),
   so the same tree always gets the same name and a layer cannot silently
   change under the environments that share it.  */
#include "config-host.h"

#include "env-internal.h"
#include "sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static void
hash_xattrs (struct sha256 *h, int fd)
{
  char path[32], names[65536], value[65536];
  char *list[1024];
  size_t n = 0;
  ssize_t len;

  snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
  len = listxattr (path, names, sizeof names);
  for (char *k = names; len > 0 && k < names + len && n < 1024;
       k += strlen (k) + 1)
    list[n++] = k;
  qsort (list, n, sizeof *list, cmp_str);
  for (size_t i = 0; i < n; i++)
    {
      ssize_t v = getxattr (path, list[i], value, sizeof value);
      if (v < 0)
        continue;
      sha256_update (h, "X", 1);
      sha256_update (h, list[i], strlen (list[i]) + 1);
      sha256_update (h, value, v);
    }
}

static int
hash_file_data (struct sha256 *h, int fd, envrun_error_t *err)
{
  char buf[65536];
  ssize_t n;

  while ((n = read (fd, buf, sizeof buf)) > 0)
    sha256_update (h, buf, n);
  return n < 0 ? envrun_error_set (err, errno, "read") : 0;
}

static int hash_dir (struct sha256 *h, int dfd, const char *rel, int depth,
                     envrun_error_t *err);

static int
hash_entry (struct sha256 *h, int dfd, const char *name, const char *rel,
            int depth, envrun_error_t *err)
{
  cleanup_close int fd = -1;
  char head[256];
  struct stat st;

  fd = openat (dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 || fstat (fd, &st) < 0)
    return envrun_error_set (err, errno, "%s", rel);
  snprintf (head, sizeof head, "%o %u %u %" PRId64 ".%ld %" PRIu64 " %" PRId64,
            st.st_mode, st.st_uid, st.st_gid, (int64_t) st.st_mtim.tv_sec,
            S_ISDIR (st.st_mode) ? 0 : st.st_mtim.tv_nsec,
            (uint64_t) st.st_rdev,
            S_ISREG (st.st_mode) ? (int64_t) st.st_size : 0);
  sha256_update (h, "E", 1);
  sha256_update (h, rel, strlen (rel) + 1);
  sha256_update (h, head, strlen (head) + 1);
  if (!S_ISLNK (st.st_mode))
    hash_xattrs (h, fd);
  if (S_ISREG (st.st_mode))
    {
      cleanup_close int rfd = openat (dfd, name,
                                      O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      if (rfd < 0)
        return envrun_error_set (err, errno, "%s", rel);
      return hash_file_data (h, rfd, err) < 0
                 ? envrun_error_prefix (err, "%s", rel)
                 : 0;
    }
  if (S_ISLNK (st.st_mode))
    {
      char target[ENV_MAX_PATH + 1];
      ssize_t n = readlinkat (dfd, name, target, ENV_MAX_PATH);
      if (n < 0)
        return envrun_error_set (err, errno, "%s", rel);
      sha256_update (h, target, n);
      return 0;
    }
  if (S_ISDIR (st.st_mode))
    {
      cleanup_close int sub = openat (dfd, name, O_RDONLY | O_DIRECTORY
                                      | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0)
        return envrun_error_set (err, errno, "%s", rel);
      if (depth >= 4 * ENV_MAX_DEPTH)
        return envrun_error_set (err, ELOOP, "%s: too deep", rel);
      return hash_dir (h, sub, rel, depth + 1, err);
    }
  return 0;
}

/* Sorted names of the directory dfd.  */
static int
sorted_names (int dfd, char ***out, size_t *n, envrun_error_t *err)
{
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  int fd = dup (dfd);

  *out = NULL;
  *n = 0;
  if (fd < 0 || (d = fdopendir (fd)) == NULL)
    {
      if (fd >= 0)
        close (fd);
      return envrun_error_set (err, errno, "opendir");
    }
  while ((de = readdir (d)))
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (env_strv_push (out, n, de->d_name) < 0)
        return envrun_error_set (err, ENOMEM, "readdir");
    }
  if (*n)
    qsort (*out, *n, sizeof **out, cmp_str);
  return 0;
}

static int
hash_dir (struct sha256 *h, int dfd, const char *rel, int depth,
          envrun_error_t *err)
{
  cleanup_strv char **names = NULL;
  size_t n;

  if (sorted_names (dfd, &names, &n, err) < 0)
    return envrun_error_prefix (err, "%s", rel);
  for (size_t i = 0; i < n; i++)
    {
      cleanup_free char *sub = NULL;
      if (asprintf (&sub, "%s/%s", rel, names[i]) < 0)
        return envrun_error_set (err, ENOMEM, "hash");
      if (hash_entry (h, dfd, names[i], sub, depth, err) < 0)
        return -1;
    }
  return 0;
}

int
env_layer_hash (const char *path, char **digest, envrun_error_t *err)
{
  cleanup_close int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct sha256 h;
  char hex[65];

  if (fd < 0)
    return envrun_error_set (err, errno, "%s", path);
  sha256_init (&h);
  sha256_update (&h, "envrun-layer-v1", 16);
  if (hash_entry (&h, fd, ".", "", 0, err) < 0)
    return envrun_error_prefix (err, "hashing %s", path);
  sha256_final_hex (&h, hex);
  if (asprintf (digest, "sha256:%s", hex) < 0)
    return envrun_error_set (err, ENOMEM, "hash");
  return 0;
}

char *
env_layer_path (struct envrun_store *s, const char *digest)
{
  const char *hex = strncmp (digest, "sha256:", 7) == 0 ? digest + 7 : digest;

  return env_path (s, "layers/%s", hex);
}

int
env_layer_store (struct envrun_store *s, const char *dir, char **digest,
                 envrun_error_t *err)
{
  cleanup_free char *d = NULL;
  cleanup_free char *dest = NULL;

  if (env_layer_hash (dir, &d, err) < 0)
    return -1;
  dest = env_layer_path (s, d);
  if (dest == NULL)
    return envrun_error_set (err, ENOMEM, "layer");
  if (rename (dir, dest) < 0)
    {
      if (errno != EEXIST && errno != ENOTEMPTY)
        return envrun_error_set (err, errno, "%s", dest);
      /* The same tree is already stored: share it.  */
      env_rm_rf (dir, NULL);
    }
  *digest = steal_pointer (&d);
  return 0;
}

char *
env_lowerdirs (struct envrun_store *s, const struct envrun_env_meta *m)
{
  char *out = NULL;
  size_t len = 0;
  FILE *f;

  if (m->n_layers == 0)
    return NULL;
  f = open_memstream (&out, &len);
  if (f == NULL)
    return NULL;
  for (size_t i = m->n_layers; i-- > 0;)
    {
      cleanup_free char *p = env_layer_path (s, m->layers[i]);
      fprintf (f, "%s%s", i + 1 < m->n_layers ? ":" : "", p ? p : "");
    }
  if (fclose (f) != 0)
    {
      free (out);
      return NULL;
    }
  return out;
}
