/* Overlay mounts of an environment, always inside a private mount
   namespace of the runtime process, so a mount never outlives the process
   that made it and never shows up in the host's mount table.  */
#include "config-host.h"

#include "env-internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

int
env_private_mount_ns (envrun_error_t *err)
{
  static bool done;

  if (done)
    return 0;
  if (unshare (CLONE_NEWNS) < 0)
    return envrun_error_set (err, errno, "unshare(CLONE_NEWNS)");
  /* Slave: host unmounts still reach us, our mounts never reach the host. */
  if (mount (NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
    return envrun_error_set (err, errno, "making / a slave mount");
  done = true;
  return 0;
}

/* overlayfs refuses to mount a volatile upper again while
   work/work/incompat/volatile exists (it stays after every unmount): the
   previous run is over by the time we hold the env's lock, so it goes.  */
static void
clear_volatile_marker (const char *work)
{
  char path[4096];

  snprintf (path, sizeof path, "%s/work/incompat/volatile", work);
  DIR *d = opendir (path);
  for (struct dirent *de; d && (de = readdir (d));)
    if (strcmp (de->d_name, ".") && strcmp (de->d_name, ".."))
      unlinkat (dirfd (d), de->d_name, 0); /* overlayfs's "dirty" file */
  if (d)
    closedir (d);
  rmdir (path);
  snprintf (path, sizeof path, "%s/work/incompat", work);
  rmdir (path);
}

int
env_mount_overlay (const char *lower, const char *upper, const char *work,
                   const char *target, bool readonly, envrun_error_t *err)
{
  cleanup_free char *opts = NULL;
  /* nodev: a device node inside an environment's layers (imported as
     root) must not open the host's disks; /dev is a separate tmpfs.  */
  unsigned long flags = MS_NODEV | (readonly ? MS_RDONLY : 0);
  int r;

  /* Features that leave xattrs env diff and export do not read (renamed
     directories, metacopy) are off; so is the inode index, which would tie
     the upper to this one mount.  "volatile" skips the sync of the whole
     upper filesystem that a plain mount does (20 ms to seconds on a busy
     disk): a crash mid-run can lose the run's writes, as it would for the
     program's own unsynced writes anyway.  */
  if (upper)
    {
      clear_volatile_marker (work);
      r = asprintf (&opts, "lowerdir=%s,upperdir=%s,workdir=%s,redirect_dir=off,"
                    "index=off,metacopy=off,volatile", lower, upper, work);
    }
  else
    r = asprintf (&opts, "lowerdir=%s", lower);
  if (r < 0)
    return envrun_error_set (err, ENOMEM, "overlay options");
  if (strlen (opts) >= 4096)
    return envrun_error_set (err, E2BIG, "overlay options longer than a page: "
                             "too many layers; commit fewer times or use a "
                             "shorter --store path");
  if (mount ("overlay", target, "overlay", flags, opts) == 0)
    return 0;
  if (upper && errno == EINVAL)
    {
      free (opts);
      opts = NULL;
      if (asprintf (&opts, "lowerdir=%s,upperdir=%s,workdir=%s", lower, upper,
                    work) >= 0
          && mount ("overlay", target, "overlay", flags, opts) == 0)
        return 0;
    }
  return envrun_error_set (err, errno, "mounting overlay on %s", target);
}

/* The read-only merged view of m: its writable top as the highest lower
   layer (there are then always at least two).  */
static int
mount_view (struct envrun_store *s, const struct envrun_env_meta *m,
            const char *target, envrun_error_t *err)
{
  cleanup_free char *layers = env_lowerdirs (s, m);
  cleanup_free char *lower = NULL;
  cleanup_free char *up = env_path (s, "envs/%s/%s", m->name, m->upper);

  if (layers == NULL || up == NULL
      || asprintf (&lower, "%s:%s", up, layers) < 0)
    return envrun_error_set (err, ENOMEM, "overlay");
  return env_mount_overlay (lower, NULL, NULL, target, true, err);
}

int
env_with_view (struct envrun_store *s, const struct envrun_env_meta *m,
               const char *target,
               int (*fn) (const char *root, void *arg, envrun_error_t *err),
               void *arg, envrun_error_t *err)
{
  int pipefd[2], status;
  char msg[4096];
  ssize_t n;
  pid_t pid;

  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return envrun_error_set (err, errno, "pipe");
  pid = fork ();
  if (pid < 0)
    {
      close (pipefd[0]);
      close (pipefd[1]);
      return envrun_error_set (err, errno, "fork");
    }
  if (pid == 0)
    {
      envrun_error_t cerr = NULL;
      close (pipefd[0]);
      if (env_private_mount_ns (&cerr) < 0 || mount_view (s, m, target, &cerr) < 0
          || fn (target, arg, &cerr) < 0)
        {
          const char *t = envrun_error_message (cerr);
          if (write (pipefd[1], t, strlen (t)) < 0)
            _exit (2);
          _exit (1);
        }
      _exit (0);
    }
  close (pipefd[1]);
  n = read (pipefd[0], msg, sizeof msg - 1);
  close (pipefd[0]);
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (n > 0)
    {
      msg[n] = '\0';
      return envrun_error_set (err, 0, "%s", msg);
    }
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return envrun_error_set (err, 0, "export helper failed");
  return 0;
}
