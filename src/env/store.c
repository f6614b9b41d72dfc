/* The store: where it lives, environment names, tmp/ work, locks and the
   garbage collection of layers nobody references.  */
#include "config-host.h"

#include "env-internal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int
envrun_env_validate_name (const char *name, envrun_error_t *err)
{
  size_t len = name ? strlen (name) : 0;

  if (len == 0)
    return envrun_error_set (err, EINVAL, "environment name: must not be empty");
  if (len > ENVRUN_ENV_NAME_MAX)
    return envrun_error_set (err, EINVAL,
                             "environment name `%.20s...`: longer than %d "
                             "characters", name, ENVRUN_ENV_NAME_MAX);
  if (!isalnum ((unsigned char) name[0]) || name[0] & 0x80)
    return envrun_error_set (err, EINVAL,
                             "environment name `%s`: must start with a "
                             "letter or a digit", name);
  for (const char *p = name; *p; p++)
    if (!(isascii ((unsigned char) *p) && isalnum ((unsigned char) *p))
        && *p != '_' && *p != '.' && *p != '-')
      return envrun_error_set (err, EINVAL,
                               "environment name `%s`: character `%c` not "
                               "allowed (use A-Z a-z 0-9 _ . -)", name,
                               isprint ((unsigned char) *p) ? *p : '?');
  if (strstr (name, ".."))
    return envrun_error_set (err, EINVAL,
                             "environment name `%s`: must not contain `..`",
                             name);
  return 0;
}

char *
env_path (struct envrun_store *s, const char *fmt, ...)
{
  char *rel = NULL, *out = NULL;
  va_list ap;

  va_start (ap, fmt);
  if (vasprintf (&rel, fmt, ap) < 0)
    rel = NULL;
  va_end (ap);
  if (rel && asprintf (&out, "%s/%s", s->root, rel) < 0)
    out = NULL;
  free (rel);
  return out;
}

char *
env_random_id (void)
{
  uint8_t b[8];
  char *out = malloc (17);

  if (out == NULL)
    return NULL;
  if (getrandom (b, sizeof b, 0) != sizeof b)
    {
      struct timespec ts;
      clock_gettime (CLOCK_REALTIME, &ts);
      uint64_t x = (uint64_t) ts.tv_nsec ^ (uint64_t) getpid () << 32
                   ^ (uint64_t) ts.tv_sec;
      memcpy (b, &x, sizeof b);
    }
  for (int i = 0; i < 8; i++)
    sprintf (out + 2 * i, "%02x", b[i]);
  return out;
}

char *
env_now_rfc3339 (void)
{
  struct timespec ts;
  struct tm tm;
  char buf[64];

  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf (buf + strlen (buf), sizeof buf - strlen (buf), ".%09ldZ",
            ts.tv_nsec);
  return strdup (buf);
}

int
envrun_store_default_path (char **out, envrun_error_t *err)
{
  const char *e = secure_getenv ("ENVRUN_STORE");
  char *p = NULL;

  if (e && *e)
    p = strdup (e);
  else if (geteuid () == 0)
    p = strdup ("/var/lib/envs");
  else
    {
      const char *xdg = secure_getenv ("XDG_DATA_HOME");
      const char *home = secure_getenv ("HOME");
      if (xdg && *xdg == '/')
        {
          if (asprintf (&p, "%s/envrun/envs", xdg) < 0)
            p = NULL;
        }
      else if (home && *home == '/')
        {
          if (asprintf (&p, "%s/.local/share/envrun/envs", home) < 0)
            p = NULL;
        }
      else
        return envrun_error_set (err, 0, "store: neither $XDG_DATA_HOME nor "
                                 "$HOME is set: use --store DIR");
    }
  if (p == NULL)
    return envrun_error_set (err, ENOMEM, "store path");
  *out = p;
  return 0;
}

