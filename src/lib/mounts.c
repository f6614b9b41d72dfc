/* Mount steps of the container process (see mounts.h).  Every destination
   is resolved inside the rootfs with safepath and mounted through its
   /proc/self/fd/N magic link, so a symlink planted in the image cannot
   redirect a mount onto the host (CVE-2021-30465).  */
#include "config-host.h"

#include "cleanup.h"
#include "mounts.h"
#include "safepath.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PROPAGATION_FLAGS                                                     \
  (MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE)

const struct envrun_mount *
mounts_find (const struct envrun_config *cfg, const char *dest)
{
  for (size_t i = 0; i < cfg->n_mounts; i++)
    if (strcmp (cfg->mounts[i].destination, dest) == 0)
      return &cfg->mounts[i];
  return NULL;
}

/* Flags a remount must keep because the kernel locks them (a bind from a
   nosuid mount inside a user namespace cannot drop nosuid).  */
static unsigned long
locked_flags (const char *path)
{
  struct statvfs sv;
  unsigned long f = 0;

  if (statvfs (path, &sv) < 0)
    return 0;
  if (sv.f_flag & ST_NOSUID)
    f |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV)
    f |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC)
    f |= MS_NOEXEC;
  if (sv.f_flag & ST_RDONLY)
    f |= MS_RDONLY;
  if (sv.f_flag & ST_NOATIME)
    f |= MS_NOATIME;
  if (sv.f_flag & ST_RELATIME)
    f |= MS_RELATIME;
  return f;
}

static int
remount_bind (const char *path, unsigned long flags)
{
  flags &= ~(MS_REC | MS_BIND | PROPAGATION_FLAGS);
  if (mount (NULL, path, NULL, MS_REMOUNT | MS_BIND | flags, NULL) == 0)
    return 0;
  if (errno != EPERM)
    return -1;
  return mount (NULL, path, NULL,
                MS_REMOUNT | MS_BIND | flags | locked_flags (path), NULL);
}

static int
make_parent_private (const char *rootfs)
{
  /* pivot_root refuses a shared parent; only needed when the user asked
     for shared root propagation.  Find the mount holding rootfs.  */
  cleanup_fclose FILE *f = fopen ("/proc/self/mountinfo", "re");
  char line[4096], best[PATH_MAX] = "/";
  size_t best_len = 1;

  if (f == NULL)
    return -1;
  while (fgets (line, sizeof line, f))
    {
      char mp[PATH_MAX];
      if (sscanf (line, "%*d %*d %*s %*s %4095s", mp) != 1)
        continue;
      size_t l = strlen (mp);
      if (l > best_len && strncmp (rootfs, mp, l) == 0
          && (rootfs[l] == '/' || rootfs[l] == '\0'))
        {
          strcpy (best, mp);
          best_len = l;
        }
    }
  return mount (NULL, best, NULL, MS_PRIVATE, NULL);
}

