/* Per-environment locks (flock on locks/<name>.lock): shared for ephemeral
   readers, exclusive for writers.  A refused lock names its holder, read
   from /proc/locks, so the user knows which run to wait for.  */
#include "config-host.h"

#include "env-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* "pid 42 (envrun env run main -- sh)" for the first holder of the lock on
   the file fd refers to, or NULL.  */
static char *
lock_holder (int fd)
{
  cleanup_fclose FILE *f = fopen ("/proc/locks", "re");
  cleanup_free char *line = NULL;
  size_t cap = 0;
  struct stat st;

  if (f == NULL || fstat (fd, &st) < 0)
    return NULL;
  while (getline (&line, &cap, f) > 0)
    {
      unsigned int maj, min;
      unsigned long ino;
      int pid;
      char path[64], cmd[160] = "", *out = NULL;
      cleanup_fclose FILE *c = NULL;
      size_t n;

      if (strstr (line, "->")
          || sscanf (line, "%*d: FLOCK %*s %*s %d %x:%x:%lu", &pid, &maj, &min,
                     &ino) != 4)
        continue;
      if (ino != st.st_ino || makedev (maj, min) != st.st_dev
          || pid == getpid ())
        continue;
      snprintf (path, sizeof path, "/proc/%d/cmdline", pid);
      c = fopen (path, "re");
      n = c ? fread (cmd, 1, sizeof cmd - 1, c) : 0;
      for (size_t i = 0; i + 1 < n; i++)
        if (cmd[i] == '\0')
          cmd[i] = ' ';
      cmd[n] = '\0';
      if (asprintf (&out, "pid %d%s%s%s", pid, *cmd ? " (" : "", cmd,
                    *cmd ? ")" : "") < 0)
        return NULL;
      return out;
    }
  return NULL;
}

int
envrun_env_lock (struct envrun_store *s, const char *name,
                 enum envrun_env_lock_mode mode, bool wait,
                 envrun_error_t *err)
{
  cleanup_free char *rel = NULL;
  cleanup_close int fd = -1;
  int op = mode == ENVRUN_ENV_LOCK_EXCLUSIVE ? LOCK_EX : LOCK_SH;

  if (envrun_env_validate_name (name, err) < 0)
    return -1;
  if (asprintf (&rel, "locks/%s.lock", name) < 0)
    return envrun_error_set (err, ENOMEM, "lock");
  fd = openat (s->rootfd, rel, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
               0600);
  if (fd < 0)
    return envrun_error_set (err, errno, "%s/%s", s->root, rel);
  if (flock (fd, op | (wait ? 0 : LOCK_NB)) == 0)
    return steal_fd (&fd);
  if (errno == EWOULDBLOCK)
    {
      cleanup_free char *who = lock_holder (fd);
      return envrun_error_set (err, EBUSY,
                               "environment %s is in use by %s (use --wait "
                               "to wait for it)", name,
                               who ? who : "another process");
    }
  return envrun_error_set (err, errno, "%s/%s: flock", s->root, rel);
}