int
envrun_store_open (const char *root, struct envrun_store **out,
                   envrun_error_t *err)
{
  static const char *const subdirs[] = { "layers", "envs", "locks", "tmp" };
  cleanup_free char *def = NULL;
  struct envrun_store *s;
  char *abs;
  int ret;

  if (root == NULL)
    {
      ret = envrun_store_default_path (&def, err);
      if (ret < 0)
        return ret;
      root = def;
    }
  ret = env_mkdir_p (root, 0700, err);
  if (ret < 0)
    return envrun_error_prefix (err, "store %s", root);
  abs = realpath (root, NULL);
  if (abs == NULL)
    return envrun_error_set (err, errno, "store %s", root);
  s = calloc (1, sizeof *s);
  if (s == NULL)
    {
      free (abs);
      return envrun_error_set (err, ENOMEM, "store");
    }
  s->root = abs;
  s->rootfd = open (abs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (s->rootfd < 0)
    {
      envrun_store_close (s);
      return envrun_error_set (err, errno, "store %s", root);
    }
  for (size_t i = 0; i < sizeof subdirs / sizeof *subdirs; i++)
    if (mkdirat (s->rootfd, subdirs[i], 0700) < 0 && errno != EEXIST)
      {
        ret = envrun_error_set (err, errno, "store %s/%s", abs, subdirs[i]);
        envrun_store_close (s);
        return ret;
      }
  env_tmp_clean_stale (s);
  *out = s;
  return 0;
}

void
envrun_store_close (struct envrun_store *s)
{
  if (s == NULL)
    return;
  if (s->rootfd >= 0)
    close (s->rootfd);
  free (s->root);
  free (s);
}

const char *
envrun_store_root (const struct envrun_store *s)
{
  return s->root;
}

/* Create tmp/<kind>-<id>.lock already locked (O_TMPFILE + flock + link), so
   no cleaner can ever see it unlocked while its owner lives.  */
static int
tmp_lock_create (struct envrun_store *s, const char *name, envrun_error_t *err)
{
  cleanup_free char *tmpdir = env_path (s, "tmp");
  cleanup_free char *lockpath = env_path (s, "tmp/%s.lock", name);
  char proc[64];
  cleanup_close int fd = -1;

  if (tmpdir == NULL || lockpath == NULL)
    return envrun_error_set (err, ENOMEM, "tmp");
  fd = open (tmpdir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    return envrun_error_set (err, errno, "%s: O_TMPFILE", tmpdir);
  if (flock (fd, LOCK_EX) < 0)
    return envrun_error_set (err, errno, "%s: flock", tmpdir);
  snprintf (proc, sizeof proc, "/proc/self/fd/%d", fd);
  if (linkat (AT_FDCWD, proc, AT_FDCWD, lockpath, AT_SYMLINK_FOLLOW) < 0)
    return envrun_error_set (err, errno, "%s", lockpath);
  return steal_fd (&fd);
}

int
env_tmp_new (struct envrun_store *s, const char *kind, struct env_tmp *t,
             envrun_error_t *err)
{
  cleanup_free char *id = env_random_id ();
  cleanup_free char *name = NULL;
  cleanup_free char *path = NULL;
  int fd;

  if (id == NULL || asprintf (&name, "%s-%s", kind, id) < 0)
    return envrun_error_set (err, ENOMEM, "tmp");
  path = env_path (s, "tmp/%s", name);
  if (path == NULL)
    return envrun_error_set (err, ENOMEM, "tmp");
  fd = tmp_lock_create (s, name, err);
  if (fd < 0)
    return fd;
  if (mkdir (path, 0700) < 0)
    {
      int saved = errno;
      cleanup_free char *lp = env_path (s, "tmp/%s.lock", name);
      if (lp)
        unlink (lp);
      close (fd);
      return envrun_error_set (err, saved, "%s", path);
    }
  t->path = steal_pointer (&path);
  t->name = steal_pointer (&name);
  t->lockfd = fd;
  return 0;
}

void
env_tmp_drop (struct env_tmp *t)
{
  if (t->path == NULL)
    return;
  env_rm_rf (t->path, NULL);
  {
    cleanup_free char *lp = NULL;
    if (asprintf (&lp, "%s.lock", t->path) >= 0)
      unlink (lp);
  }
  if (t->lockfd >= 0)
    close (t->lockfd);
  free (t->path);
  free (t->name);
  t->path = t->name = NULL;
  t->lockfd = -1;
}

/* Removing a run's layer costs about 10 ms a directory on a disk mounted
   with online discard; the caller's exit status should not wait for it.
   A detached child inherits the held lock (so no cleaner touches the
   directory meanwhile) and removes it; if it dies, the next command's
   env_tmp_clean_stale finishes the job.  */
void
env_tmp_drop_async (struct env_tmp *t)
{
  pid_t pid;

  if (t->path == NULL)
    return;
  pid = fork ();
  if (pid == 0)
    {
      int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
      if (setsid () < 0 || fork () != 0)
        _exit (0); /* the grandchild is reparented: no zombie for anyone */
      for (int fd = 0; fd < 3 && null >= 0; fd++)
        dup2 (null, fd);
      /* Keep only the tmp lock: the env's own lock must go with the
         caller, or the next run would find the env busy.  */
      if (t->lockfd > 3)
        syscall (SYS_close_range, 3, t->lockfd - 1, 0);
      syscall (SYS_close_range, t->lockfd + 1, ~0U, 0);
      env_tmp_drop (t);
      _exit (0);
    }
  if (pid < 0)
    {
      env_tmp_drop (t);
      return;
    }
  waitpid (pid, NULL, 0);
  close (t->lockfd);
  free (t->path);
  free (t->name);
  t->path = t->name = NULL;
  t->lockfd = -1;
}

void
env_tmp_clean_stale (struct envrun_store *s)
{
  cleanup_free char *tmpdir = env_path (s, "tmp");
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  if (tmpdir == NULL || (d = opendir (tmpdir)) == NULL)
    return;
  while ((de = readdir (d)))
    {
      size_t len = strlen (de->d_name);
      cleanup_close int fd = -1;
      cleanup_free char *entry = NULL;

      if (len <= 5 || strcmp (de->d_name + len - 5, ".lock") != 0)
        continue;
      fd = openat (dirfd (d), de->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
      if (fd < 0 || flock (fd, LOCK_EX | LOCK_NB) < 0)
        continue; /* its owner is alive */
      entry = strndup (de->d_name, len - 5);
      if (entry == NULL)
        continue;
      /* The directory goes first: a directory without its lock is never
         someone's work in progress.  */
      if (env_rm_rf_at (dirfd (d), entry, NULL) == 0)
        unlinkat (dirfd (d), de->d_name, 0);
    }
}

int
env_store_gc_lock (struct envrun_store *s, bool exclusive, bool wait,
                   envrun_error_t *err)
{
  cleanup_close int fd = -1;
  int op = (exclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB);

  fd = openat (s->rootfd, "gc.lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
               0600);
  if (fd < 0)
    return envrun_error_set (err, errno, "%s/gc.lock", s->root);
  if (flock (fd, op) < 0)
    return envrun_error_set (err, errno, "%s/gc.lock", s->root);
  return steal_fd (&fd);
}
