/* A faithful copy of a directory tree, used by `env create --from-dir` and
   `env export --bundle`.  Walks with directory fds and O_NOFOLLOW, so a
   symlink in the source is copied as a symlink and never followed.  */
#include "config-host.h"

#include "env-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

struct hardlink
{
  dev_t dev;
  ino_t ino;
  int dirfd;  /* borrowed: valid only while that directory is open */
  char *relpath; /* relative to the destination root */
};

struct copy_ctx
{
  bool skip_overlay_xattrs;
  bool is_root;
  int dst_root;
  struct hardlink *links;
  size_t n_links;
};

static int
copy_xattrs (const char *src, const char *dst, struct copy_ctx *c,
             envrun_error_t *err)
{
  char names[65536], value[65536];
  ssize_t n = listxattr (src, names, sizeof names);

  if (n < 0)
    return errno == ENOTSUP ? 0 : envrun_error_set (err, errno, "listxattr");
  for (char *k = names; k < names + n; k += strlen (k) + 1)
    {
      ssize_t v;
      if (c->skip_overlay_xattrs && strncmp (k, "trusted.overlay.", 16) == 0)
        continue;
      v = getxattr (src, k, value, sizeof value);
      if (v < 0)
        return envrun_error_set (err, errno, "getxattr %s", k);
      if (setxattr (dst, k, value, v, 0) < 0
          && (c->is_root || (errno != EPERM && errno != ENOTSUP)))
        return envrun_error_set (err, errno, "setxattr %s", k);
    }
  return 0;
}

/* Owner, xattrs, mode and times of dst (an fd of any kind) from st.  */
static int
copy_metadata (int srcfd, int dstfd, int dstdir, const char *name,
               const struct stat *st, struct copy_ctx *c, envrun_error_t *err)
{
  char sp[32], dp[32];
  struct timespec ts[2] = { st->st_atim, st->st_mtim };

  snprintf (sp, sizeof sp, "/proc/self/fd/%d", srcfd);
  snprintf (dp, sizeof dp, "/proc/self/fd/%d", dstfd);
  if (fchownat (dstfd, "", st->st_uid, st->st_gid, AT_EMPTY_PATH) < 0
      && (c->is_root || errno != EPERM))
    return envrun_error_set (err, errno, "chown");
  if (!S_ISLNK (st->st_mode))
    {
      if (copy_xattrs (sp, dp, c, err) < 0)
        return -1;
      if (chmod (dp, st->st_mode & 07777) < 0)
        return envrun_error_set (err, errno, "chmod");
    }
  /* utimensat has no AT_EMPTY_PATH: a symlink by name, the rest through
     the fd's /proc path.  */
  if ((S_ISLNK (st->st_mode)
           ? utimensat (dstdir, name, ts, AT_SYMLINK_NOFOLLOW)
           : utimensat (AT_FDCWD, dp, ts, 0))
      < 0)
    return envrun_error_set (err, errno, "utimensat");
  return 0;
}

static int
copy_data (int in, int out, envrun_error_t *err)
{
  char buf[65536];
  ssize_t n;

  for (;;)
    {
      n = copy_file_range (in, NULL, out, NULL, 1 << 30, 0);
      if (n == 0)
        return 0;
      if (n < 0)
        break;
    }
  if (errno != EXDEV && errno != EINVAL && errno != ENOSYS
      && errno != EOPNOTSUPP)
    return envrun_error_set (err, errno, "copy");
  while ((n = read (in, buf, sizeof buf)) > 0)
    for (ssize_t off = 0; off < n;)
      {
        ssize_t w = write (out, buf + off, n - off);
        if (w < 0)
          return envrun_error_set (err, errno, "write");
        off += w;
      }
  return n < 0 ? envrun_error_set (err, errno, "read") : 0;
}

static int copy_dir (int src, int dst, const char *rel, int depth,
                     struct copy_ctx *c, envrun_error_t *err);

static int
copy_hardlink (int dst, const char *name, const struct stat *st,
               struct copy_ctx *c, int *done, envrun_error_t *err)
{
  *done = 0;
  if (st->st_nlink < 2 || S_ISDIR (st->st_mode))
    return 0;
  for (size_t i = 0; i < c->n_links; i++)
    if (c->links[i].dev == st->st_dev && c->links[i].ino == st->st_ino)
      {
        if (linkat (c->dst_root, c->links[i].relpath, dst, name, 0) < 0)
          return envrun_error_set (err, errno, "link");
        *done = 1;
        return 0;
      }
  return 0;
}

static int
remember_link (const char *rel, const struct stat *st, struct copy_ctx *c)
{
  struct hardlink *n;

  if (st->st_nlink < 2 || S_ISDIR (st->st_mode))
    return 0;
  n = realloc (c->links, (c->n_links + 1) * sizeof *n);
  if (n == NULL)
    return -1;
  c->links = n;
  n[c->n_links].dev = st->st_dev;
  n[c->n_links].ino = st->st_ino;
  n[c->n_links].relpath = strdup (rel);
  if (n[c->n_links].relpath == NULL)
    return -1;
  c->n_links++;
  return 0;
}

