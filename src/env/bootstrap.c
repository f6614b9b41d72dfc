/* --bootstrap [SUITE]: debootstrap a Debian root into the new layer.
   $ENVRUN_DEBOOTSTRAP_CACHE, when set, is passed as --cache-dir so test
   runs on one machine fetch the archive once.  */
#include "config-host.h"

#include "env-internal.h"

#include <errno.h>
#include <sched.h>
#include <sys/mount.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int
env_bootstrap (const struct envrun_env_create_options *o, const char *target,
               envrun_error_t *err)
{
  const char *suite = o->suite ? o->suite : "bookworm";
  const char *mirror = o->mirror ? o->mirror : "http://deb.debian.org/debian";
  const char *cache = secure_getenv ("ENVRUN_DEBOOTSTRAP_CACHE");
  cleanup_free char *inc = NULL;
  cleanup_free char *cachearg = NULL;
  char *argv[10];
  int argc = 0, status;
  pid_t pid;

  if (strspn (suite, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen (suite)
      || *suite == '-')
    return envrun_error_set (err, EINVAL, "--bootstrap: suite `%s`: not a "
                             "suite name", suite);
  if (o->include && (strspn (o->include, "abcdefghijklmnopqrstuvwxyz"
                             "0123456789+-.,") != strlen (o->include)
                     || *o->include == '-'))
    return envrun_error_set (err, EINVAL, "--include: `%s`: not a list of "
                             "package names", o->include);
  argv[argc++] = "debootstrap";
  argv[argc++] = "--variant=minbase";
  if (o->include && asprintf (&inc, "--include=%s", o->include) >= 0)
    argv[argc++] = inc;
  if (cache && *cache == '/'
      && asprintf (&cachearg, "--cache-dir=%s", cache) >= 0)
    argv[argc++] = cachearg;
  argv[argc++] = (char *) suite;
  argv[argc++] = (char *) target;
  argv[argc++] = (char *) mirror;
  argv[argc] = NULL;
  pid = fork ();
  if (pid < 0)
    return envrun_error_set (err, errno, "fork");
  if (pid == 0)
    {
      /* debootstrap mounts /proc and /sys in the target; in a mount
         namespace of its own they vanish with it, however it ends, and
         never show in the host's table or under the store.  */
      if (unshare (CLONE_NEWNS) < 0
          || mount (NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
        _exit (126);
      /* debootstrap talks a lot; keep stdout for our own output.  */
      dup2 (STDERR_FILENO, STDOUT_FILENO);
      execvp ("debootstrap", argv);
      _exit (127);
    }
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return envrun_error_set (err, errno, "waitpid");
  if (WIFEXITED (status) && WEXITSTATUS (status) == 127)
    return envrun_error_set (err, ENOENT, "debootstrap: not installed "
                             "(apt-get install debootstrap)");
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return envrun_error_set (err, 0, "debootstrap %s failed (exit %d)", suite,
                             WIFEXITED (status) ? WEXITSTATUS (status) : -1);
  return 0;
}
