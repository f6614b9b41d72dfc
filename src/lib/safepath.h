/* Paths inside a container rootfs, resolved relative to a rootfs fd so that
   symlinks and ".." in the rootfs can never lead outside it
   (CVE-2021-30465, CVE-2019-16884 and kin).  */
#ifndef ENVRUN_SAFEPATH_H
#define ENVRUN_SAFEPATH_H

#include <envrun/error.h>

#include <stdbool.h>
#include <sys/types.h>

/* Open `path` (absolute or relative; interpreted inside root) with `flags`
   (O_CLOEXEC is always added).  Uses openat2(RESOLVE_IN_ROOT) and falls
   back to a component-by-component walk when the kernel lacks it.  Returns
   the fd or < 0 with errno-carrying err.  */
int safe_open_in_root (int rootfd, const char *path, int flags,
                       envrun_error_t *err);

/* Like safe_open_in_root (O_PATH), creating missing directories on the way
   and, when !is_dir, an empty regular file as the last component.  */
int safe_create_in_root (int rootfd, const char *path, bool is_dir,
                         mode_t mode, envrun_error_t *err);

/* For tests: force the fallback walk even when openat2 exists.  */
void safepath_force_fallback (bool force);

/* "/proc/self/fd/N" for mounting onto an fd; buf must hold 32 bytes.  */
const char *safepath_fd_path (int fd, char *buf);

#endif
