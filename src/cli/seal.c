/* CVE-2019-5736 (see seal.h): run from a sealed in-memory copy of the
   binary, so that /proc/<pid>/exe of any runtime process a container can
   see names a memfd nobody can write, never the file on the host.

   Why each step is safe:
   - The check looks at the binary actually running (/proc/self/exe), not
     at a path: F_GET_SEALS answers only for a memfd, and only a memfd
     with every write seal is accepted as already protected.
   - A binary on a read-only filesystem cannot be opened for writing by a
     container either (it has no way to remount the host's filesystem), so
     it is left alone and start-up stays cheap there.
   - The copy is sealed before it is executed: after F_SEAL_SEAL nobody,
     this process included, can make it writable again.
   - The memfd is close-on-exec: once re-executed, the running image is
     the only reference, and no fd to it reaches a container.  */
#include "config-host.h"

#include "cleanup.h"
#include "seal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)
/* The kernel's limit on argv+envp is a quarter of the stack rlimit; the
   command line of a runtime verb is far below this.  */
#define MAX_CMDLINE (4u << 20)

extern char **environ;

/* 1 when the running binary cannot be written from anywhere: a memfd with
   every write seal, or a file on a read-only mount; 0 otherwise.  */
static int
running_binary_protected (int exe, envrun_error_t *err)
{
  struct statvfs sv;
  int seals = fcntl (exe, F_GET_SEALS);

  if (seals >= 0 && (seals & SEALS) == SEALS)
    return 1;
  if (fstatvfs (exe, &sv) < 0)
    return envrun_error_set (err, errno, "statvfs /proc/self/exe");
  return (sv.f_flag & ST_RDONLY) ? 1 : 0;
}

/* The whole command line as the kernel keeps it: a verb's argv is only a
   tail of it, and getopt may have permuted the pointer array.  */
static int
read_cmdline (char **bufp, char ***argvp, envrun_error_t *err)
{
  cleanup_close int fd = open ("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
  cleanup_free char *buf = NULL;
  size_t len = 0, cap = 0, n = 0;

  if (fd < 0)
    return envrun_error_set (err, errno, "open /proc/self/cmdline");
  while (1)
    {
      if (len + 1 >= cap)
        {
          if (cap >= MAX_CMDLINE)
            return envrun_error_set (err, E2BIG, "/proc/self/cmdline: "
                                     "longer than %u bytes", MAX_CMDLINE);
          cap = cap ? cap * 2 : 4096;
          char *nb = realloc (buf, cap);
          if (nb == NULL)
            return envrun_error_set (err, ENOMEM, "read /proc/self/cmdline");
          buf = nb;
        }
      ssize_t r = read (fd, buf + len, cap - len - 1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return envrun_error_set (err, errno, "read /proc/self/cmdline");
      if (r == 0)
        break;
      len += (size_t) r;
    }
  if (len == 0 || buf[len - 1] != '\0')
    return envrun_error_set (err, EINVAL, "/proc/self/cmdline: not a "
                             "NUL-terminated list");
  for (size_t i = 0; i < len; i++)
    n += buf[i] == '\0';
  char **argv = calloc (n + 1, sizeof *argv);
  if (argv == NULL)
    return envrun_error_set (err, ENOMEM, "read /proc/self/cmdline");
  for (size_t i = 0, k = 0; i < len; i += strlen (buf + i) + 1)
    argv[k++] = buf + i;
  *argvp = argv;
  *bufp = steal_pointer (&buf);
  return 0;
}

static bool
cmdline_contains (char **full, const char *word)
{
  for (; *full; full++)
    if (strcmp (*full, word) == 0)
      return true;
  return false;
}

/* Copy `size` bytes of in into out: copy_file_range (same filesystem type
   only since 5.19), else sendfile, else read/write.  */
static int
copy_fd (int in, int out, off_t size)
{
  off_t done = 0;
  char buf[65536];

  while (done < size)
    {
      ssize_t n = copy_file_range (in, NULL, out, NULL,
                                   (size_t) (size - done), 0);
      if (n <= 0)
        break;
      done += n;
    }
  while (done < size)
    {
      ssize_t n = sendfile (out, in, NULL, (size_t) (size - done));
      if (n <= 0)
        break;
      done += n;
    }
  while (done < size)
    {
      ssize_t n = read (in, buf, sizeof buf);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return n == 0 ? (errno = EIO, -1) : -1;
      for (ssize_t w = 0; w < n;)
        {
          ssize_t k = write (out, buf + w, (size_t) (n - w));
          if (k < 0 && errno != EINTR)
            return -1;
          w += k > 0 ? k : 0;
        }
      done += n;
    }
  return 0;
}

/* A sealed memfd holding the bytes of the running binary.  */
static int
sealed_copy (int exe, envrun_error_t *err)
{
  struct stat st;
  cleanup_close int mfd = -1;

  if (fstat (exe, &st) < 0)
    return envrun_error_set (err, errno, "stat /proc/self/exe");
  mfd = memfd_create ("envrun", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0)
    return envrun_error_set (err, errno, "memfd_create");
  if (lseek (exe, 0, SEEK_SET) < 0 || copy_fd (exe, mfd, st.st_size) < 0)
    return envrun_error_set (err, errno, "copy the runtime binary");
  if (fcntl (mfd, F_ADD_SEALS, SEALS) < 0)
    return envrun_error_set (err, errno, "seal the runtime binary copy");
  return steal_fd (&mfd);
}

int
cli_seal_binary (struct cli_global *g, char **argv)
{
  envrun_error_t err = NULL;
  cleanup_close int exe = -1, mfd = -1;
  cleanup_free char *cmdbuf = NULL;
  cleanup_free char **full = NULL;
  int r;

  if (secure_getenv ("ENVRUN_TEST_UNSAFE_NO_SEAL"))
    return 0;
  exe = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (exe < 0)
    {
      envrun_error_set (&err, errno, "open /proc/self/exe");
      return cli_fail (g, &err);
    }
  r = running_binary_protected (exe, &err);
  if (r != 0)
    return r > 0 ? 0 : cli_fail (g, &err);
  if (read_cmdline (&cmdbuf, &full, &err) < 0)
    return cli_fail (g, &err);
  if (argv && argv[0] && !cmdline_contains (full, argv[0]))
    return cli_failf (g, "/proc/self/cmdline does not hold `%s`: cannot "
                         "re-execute the sealed binary", argv[0]);
  mfd = sealed_copy (exe, &err);
  if (mfd < 0)
    return cli_fail (g, &err);
  cli_debugf (g, "re-executing from a sealed copy of the runtime binary");
  fexecve (mfd, full, environ);
  envrun_error_set (&err, errno, "execute the sealed runtime binary");
  return cli_fail (g, &err);
}
