/* Extracting an untrusted tar stream (ustar, pax, GNU long names) into a
   fresh directory.

   Why it is safe: entry paths are normalised and refused when absolute,
   when they contain "..", when they are deeper than ENV_MAX_DEPTH or longer
   than ENV_MAX_PATH.  Parent directories are opened one component at a time
   with O_NOFOLLOW from the root fd, so an entry can never be written
   through a symlink (the archive's or anyone's).  Hard links name a path
   inside the root checked the same way.  Relative symlink targets that
   climb above the root are refused; absolute ones are kept (they resolve
   inside the container's root at run time, and extraction never follows
   them).  Device nodes need root.  trusted.overlay.* xattrs are dropped so
   an archive cannot steer overlayfs.  */
#include "config-host.h"

#include "env-internal.h"
#include "tar.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

struct dir_time
{
  char *path;
  struct timespec mtime;
};

struct extract
{
  env_read_fn rd;
  void *ctx;
  int root;
  const struct env_tar_options *o;
  bool is_root;
  struct strset created; /* paths made by this archive (OCI opaque dirs) */
  struct dir_time *dirs;
  size_t n_dirs;
};

static int
read_full (struct extract *x, void *buf, size_t len, envrun_error_t *err)
{
  for (size_t off = 0; off < len;)
    {
      ssize_t n = x->rd (x->ctx, (char *) buf + off, len - off);
      if (n < 0)
        return envrun_error_set (err, errno, "read");
      if (n == 0)
        return envrun_error_set (err, 0, "unexpected end of archive");
      off += n;
    }
  return 0;
}

static int
skip_data (struct extract *x, uint64_t size, envrun_error_t *err)
{
  char buf[65536];
  uint64_t total = (size + 511) & ~(uint64_t) 511;

  while (total > 0)
    {
      size_t n = total < sizeof buf ? total : sizeof buf;
      if (read_full (x, buf, n, err) < 0)
        return -1;
      total -= n;
    }
  return 0;
}

/* Open the parent directory of the normalised relative path `path`, one
   component at a time, never following a symlink; *base points at the last
   component.  */
