/* Resolution of paths inside a rootfs (see safepath.h).  */
#include "config-host.h"

#include "cleanup.h"
#include "safepath.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_SYMLINKS 40

static bool force_fallback;
static bool openat2_missing;

void
safepath_force_fallback (bool force)
{
  force_fallback = force;
}

const char *
safepath_fd_path (int fd, char *buf)
{
  snprintf (buf, 32, "/proc/self/fd/%d", fd);
  return buf;
}

static int
open_with_openat2 (int rootfd, const char *path, int flags)
{
  struct open_how how = {
    .flags = (uint64_t) flags | O_CLOEXEC,
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };
  return (int) syscall (SYS_openat2, rootfd, path, &how, sizeof how);
}

/* The fallback: walk one component at a time with O_NOFOLLOW, expanding
   symlinks ourselves and clamping ".." at the root, as RESOLVE_IN_ROOT
   would.  `rest` is a working buffer the walk rewrites.  */
static int
walk_in_root (int rootfd, const char *path, int flags)
{
  char buf[PATH_MAX * 2];
  int links = 0;
  cleanup_close int cur = openat (rootfd, ".", O_PATH | O_CLOEXEC);

  if (path[0] == '\0')
    return errno = ENOENT, -1; /* as openat2 says */
  if (cur < 0 || strlen (path) >= PATH_MAX)
    return cur < 0 ? -1 : (errno = ENAMETOOLONG, -1);
  strcpy (buf, path);
  char *p = buf;
  while (1)
    {
      while (*p == '/')
        p++;
      if (*p == '\0')
        return openat (cur, ".", (flags & ~O_CREAT) | O_CLOEXEC);
      char *slash = strchr (p, '/');
      size_t len = slash ? (size_t) (slash - p) : strlen (p);
      char name[NAME_MAX + 1];
      if (len > NAME_MAX)
        return errno = ENAMETOOLONG, -1;
      memcpy (name, p, len);
      name[len] = '\0';
      p += len;
      bool last = strspn (p, "/") == strlen (p);
      if (strcmp (name, ".") == 0)
        continue;
      if (strcmp (name, "..") == 0)
        {
          struct stat a, b;
          if (fstat (cur, &a) == 0 && fstat (rootfd, &b) == 0
              && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
            continue; /* clamp at the root */
        }
      struct stat st;
      if (fstatat (cur, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return -1;
      if (S_ISLNK (st.st_mode) && !(last && (flags & O_NOFOLLOW)))
        {
          char target[PATH_MAX];
          ssize_t n = readlinkat (cur, name, target, sizeof target - 1);
          if (n < 0)
            return -1;
          target[n] = '\0';
          if (++links > MAX_SYMLINKS)
            return errno = ELOOP, -1;
          if ((size_t) n + strlen (p) + 2 >= sizeof buf)
            return errno = ENAMETOOLONG, -1;
          char tail[PATH_MAX * 2];
          size_t tl = (size_t) n, pl = strlen (p);
          memcpy (tail, target, tl);
          tail[tl] = '/';
          memcpy (tail + tl + 1, p, pl + 1);
          memcpy (buf, tail, tl + pl + 2);
          p = buf;
          if (buf[0] == '/')
            {
              close (cur);
              cur = openat (rootfd, ".", O_PATH | O_CLOEXEC);
              if (cur < 0)
                return -1;
            }
          continue;
        }
      if (last)
        return openat (cur, name, flags | O_NOFOLLOW | O_CLOEXEC);
      int next = openat (cur, name, O_PATH | O_DIRECTORY | O_NOFOLLOW
                                        | O_CLOEXEC);
      if (next < 0)
        return -1;
      close (cur);
      cur = next;
    }
}

static int
open_raw (int rootfd, const char *path, int flags)
{
  if (!force_fallback && !openat2_missing)
    {
      int fd = open_with_openat2 (rootfd, path, flags);
      if (fd >= 0 || errno != ENOSYS)
        return fd;
      openat2_missing = true;
    }
  return walk_in_root (rootfd, path, flags);
}

int
safe_open_in_root (int rootfd, const char *path, int flags,
                   envrun_error_t *err)
{
  int fd = open_raw (rootfd, path, flags);
  if (fd < 0)
    return envrun_error_set (err, errno, "open `%s` inside the rootfs", path);
  return fd;
}

/* Open or create one component below parent (already inside the root).  */
static int
create_component (int rootfd, const char *prefix, int parent,
                  const char *name, bool dir, mode_t mode)
{
  int fd = open_raw (rootfd, prefix, O_PATH);
  if (fd >= 0 || errno != ENOENT || parent < 0)
    return fd;
  if (dir)
    {
      if (mkdirat (parent, name, mode) < 0 && errno != EEXIST)
        return -1;
    }
  else
    {
      int f = openat (parent, name,
                      O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
                      mode);
      if (f < 0 && errno != EEXIST)
        return -1;
      if (f >= 0)
        close (f);
    }
  return open_raw (rootfd, prefix, O_PATH);
}

/* A dangling symlink on the way: rewrite the path to go through its
   target (inside the root, as RESOLVE_IN_ROOT would read it) so the
   missing target is created there, as runc does.  */
static int
follow_dangling (int parent, const char *name, const char *dir_prefix,
                 size_t dir_len, const char *rest, char *buf, size_t size)
{
  char target[PATH_MAX];
  ssize_t n = readlinkat (parent, name, target, sizeof target - 1);
  int r;

  if (n < 0)
    return -1;
  target[n] = '\0';
  if (target[0] == '/')
    r = snprintf (buf, size, "%s%s", target, rest);
  else
    r = snprintf (buf, size, "%.*s/%s%s", (int) dir_len, dir_prefix, target,
                  rest);
  return r < 0 || (size_t) r >= size ? (errno = ENAMETOOLONG, -1) : 0;
}

int
safe_create_in_root (int rootfd, const char *path, bool is_dir, mode_t mode,
                     envrun_error_t *err)
{
  char prefix[PATH_MAX], work[PATH_MAX], next[PATH_MAX];
  size_t plen = 0;
  const char *p;
  int links = 0;
  cleanup_close int parent = openat (rootfd, ".", O_PATH | O_CLOEXEC);

  if (parent < 0)
    return envrun_error_set (err, errno, "open the rootfs");
  if (strlen (path) >= PATH_MAX)
    return envrun_error_set (err, ENAMETOOLONG, "`%s`", path);
  strcpy (work, path);
  p = work;
  while (1)
    {
      while (*p == '/')
        p++;
      size_t len = strcspn (p, "/");
      if (len == 0)
        return steal_fd (&parent);
      char name[NAME_MAX + 1];
      if (len > NAME_MAX)
        return envrun_error_set (err, ENAMETOOLONG, "`%s`", path);
      memcpy (name, p, len);
      name[len] = '\0';
      p += len;
      bool last = p[strspn (p, "/")] == '\0';
      size_t dir_len = plen;
      prefix[plen++] = '/';
      memcpy (prefix + plen, name, len + 1);
      plen += len;
      int fd = create_component (rootfd, prefix, parent, name,
                                 !last || is_dir, last && !is_dir ? 0644
                                                                  : mode);
      if (fd < 0 && errno == ENOENT && ++links <= MAX_SYMLINKS
          && follow_dangling (parent, name, prefix, dir_len, p, next,
                              sizeof next)
                 == 0)
        {
          /* Start over from the root with the rewritten path.  */
          strcpy (work, next);
          p = work;
          plen = 0;
          close (parent);
          parent = openat (rootfd, ".", O_PATH | O_CLOEXEC);
          if (parent < 0)
            return envrun_error_set (err, errno, "open the rootfs");
          continue;
        }
      if (fd < 0)
        return envrun_error_set (err, errno,
                                 "create `%s` inside the rootfs", path);
      close (parent);
      parent = fd;
    }
}
