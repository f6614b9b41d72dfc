/* The container's filesystem view, set up in the container process in its
   new mount namespace, as an ordered list of steps:
     rootfs_prepare      stop propagation to the host, bind the rootfs
     mounts_apply        config mounts, destinations resolved in the rootfs
     devices_create      /dev nodes and links (devices.c)
     rootfs_pivot        pivot_root (or MS_MOVE+chroot), old root detached
     mounts_mask_paths   maskedPaths
     mounts_readonly_paths readonlyPaths
     rootfs_finalize     root.readonly and rootfsPropagation  */
#ifndef ENVRUN_MOUNTS_H
#define ENVRUN_MOUNTS_H

#include <envrun/config.h>
#include <envrun/error.h>

#include <stdbool.h>

/* Returns an O_PATH fd of the bound rootfs.  */
int rootfs_prepare (const struct envrun_config *cfg, const char *rootfs,
                    envrun_error_t *err);
int mounts_apply (const struct envrun_config *cfg, int rootfd,
                  const char *bundle, bool new_netns, bool in_userns,
                  envrun_error_t *err);
int devices_create (const struct envrun_config *cfg, int rootfd,
                    bool in_userns, envrun_error_t *err);
int rootfs_pivot (int rootfd, bool no_pivot, envrun_error_t *err);
int mounts_mask_paths (const struct envrun_config *cfg, envrun_error_t *err);
int mounts_readonly_paths (const struct envrun_config *cfg,
                           envrun_error_t *err);
int rootfs_finalize (const struct envrun_config *cfg, envrun_error_t *err);

/* True when the config mounts something of its own at `dest`.  */
const struct envrun_mount *mounts_find (const struct envrun_config *cfg,
                                        const char *dest);

#endif