int
rootfs_prepare (const struct envrun_config *cfg, const char *rootfs,
                envrun_error_t *err)
{
  unsigned long prop = MS_SLAVE | MS_REC;
  int fd;

  /* Nothing mounted from here on may propagate back to the host.  */
  if (cfg->linux_ && cfg->linux_->rootfs_propagation_flags)
    prop = cfg->linux_->rootfs_propagation_flags;
  if (mount (NULL, "/", NULL, prop, NULL) < 0)
    return envrun_error_set (err, errno, "set propagation of /");
  if ((prop & MS_SHARED) && make_parent_private (rootfs) < 0)
    return envrun_error_set (err, errno, "make the rootfs parent private");
  if (mount (rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return envrun_error_set (err, errno, "bind the rootfs `%s`", rootfs);
  fd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return envrun_error_set (err, errno, "open the rootfs `%s`", rootfs);
  return fd;
}

static bool
source_is_dir (const char *src)
{
  struct stat st;
  return stat (src, &st) < 0 || S_ISDIR (st.st_mode);
}

/* Refuse a proc or sysfs destination that is a symlink in the image
   (CVE-2019-16884, CVE-2019-19921): the mount must land where it says.  */
static int
check_not_symlink (int rootfd, const char *dest, envrun_error_t *err)
{
  int fd = safe_open_in_root (rootfd, dest, O_PATH | O_NOFOLLOW, NULL);
  struct stat st;

  if (fd < 0)
    return 0; /* will be created as a directory */
  int r = fstat (fd, &st);
  close (fd);
  if (r == 0 && S_ISLNK (st.st_mode))
    return envrun_error_set (err, ELOOP,
                             "mount destination `%s` is a symlink", dest);
  if (r == 0 && !S_ISDIR (st.st_mode))
    return envrun_error_set (err, ENOTDIR,
                             "mount destination `%s` is not a directory",
                             dest);
  return 0;
}

static int
mount_bind (const struct envrun_mount *m, const char *src, int rootfd,
            envrun_error_t *err)
{
  char fdp[32];
  cleanup_close int target = safe_create_in_root (
      rootfd, m->destination, source_is_dir (src), 0755, err);
  cleanup_close int mounted = -1;

  if (target < 0)
    return -1;
  if (mount (src, safepath_fd_path (target, fdp), NULL,
             MS_BIND | (m->flags & MS_REC), NULL)
      < 0)
    return envrun_error_set (err, errno, "bind `%s` on `%s`", src,
                             m->destination);
  /* Re-resolve: the fd still names the covered directory.  */
  mounted = safe_open_in_root (rootfd, m->destination, O_PATH, err);
  if (mounted < 0)
    return -1;
  safepath_fd_path (mounted, fdp);
  unsigned long extra = m->flags & ~(MS_BIND | MS_REC | PROPAGATION_FLAGS);
  if (extra && remount_bind (fdp, extra) < 0)
    return envrun_error_set (err, errno, "remount `%s` with its options",
                             m->destination);
  if (m->recursive_ro)
    {
      struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
      if (syscall (SYS_mount_setattr, mounted, "",
                   AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr)
          < 0)
        return envrun_error_set (err, errno, "make `%s` recursively "
                                 "read-only", m->destination);
    }
  if (m->propagation && mount (NULL, fdp, NULL, m->propagation, NULL) < 0)
    return envrun_error_set (err, errno, "set propagation of `%s`",
                             m->destination);
  return 0;
}

static int
mount_fallback_bind (const struct envrun_mount *m, const char *host_path,
                     int rootfd, envrun_error_t *err)
{
  struct envrun_mount b = *m;
  b.flags = (m->flags | MS_BIND | MS_REC) & ~MS_REMOUNT;
  envrun_error_free (err);
  return mount_bind (&b, host_path, rootfd, err);
}

static int
mount_fs (const struct envrun_mount *m, int rootfd, bool new_netns,
          envrun_error_t *err)
{
  const char *type = m->type ? m->type : "none";
  unsigned long flags = m->flags & ~PROPAGATION_FLAGS;
  char fdp[32];
  cleanup_close int target = -1;

  if (strcmp (type, "proc") == 0 || strcmp (type, "sysfs") == 0)
    if (check_not_symlink (rootfd, m->destination, err) < 0)
      return -1;
  if (strcmp (type, "cgroup") == 0)
    type = "cgroup2";
  /* Without its own network namespace a container must not change the
     host's /sys.  */
  if (strcmp (type, "sysfs") == 0 && !new_netns)
    flags |= MS_RDONLY;
  target = safe_create_in_root (rootfd, m->destination, true, 0755, err);
  if (target < 0)
    return -1;
  if (mount (m->source ? m->source : type, safepath_fd_path (target, fdp),
             type, flags, m->data)
      < 0)
    {
      int e = errno;
      if (e == EPERM || e == EBUSY)
        {
          if (strcmp (type, "sysfs") == 0)
            return mount_fallback_bind (m, "/sys", rootfd, err);
          if (strcmp (type, "mqueue") == 0)
            return mount_fallback_bind (m, "/dev/mqueue", rootfd, err);
          if (strcmp (type, "cgroup2") == 0)
            return mount_fallback_bind (m, "/sys/fs/cgroup", rootfd, err);
        }
      return envrun_error_set (err, e, "mount %s on `%s`", type,
                               m->destination);
    }
  if (m->propagation)
    {
      cleanup_close int mounted
          = safe_open_in_root (rootfd, m->destination, O_PATH, err);
      if (mounted < 0)
        return -1;
      if (mount (NULL, safepath_fd_path (mounted, fdp), NULL, m->propagation,
                 NULL)
          < 0)
        return envrun_error_set (err, errno, "set propagation of `%s`",
                                 m->destination);
    }
  return 0;
}

int
mounts_apply (const struct envrun_config *cfg, int rootfd, const char *bundle,
              bool new_netns, bool in_userns, envrun_error_t *err)
{
  for (size_t i = 0; i < cfg->n_mounts; i++)
    {
      const struct envrun_mount *m = &cfg->mounts[i];
      int ret;

      if (m->flags & MS_BIND)
        {
          char src[PATH_MAX];
          const char *s = m->source ? m->source : "";
          if (s[0] != '/' && bundle)
            snprintf (src, sizeof src, "%s/%s", bundle, s);
          else
            snprintf (src, sizeof src, "%s", s);
          ret = mount_bind (m, src, rootfd, err);
        }
      else
        ret = mount_fs (m, rootfd, new_netns, err);
      if (ret < 0)
        return envrun_error_prefix (err, "mounts[%zu]", i);
    }
  (void) in_userns;
  return 0;
}

int
rootfs_pivot (int rootfd, bool no_pivot, envrun_error_t *err)
{
  if (fchdir (rootfd) < 0)
    return envrun_error_set (err, errno, "enter the rootfs");
  if (no_pivot)
    {
      if (mount (".", "/", NULL, MS_MOVE, NULL) < 0)
        return envrun_error_set (err, errno, "move the rootfs to /");
      if (chroot (".") < 0)
        return envrun_error_set (err, errno, "chroot into the rootfs");
      return chdir ("/") < 0 ? envrun_error_set (err, errno, "chdir /") : 0;
    }
  /* pivot_root(".", ".") stacks the old root on top of the new one; from
     an fd of the old root we detach it (after making it a slave so the
     unmount does not propagate), leaving nothing of the host reachable. */
  cleanup_close int oldroot = open ("/", O_DIRECTORY | O_PATH | O_CLOEXEC);
  if (oldroot < 0)
    return envrun_error_set (err, errno, "open the old root");
  if (syscall (SYS_pivot_root, ".", ".") < 0)
    return envrun_error_set (err, errno, "pivot_root");
  if (fchdir (oldroot) < 0)
    return envrun_error_set (err, errno, "enter the old root");
  if (mount (NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return envrun_error_set (err, errno, "make the old root a slave");
  if (umount2 (".", MNT_DETACH) < 0)
    return envrun_error_set (err, errno, "detach the old root");
  /* A host may stack mounts on its "/" (umount2 of "." takes the topmost):
     detach until nothing of the old root stays under the new one.  */
  for (int i = 0; i < 64 && umount2 (".", MNT_DETACH) == 0; i++)
    ;
  if (chdir ("/") < 0)
    return envrun_error_set (err, errno, "chdir /");
  return 0;
}

int
mounts_mask_paths (const struct envrun_config *cfg, envrun_error_t *err)
{
  cleanup_close int root = -1;

  if (cfg->linux_ == NULL || cfg->linux_->n_masked_paths == 0)
    return 0;
  root = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  for (size_t i = 0; i < cfg->linux_->n_masked_paths; i++)
    {
      const char *p = cfg->linux_->masked_paths[i];
      char fdp[32];
      struct stat st;
      cleanup_close int fd = safe_open_in_root (root, p, O_PATH, NULL);
      if (fd < 0)
        continue; /* nothing to mask */
      if (fstat (fd, &st) < 0)
        return envrun_error_set (err, errno, "maskedPaths: stat `%s`", p);
      int r = S_ISDIR (st.st_mode)
                  ? mount ("tmpfs", safepath_fd_path (fd, fdp), "tmpfs",
                           MS_RDONLY, "size=0k")
                  : mount ("/dev/null", safepath_fd_path (fd, fdp), NULL,
                           MS_BIND, NULL);
      if (r < 0)
        return envrun_error_set (err, errno, "maskedPaths: mask `%s`", p);
    }
  return 0;
}

int
mounts_readonly_paths (const struct envrun_config *cfg, envrun_error_t *err)
{
  cleanup_close int root = -1;

  if (cfg->linux_ == NULL || cfg->linux_->n_readonly_paths == 0)
    return 0;
  root = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  for (size_t i = 0; i < cfg->linux_->n_readonly_paths; i++)
    {
      const char *p = cfg->linux_->readonly_paths[i];
      char fdp[32];
      cleanup_close int fd = safe_open_in_root (root, p, O_PATH, NULL);
      if (fd < 0)
        continue;
      if (mount (safepath_fd_path (fd, fdp), fdp, NULL, MS_BIND | MS_REC,
                 NULL)
          < 0)
        return envrun_error_set (err, errno, "readonlyPaths: bind `%s`", p);
      cleanup_close int m = safe_open_in_root (root, p, O_PATH, err);
      if (m < 0 || remount_bind (safepath_fd_path (m, fdp), MS_RDONLY) < 0)
        return envrun_error_set (err, errno,
                                 "readonlyPaths: make `%s` read-only", p);
    }
  return 0;
}

int
rootfs_finalize (const struct envrun_config *cfg, envrun_error_t *err)
{
  if (cfg->linux_ && cfg->linux_->rootfs_propagation_flags
      && mount (NULL, "/", NULL, cfg->linux_->rootfs_propagation_flags, NULL)
             < 0)
    return envrun_error_set (err, errno, "linux.rootfsPropagation");
  if (cfg->root_readonly && remount_bind ("/", MS_RDONLY) < 0)
    return envrun_error_set (err, errno, "root.readonly: remount /");
  return 0;
}
