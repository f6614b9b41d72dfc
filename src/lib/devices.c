/* /dev inside the container: the default devices every runtime gives, the
   config's linux.devices, and the standard links.  Nodes are made with
   mknod, or bound from the host inside a user namespace where mknod is not
   allowed.  All created relative to the rootfs fd.  */
#include "config-host.h"

#include "cleanup.h"
#include "mounts.h"
#include "safepath.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

struct default_device
{
  const char *path;
  unsigned int major, minor;
};

static const struct default_device default_devices[] = {
  { "/dev/null", 1, 3 },    { "/dev/zero", 1, 5 },
  { "/dev/full", 1, 7 },    { "/dev/random", 1, 8 },
  { "/dev/urandom", 1, 9 }, { "/dev/tty", 5, 0 },
};

static const char *const dev_links[][2] = {
  { "/proc/self/fd", "fd" },       { "/proc/self/fd/0", "stdin" },
  { "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
};

static int
bind_host_node (int rootfd, const char *path, envrun_error_t *err)
{
  char fdp[32];
  cleanup_close int fd = safe_create_in_root (rootfd, path, false, 0644, err);

  if (fd < 0)
    return -1;
  if (mount (path, safepath_fd_path (fd, fdp), NULL, MS_BIND, NULL) < 0)
    return envrun_error_set (err, errno, "bind host device `%s`", path);
  return 0;
}

static int
make_node (int rootfd, const char *path, mode_t type, mode_t perm,
           dev_t dev, uid_t uid, gid_t gid, bool in_userns,
           envrun_error_t *err)
{
  const char *slash = strrchr (path, '/');
  char parent[4096];
  cleanup_close int dirfd = -1;

  if (in_userns)
    return bind_host_node (rootfd, path, err);
  snprintf (parent, sizeof parent, "%.*s", (int) (slash - path), path);
  dirfd = safe_create_in_root (rootfd, parent[0] ? parent : "/", true, 0755,
                               err);
  if (dirfd < 0)
    return -1;
  /* /dev is usually a fresh tmpfs: unlink only what is in the way.  */
  int r = mknodat (dirfd, slash + 1, type | perm, dev);
  if (r < 0 && errno == EEXIST && unlinkat (dirfd, slash + 1, 0) == 0)
    r = mknodat (dirfd, slash + 1, type | perm, dev);
  if (r < 0)
    {
      if (errno == EPERM)
        {
          envrun_error_free (err);
          return bind_host_node (rootfd, path, err);
        }
      return envrun_error_set (err, errno, "mknod `%s`", path);
    }
  if (fchmodat (dirfd, slash + 1, perm, 0) < 0
      || fchownat (dirfd, slash + 1, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
    return envrun_error_set (err, errno, "set owner and mode of `%s`", path);
  return 0;
}

static int
create_links (int rootfd, envrun_error_t *err)
{
  cleanup_close int dev = safe_open_in_root (rootfd, "/dev",
                                             O_PATH | O_DIRECTORY, err);
  struct stat st;

  if (dev < 0)
    return -1;
  for (size_t i = 0; i < sizeof dev_links / sizeof dev_links[0]; i++)
    if (symlinkat (dev_links[i][0], dev, dev_links[i][1]) < 0
        && errno != EEXIST)
      return envrun_error_set (err, errno, "link /dev/%s", dev_links[i][1]);
  if (fstatat (dev, "pts/ptmx", &st, 0) == 0)
    {
      unlinkat (dev, "ptmx", 0);
      if (symlinkat ("pts/ptmx", dev, "ptmx") < 0)
        return envrun_error_set (err, errno, "link /dev/ptmx");
    }
  return 0;
}

static bool
dev_is_bound_from_host (const struct envrun_config *cfg)
{
  const struct envrun_mount *m = mounts_find (cfg, "/dev");
  return m == NULL || (m->flags & MS_BIND);
}

static int
create_config_devices (const struct envrun_config *cfg, int rootfd,
                       bool in_userns, envrun_error_t *err)
{
  for (size_t i = 0; cfg->linux_ && i < cfg->linux_->n_devices; i++)
    {
      const struct envrun_device *d = &cfg->linux_->devices[i];
      mode_t type = d->type == 'b' ? S_IFBLK
                    : d->type == 'p' ? S_IFIFO
                                     : S_IFCHR;
      mode_t perm = d->has_file_mode ? d->file_mode & 07777 : 0666;
      if (make_node (rootfd, d->path, type, perm,
                     makedev ((unsigned) d->major, (unsigned) d->minor),
                     d->has_uid ? d->uid : 0, d->has_gid ? d->gid : 0,
                     in_userns, err)
          < 0)
        return envrun_error_prefix (err, "linux.devices[%zu]", i);
    }
  return 0;
}

int
devices_create (const struct envrun_config *cfg, int rootfd, bool in_userns,
                envrun_error_t *err)
{
  /* A /dev bound from the host already has its nodes; only a fresh tmpfs
     needs them.  */
  if (dev_is_bound_from_host (cfg))
    return create_config_devices (cfg, rootfd, in_userns, err);
  for (size_t i = 0; i < sizeof default_devices / sizeof default_devices[0];
       i++)
    {
      const struct default_device *d = &default_devices[i];
      if (make_node (rootfd, d->path, S_IFCHR, 0666,
                     makedev (d->major, d->minor), 0, 0, in_userns, err)
          < 0)
        return -1;
    }
  if (create_config_devices (cfg, rootfd, in_userns, err) < 0)
    return -1;
  return create_links (rootfd, err);
}
