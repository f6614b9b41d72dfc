/* File-system helpers of the store: recursive removal, creation, atomic
   writes and a faithful tree copy (owners, modes, times, xattrs, hard
   links, symlinks, devices), all fd-relative.  */
#include "config-host.h"

#include "env-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

/* The mount a directory fd is on: removal never descends into another
   mount (a /proc or a bind mount left in a half-made layer would
   otherwise have the host's files deleted through it).  */
static int
mount_id (int fd, uint64_t *out)
{
  struct statx stx;

  if (statx (fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) < 0
      || !(stx.stx_mask & STATX_MNT_ID))
    return -1;
  *out = stx.stx_mnt_id;
  return 0;
}

static int
rm_rf_children (int dfd, int depth, envrun_error_t *err)
{
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  int fd = dup (dfd);

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
      if (unlinkat (dfd, de->d_name, 0) == 0)
        continue;
      if (errno != EISDIR && errno != EPERM)
        {
          if (errno == ENOENT)
            continue;
          return envrun_error_set (err, errno, "unlink %s", de->d_name);
        }
      {
        cleanup_close int sub = openat (dfd, de->d_name,
                                        O_RDONLY | O_DIRECTORY | O_NOFOLLOW
                                            | O_CLOEXEC);
        uint64_t here = 0, there = 0;
        if (sub < 0)
          return envrun_error_set (err, errno, "open %s", de->d_name);
        if (mount_id (dfd, &here) == 0 && mount_id (sub, &there) == 0
            && here != there)
          return envrun_error_set (err, EBUSY, "%s: a mount point, not "
                                   "removed", de->d_name);
        if (depth > 4 * ENV_MAX_DEPTH)
          return envrun_error_set (err, ELOOP, "%s: too deep", de->d_name);
        if (rm_rf_children (sub, depth + 1, err) < 0)
          return envrun_error_prefix (err, "%s", de->d_name);
      }
      if (unlinkat (dfd, de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        return envrun_error_set (err, errno, "rmdir %s", de->d_name);
    }
  return 0;
}

int
env_rm_rf_at (int dirfd, const char *name, envrun_error_t *err)
{
  cleanup_close int fd = -1;

  if (unlinkat (dirfd, name, 0) == 0 || errno == ENOENT)
    return 0;
  fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? 0 : envrun_error_set (err, errno, "%s", name);
  if (rm_rf_children (fd, 0, err) < 0)
    return envrun_error_prefix (err, "%s", name);
  if (unlinkat (dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return envrun_error_set (err, errno, "rmdir %s", name);
  return 0;
}

int
env_rm_rf (const char *path, envrun_error_t *err)
{
  return env_rm_rf_at (AT_FDCWD, path, err);
}

int
env_mkdir_p (const char *path, mode_t mode, envrun_error_t *err)
{
  cleanup_free char *p = strdup (path);

  if (p == NULL)
    return envrun_error_set (err, ENOMEM, "%s", path);
  for (char *c = p + 1; *c; c++)
    if (*c == '/')
      {
        *c = '\0';
        if (mkdir (p, 0755) < 0 && errno != EEXIST)
          return envrun_error_set (err, errno, "mkdir %s", p);
        *c = '/';
      }
  if (mkdir (p, mode) < 0 && errno != EEXIST)
    return envrun_error_set (err, errno, "mkdir %s", p);
  return 0;
}

int
env_fsync_dir (const char *path)
{
  cleanup_close int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  return fd < 0 ? -1 : fsync (fd);
}

int
env_write_file_atomic (const char *path, const char *data, size_t len,
                       envrun_error_t *err)
{
  cleanup_free char *tmp = NULL;
  cleanup_free char *dir = NULL;
  cleanup_close int fd = -1;
  char *slash;

  if (asprintf (&tmp, "%s.tmp-%d", path, getpid ()) < 0
      || (dir = strdup (path)) == NULL)
    return envrun_error_set (err, ENOMEM, "%s", path);
  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0)
    return envrun_error_set (err, errno, "%s", tmp);
  for (size_t off = 0; off < len;)
    {
      ssize_t n = write (fd, data + off, len - off);
      if (n < 0)
        {
          int saved = errno;
          unlink (tmp);
          return envrun_error_set (err, saved, "write %s", tmp);
        }
      off += n;
    }
  if (fsync (fd) < 0 || rename (tmp, path) < 0)
    {
      int saved = errno;
      unlink (tmp);
      return envrun_error_set (err, saved, "%s", path);
    }
  slash = strrchr (dir, '/');
  if (slash && slash != dir)
    {
      *slash = '\0';
      env_fsync_dir (dir);
    }
  return 0;
}

int
env_dir_is_empty (const char *path, envrun_error_t *err)
{
  cleanup_dir DIR *d = opendir (path);
  struct dirent *de;

  if (d == NULL)
    return envrun_error_set (err, errno, "%s", path);
  while ((de = readdir (d)))
    if (strcmp (de->d_name, ".") && strcmp (de->d_name, ".."))
      return 0;
  return 1;
}