static int
open_parent (int root, const char *path, const char **base,
             envrun_error_t *err)
{
  cleanup_free char *copy = strdup (path);
  cleanup_close int cur = -1;
  char *slash, *p;

  if (copy == NULL)
    return envrun_error_set (err, ENOMEM, "path");
  cur = openat (root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cur < 0)
    return envrun_error_set (err, errno, "root");
  p = copy;
  while ((slash = strchr (p, '/')))
    {
      int next;
      *slash = '\0';
      next = openat (cur, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (next < 0)
        return errno == ELOOP || errno == ENOTDIR
                   ? envrun_error_set (err, 0, "parent `%s` is not a "
                                       "directory (symlinks are not followed)",
                                       p)
                   : envrun_error_set (err, errno, "parent `%s`", p);
      close (cur);
      cur = next;
      p = slash + 1;
    }
  *base = path + (p - copy);
  return steal_fd (&cur);
}

/* Does the relative symlink target, placed at `path`, stay inside?  */
static bool
link_stays_inside (const char *path, const char *target)
{
  long depth = 0;
  const char *p;

  if (target[0] == '/')
    return true;
  for (p = path; *p; p++)
    depth += *p == '/';
  for (p = target; *p;)
    {
      size_t len = strcspn (p, "/");
      if (len == 2 && p[0] == '.' && p[1] == '.')
        {
          if (--depth < 0)
            return false;
        }
      else if (len > 0 && !(len == 1 && p[0] == '.'))
        depth++;
      p += len;
      while (*p == '/')
        p++;
    }
  return true;
}

static int
apply_xattrs (int fd, const struct tar_entry *e, struct extract *x,
              envrun_error_t *err)
{
  char path[32];

  snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
  for (size_t i = 0; i < e->n_xattrs; i++)
    {
      const struct tar_xattr *a = &e->xattrs[i];
      if (strncmp (a->name, "trusted.overlay.", 16) == 0)
        continue;
      if (setxattr (path, a->name, a->value, a->len, 0) < 0
          && (x->is_root || (errno != EPERM && errno != ENOTSUP)))
        return envrun_error_set (err, errno, "xattr %s", a->name);
    }
  return 0;
}

static int
apply_metadata (int dir, const char *base, const struct tar_entry *e,
                struct extract *x, envrun_error_t *err)
{
  cleanup_close int fd = openat (dir, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  struct timespec ts[2] = { { e->mtime, 0 }, { e->mtime, 0 } };
  char path[32];

  if (fd < 0)
    return envrun_error_set (err, errno, "open");
  if (x->is_root
      && fchownat (fd, "", e->uid, e->gid, AT_EMPTY_PATH) < 0)
    return envrun_error_set (err, errno, "chown");
  if (e->type != TAR_SYMLINK)
    {
      snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
      if (apply_xattrs (fd, e, x, err) < 0)
        return -1;
      if (chmod (path, e->mode & 07777) < 0)
        return envrun_error_set (err, errno, "chmod");
    }
  if (e->type == TAR_DIR)
    return 0; /* directory times are set once its children are in */
  if (utimensat (dir, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
    return envrun_error_set (err, errno, "utimensat");
  return 0;
}

static int
write_file (int dir, const char *base, const struct tar_entry *e,
            struct extract *x, envrun_error_t *err)
{
  cleanup_close int fd = openat (dir, base, O_WRONLY | O_CREAT | O_EXCL
                                 | O_NOFOLLOW | O_CLOEXEC, 0600);
  char buf[65536];
  uint64_t left = e->size;

  if (fd < 0)
    return envrun_error_set (err, errno, "create");
  while (left > 0)
    {
      size_t n = left < sizeof buf ? left : sizeof buf;
      if (read_full (x, buf, n, err) < 0)
        return -1;
      for (size_t off = 0; off < n;)
        {
          ssize_t w = write (fd, buf + off, n - off);
          if (w < 0)
            return envrun_error_set (err, errno, "write");
          off += w;
        }
      left -= n;
    }
  ((struct tar_entry *) e)->data_consumed = true;
  if (e->size % 512)
    return read_full (x, buf, 512 - e->size % 512, err);
  return 0;
}

/* Remove whatever sits at base unless it is a directory we keep.  */
static int
clear_target (int dir, const char *base, bool keep_dir, envrun_error_t *err)
{
  struct stat st;

  if (fstatat (dir, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : envrun_error_set (err, errno, "stat");
  if (S_ISDIR (st.st_mode))
    return keep_dir ? 1 : env_rm_rf_at (dir, base, err);
  if (unlinkat (dir, base, 0) < 0)
    return envrun_error_set (err, errno, "unlink");
  return 0;
}

static int
remember_dir (struct extract *x, const struct tar_entry *e)
{
  struct dir_time *n = realloc (x->dirs, (x->n_dirs + 1) * sizeof *n);

  if (n == NULL)
    return -1;
  x->dirs = n;
  n[x->n_dirs].path = strdup (e->path);
  n[x->n_dirs].mtime = (struct timespec){ e->mtime, 0 };
  if (n[x->n_dirs].path == NULL)
    return -1;
  x->n_dirs++;
  return 0;
}

static int
make_node (int dir, const char *base, const struct tar_entry *e,
           struct extract *x, envrun_error_t *err)
{
  switch (e->type)
    {
    case TAR_FILE:
      return write_file (dir, base, e, x, err);
    case TAR_DIR:
      if (mkdirat (dir, base, 0700) < 0 && errno != EEXIST)
        return envrun_error_set (err, errno, "mkdir");
      return remember_dir (x, e) < 0 ? envrun_error_set (err, ENOMEM, "dir")
                                     : 0;
    case TAR_SYMLINK:
      if (!link_stays_inside (e->path, e->linkpath))
        return envrun_error_set (err, 0, "symlink to `%s` escapes the root",
                                 e->linkpath);
      if (symlinkat (e->linkpath, dir, base) < 0)
        return envrun_error_set (err, errno, "symlink");
      return 0;
    case TAR_CHR:
    case TAR_BLK:
      if (!x->is_root)
        return envrun_error_set (err, EPERM, "device node refused when not "
                                 "root");
      /* fall through */
    case TAR_FIFO:
      {
        mode_t t = e->type == TAR_CHR   ? S_IFCHR
                   : e->type == TAR_BLK ? S_IFBLK
                                        : S_IFIFO;
        if (mknodat (dir, base, t | 0600, makedev (e->devmajor, e->devminor))
            < 0)
          return envrun_error_set (err, errno, "mknod");
        return 0;
      }
    default:
      return envrun_error_set (err, 0, "unsupported entry type");
    }
}

static int
make_hardlink (int dir, const char *base, const struct tar_entry *e,
               struct extract *x, envrun_error_t *err)
{
  cleanup_close int tdir = -1;
  const char *tbase;
  struct stat st;

  tdir = open_parent (x->root, e->linkpath, &tbase, err);
  if (tdir < 0)
    return envrun_error_prefix (err, "hard link target `%s`", e->linkpath);
  if (fstatat (tdir, tbase, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return envrun_error_set (err, errno, "hard link target `%s`",
                             e->linkpath);
  if (S_ISDIR (st.st_mode))
    return envrun_error_set (err, 0, "hard link to directory `%s`",
                             e->linkpath);
  if (linkat (tdir, tbase, dir, base, 0) < 0)
    return envrun_error_set (err, errno, "hard link to `%s`", e->linkpath);
  return 0;
}

/* OCI whiteouts: ".wh.NAME" deletes NAME, ".wh..wh..opq" hides everything
   earlier layers put in the directory.  Returns 1 when handled.  */
static int
apply_whiteout (int dir, const char *base, const struct tar_entry *e,
                struct extract *x, envrun_error_t *err)
{
  if (strncmp (base, ".wh.", 4) != 0)
    return 0;
  if (strcmp (base, ".wh..wh..opq") == 0)
    {
      size_t plen = base - e->path;
      cleanup_dir DIR *d = NULL;
      struct dirent *de;
      int fd = dup (dir);
      if (fd < 0 || (d = fdopendir (fd)) == NULL)
        return envrun_error_set (err, errno, "opaque directory");
      while ((de = readdir (d)))
        {
          cleanup_free char *full = NULL;
          if (!strcmp (de->d_name, ".") || !strcmp (de->d_name, ".."))
            continue;
          if (asprintf (&full, "%.*s%s", (int) plen, e->path, de->d_name) < 0)
            return envrun_error_set (err, ENOMEM, "opaque");
          if (!strset_has (&x->created, full)
              && env_rm_rf_at (dir, de->d_name, err) < 0)
            return -1;
        }
      return 1;
    }
  if (base[4] == '\0' || strcmp (base + 4, ".") == 0
      || strcmp (base + 4, "..") == 0)
    return envrun_error_set (err, 0, "malformed whiteout");
  return env_rm_rf_at (dir, base + 4, err) < 0 ? -1 : 1;
}

static int
extract_entry (struct extract *x, struct tar_entry *e, envrun_error_t *err)
{
  cleanup_close int dir = -1;
  const char *base;
  int ret;

  if (e->path[0] == '\0')
    {
      /* "./": the root itself; only its metadata applies.  */
      if (e->type != TAR_DIR)
        return envrun_error_set (err, 0, "the root must be a directory");
      return apply_metadata (x->root, ".", e, x, err);
    }
  dir = open_parent (x->root, e->path, &base, err);
  if (dir < 0)
    return -1;
  if (x->o->oci_whiteouts && (ret = apply_whiteout (dir, base, e, x, err)))
    return ret < 0 ? -1 : 0;
  ret = clear_target (dir, base, e->type == TAR_DIR, err);
  if (ret < 0)
    return -1;
  if (e->type == TAR_HARDLINK)
    ret = make_hardlink (dir, base, e, x, err);
  else if (ret == 1) /* an existing directory: refresh its metadata */
    ret = remember_dir (x, e) < 0 ? envrun_error_set (err, ENOMEM, "dir") : 0;
  else
    ret = make_node (dir, base, e, x, err);
  if (ret < 0)
    return -1;
  if (x->o->oci_whiteouts && strset_add (&x->created, e->path) < 0)
    return envrun_error_set (err, ENOMEM, "path set");
  if (e->type == TAR_HARDLINK)
    return 0;
  return apply_metadata (dir, base, e, x, err);
}

static void
set_dir_times (struct extract *x)
{
  /* Deepest last-seen first, so a parent's time is set after its
     children's (which touch it).  */
  for (size_t i = x->n_dirs; i-- > 0;)
    {
      cleanup_close int dir = -1;
      const char *base;
      struct timespec ts[2] = { x->dirs[i].mtime, x->dirs[i].mtime };
      dir = open_parent (x->root, x->dirs[i].path, &base, NULL);
      if (dir >= 0)
        utimensat (dir, base, ts, AT_SYMLINK_NOFOLLOW);
    }
}

int
env_tar_extract (env_read_fn rd, void *ctx, int rootfd,
                 const struct env_tar_options *o, envrun_error_t *err)
{
  struct extract x = { .rd = rd, .ctx = ctx, .root = rootfd, .o = o,
                       .is_root = geteuid () == 0 };
  struct tar_entry e;
  int ret;

  for (;;)
    {
      memset (&e, 0, sizeof e);
      ret = tar_next_header (rd, ctx, &e, err);
      if (ret <= 0)
        break;
      if (e.type == TAR_FILE || e.type == TAR_HARDLINK || e.type == TAR_DIR
          || e.type == TAR_SYMLINK || e.type == TAR_CHR || e.type == TAR_BLK
          || e.type == TAR_FIFO)
        {
          ret = extract_entry (&x, &e, err);
          if (ret == 0 && !e.data_consumed)
            ret = skip_data (&x, e.size, err);
        }
      else
        ret = skip_data (&x, e.size, err);
      if (ret < 0)
        {
          envrun_error_prefix (err, "%s", e.path ? e.path : "?");
          tar_entry_clear (&e);
          break;
        }
      tar_entry_clear (&e);
    }
  if (ret == 0)
    set_dir_times (&x);
  for (size_t i = 0; i < x.n_dirs; i++)
    free (x.dirs[i].path);
  free (x.dirs);
  strset_free (&x.created);
  if (ret < 0)
    return envrun_error_prefix (err, "%s", o->name ? o->name : "tar");
  return 0;
}