/* Create name in dst as a copy of the non-directory name in src.  */
static int
copy_node (int src, int dst, const char *name, const struct stat *st,
           struct copy_ctx *c, envrun_error_t *err)
{
  cleanup_close int in = -1, out = -1;

  if (S_ISREG (st->st_mode))
    {
      in = openat (src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      out = openat (dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW
                    | O_CLOEXEC, 0600);
      if (in < 0 || out < 0)
        return envrun_error_set (err, errno, "open");
      if (copy_data (in, out, err) < 0)
        return -1;
    }
  else if (S_ISLNK (st->st_mode))
    {
      char target[ENV_MAX_PATH + 1];
      ssize_t n = readlinkat (src, name, target, ENV_MAX_PATH);
      if (n < 0)
        return envrun_error_set (err, errno, "readlink");
      target[n] = '\0';
      if (symlinkat (target, dst, name) < 0)
        return envrun_error_set (err, errno, "symlink");
    }
  else if (S_ISCHR (st->st_mode) || S_ISBLK (st->st_mode)
           || S_ISFIFO (st->st_mode))
    {
      if (mknodat (dst, name, (st->st_mode & ~07777) | 0600, st->st_rdev) < 0)
        return envrun_error_set (err, errno, "mknod");
    }
  else
    return 0; /* sockets belong to a live process, not to a rootfs */
  if (in < 0)
    in = openat (src, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (out < 0)
    out = openat (dst, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (in < 0 || out < 0)
    return envrun_error_set (err, errno, "open");
  return copy_metadata (in, out, dst, name, st, c, err);
}

static int
copy_entry (int src, int dst, const char *rel, const char *name, int depth,
            struct copy_ctx *c, envrun_error_t *err)
{
  struct stat st;
  int done, ret;

  if (fstatat (src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return envrun_error_set (err, errno, "stat");
  if (copy_hardlink (dst, name, &st, c, &done, err) < 0 || done)
    return done ? 0 : -1;
  if (S_ISDIR (st.st_mode))
    {
      cleanup_close int sd = -1, dd = -1;
      if (depth >= ENV_MAX_DEPTH)
        return envrun_error_set (err, ELOOP, "more than %d directories deep",
                                 ENV_MAX_DEPTH);
      if (mkdirat (dst, name, 0700) < 0)
        return envrun_error_set (err, errno, "mkdir");
      sd = openat (src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      dd = openat (dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sd < 0 || dd < 0)
        return envrun_error_set (err, errno, "open");
      ret = copy_dir (sd, dd, rel, depth + 1, c, err);
      if (ret < 0)
        return ret;
      return copy_metadata (sd, dd, dst, name, &st, c, err);
    }
  ret = copy_node (src, dst, name, &st, c, err);
  if (ret == 0 && remember_link (rel, &st, c) < 0)
    return envrun_error_set (err, ENOMEM, "copy");
  return ret;
}

static int
copy_dir (int src, int dst, const char *rel, int depth, struct copy_ctx *c,
          envrun_error_t *err)
{
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  int fd = dup (src);

  if (fd < 0 || (d = fdopendir (fd)) == NULL)
    {
      if (fd >= 0)
        close (fd);
      return envrun_error_set (err, errno, "opendir %s", *rel ? rel : ".");
    }
  while ((de = readdir (d)))
    {
      cleanup_free char *sub = NULL;
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (asprintf (&sub, "%s%s%s", rel, *rel ? "/" : "", de->d_name) < 0)
        return envrun_error_set (err, ENOMEM, "copy");
      if (strlen (sub) > ENV_MAX_PATH)
        return envrun_error_set (err, ENAMETOOLONG, "%.64s...", sub);
      if (copy_entry (src, dst, sub, de->d_name, depth, c, err) < 0)
        return (*err && strncmp ((*err)->msg, sub, strlen (sub)) == 0)
                   ? -1
                   : envrun_error_prefix (err, "%s", sub);
    }
  return 0;
}

int
env_copy_tree (const char *src, const char *dst, bool skip_overlay_xattrs,
               envrun_error_t *err)
{
  struct copy_ctx c = { .skip_overlay_xattrs = skip_overlay_xattrs,
                        .is_root = geteuid () == 0 };
  cleanup_close int sd = open (src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  cleanup_close int dd = open (dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct stat st;
  int ret;

  if (sd < 0)
    return envrun_error_set (err, errno, "%s", src);
  if (dd < 0)
    return envrun_error_set (err, errno, "%s", dst);
  if (fstat (sd, &st) < 0)
    return envrun_error_set (err, errno, "%s", src);
  c.dst_root = dd;
  ret = copy_dir (sd, dd, "", 0, &c, err);
  if (ret == 0)
    ret = copy_metadata (sd, dd, AT_FDCWD, dst, &st, &c, err);
  for (size_t i = 0; i < c.n_links; i++)
    free (c.links[i].relpath);
  free (c.links);
  if (ret < 0)
    return envrun_error_prefix (err, "copying %s", src);
  return 0;
}
