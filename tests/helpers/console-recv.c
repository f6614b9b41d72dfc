/* console-recv — the far end of --console-socket, as containerd and
   podman's conmon are: listen on a unix socket, receive the pty master
   with SCM_RIGHTS, talk to the container's shell through it.

     console-recv [-i INPUT] [-t SECONDS] SOCKET [-- CMD ARG...]

   Binds and listens on SOCKET first, then (with CMD) starts CMD — for
   example `envrun run --console-socket SOCKET ID` — so the socket exists
   before the runtime looks for it.  Accepts one connection, receives one
   fd, checks it is a pty master (/dev/pts/ptmx or /dev/ptmx), writes INPUT
   to it (C escapes \n, \r, \t, \\, \004 are decoded), then copies whatever
   the container writes to stdout until the slave side is closed by every
   process (read gives EIO).

   stderr gets `console-recv: master fd is a pty master (N)` lines and any
   error.  Exit status: CMD's (128+N when killed by signal N) when a CMD was
   given, else 0; 125 when console-recv itself failed.

   -t SECONDS bounds the whole exchange (default 60): not a timing
   assertion, only a guard so that a runtime which never sends the fd, or
   a slave that is never closed, cannot hang the test suite.  */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define FAILED 125

static pid_t child = -1;

static void
die (const char *what)
{
  fprintf (stderr, "console-recv: %s: %s\n", what, strerror (errno));
  if (child > 0)
    kill (child, SIGKILL);
  exit (FAILED);
}

static void
die_msg (const char *msg)
{
  fprintf (stderr, "console-recv: %s\n", msg);
  if (child > 0)
    kill (child, SIGKILL);
  exit (FAILED);
}

/* Decode \n \r \t \\ and \ooo escapes in place; returns the new length.  */
static size_t
unescape (char *s)
{
  char *w = s;
  for (char *r = s; *r; r++)
    {
      if (*r != '\\' || !r[1])
        {
          *w++ = *r;
          continue;
        }
      r++;
      switch (*r)
        {
        case 'n': *w++ = '\n'; break;
        case 'r': *w++ = '\r'; break;
        case 't': *w++ = '\t'; break;
        case '\\': *w++ = '\\'; break;
        default:
          if (*r >= '0' && *r <= '7')
            {
              int v = 0, n = 0;
              while (n < 3 && *r >= '0' && *r <= '7')
                v = v * 8 + (*r++ - '0'), n++;
              r--;
              *w++ = (char) v;
            }
          else
            *w++ = *r;
        }
    }
  *w = '\0';
  return (size_t) (w - s);
}

static int
ms_left (const struct timespec *deadline)
{
  struct timespec now;
  clock_gettime (CLOCK_MONOTONIC, &now);
  long ms = (deadline->tv_sec - now.tv_sec) * 1000
            + (deadline->tv_nsec - now.tv_nsec) / 1000000;
  return ms < 0 ? 0 : (int) ms;
}

/* Wait for fd to be readable, or for the deadline.  */
static void
wait_readable (int fd, const struct timespec *deadline, const char *what)
{
  for (;;)
    {
      struct pollfd p = { .fd = fd, .events = POLLIN };
      int r = poll (&p, 1, ms_left (deadline));
      if (r > 0)
        return;
      if (r == 0)
        {
          fprintf (stderr, "console-recv: gave up waiting for %s\n", what);
          if (child > 0)
            kill (child, SIGKILL);
          exit (FAILED);
        }
      if (errno != EINTR)
        die ("poll");
    }
}

/* Wait for the runtime to connect; fail fast, with its status, when the
   command exits with an error before it did (runc refuses some flag
   combinations without connecting).  */
static void
wait_for_connection (int lsock, const struct timespec *deadline)
{
  for (;;)
    {
      struct pollfd p = { .fd = lsock, .events = POLLIN };
      int r = poll (&p, 1, 100);
      if (r > 0)
        return;
      if (r < 0 && errno != EINTR)
        die ("poll");
      if (child > 0)
        {
          int st;
          pid_t w = waitpid (child, &st, WNOHANG);
          if (w == child)
            {
              child = -1;
              if (poll (&p, 1, 0) > 0)
                return;
              fprintf (stderr, "console-recv: the command exited (status "
                               "%d) without connecting to the socket\n",
                       WIFEXITED (st) ? WEXITSTATUS (st)
                                      : 128 + WTERMSIG (st));
              exit (WIFEXITED (st) && WEXITSTATUS (st) ? WEXITSTATUS (st)
                                                       : FAILED);
            }
        }
      if (ms_left (deadline) == 0)
        die_msg ("gave up waiting for a connection on the console socket");
    }
}

static int
receive_fd (int conn)
{
  char byte[256];
  struct iovec iov = { .iov_base = byte, .iov_len = sizeof byte };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct msghdr msg = { .msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = u.buf,
                        .msg_controllen = sizeof u.buf };
  ssize_t n;
  do
    n = recvmsg (conn, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    die ("recvmsg");
  struct cmsghdr *c = CMSG_FIRSTHDR (&msg);
  if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS
      || c->cmsg_len != CMSG_LEN (sizeof (int)))
    die_msg ("the message carries no SCM_RIGHTS fd");
  int fd;
  memcpy (&fd, CMSG_DATA (c), sizeof fd);
  return fd;
}

static void
check_is_master (int fd)
{
  char path[64], target[256];
  snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
  ssize_t n = readlink (path, target, sizeof target - 1);
  if (n < 0)
    die ("readlink of the received fd");
  target[n] = '\0';
  unsigned int ptn;
  if (ioctl (fd, TIOCGPTN, &ptn) < 0)
    {
      fprintf (stderr, "console-recv: received fd is %s, not a pty master\n",
               target);
      if (child > 0)
        kill (child, SIGKILL);
      exit (FAILED);
    }
  fprintf (stderr, "console-recv: master fd is a pty master (%s, pts %u)\n",
           target, ptn);
}

static void
write_all (int fd, const char *buf, size_t len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, buf, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        die ("write to the pty master");
      buf += n;
      len -= (size_t) n;
    }
}

/* Copy master → stdout until every slave is closed (EIO).  */
static void
copy_output (int master, const struct timespec *deadline)
{
  char buf[4096];
  for (;;)
    {
      wait_readable (master, deadline, "the container to close its terminal");
      ssize_t n = read (master, buf, sizeof buf);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EIO)
        return;
      if (n < 0)
        die ("read from the pty master");
      if (n == 0)
        return;
      fwrite (buf, 1, (size_t) n, stdout);
      fflush (stdout);
    }
}

static int
wait_child (void)
{
  int st;
  if (child <= 0)
    return 0;
  while (waitpid (child, &st, 0) < 0)
    if (errno != EINTR)
      die ("waitpid");
  child = -1;
  if (WIFEXITED (st))
    return WEXITSTATUS (st);
  return 128 + WTERMSIG (st);
}

int
main (int argc, char **argv)
{
  char *input = NULL;
  int seconds = 60, opt;
  while ((opt = getopt (argc, argv, "+i:t:")) != -1)
    switch (opt)
      {
      case 'i': input = optarg; break;
      case 't': seconds = atoi (optarg) > 0 ? atoi (optarg) : 60; break;
      default:
        fprintf (stderr, "usage: console-recv [-i INPUT] [-t SECONDS] "
                         "SOCKET [-- CMD ARG...]\n");
        return 2;
      }
  if (optind >= argc)
    die_msg ("no SOCKET given");
  const char *sock_path = argv[optind++];
  if (optind < argc && strcmp (argv[optind], "--") == 0)
    optind++;

  struct timespec deadline;
  clock_gettime (CLOCK_MONOTONIC, &deadline);
  deadline.tv_sec += seconds;

  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  if (strlen (sock_path) >= sizeof addr.sun_path)
    die_msg ("socket path too long");
  strcpy (addr.sun_path, sock_path);
  int lsock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (lsock < 0)
    die ("socket");
  if (bind (lsock, (struct sockaddr *) &addr, sizeof addr) < 0)
    die ("bind");
  if (listen (lsock, 1) < 0)
    die ("listen");

  if (optind < argc)
    {
      child = fork ();
      if (child < 0)
        die ("fork");
      if (child == 0)
        {
          int null = open ("/dev/null", O_RDONLY | O_CLOEXEC);
          if (null >= 0)
            dup2 (null, 0);
          execvp (argv[optind], argv + optind);
          fprintf (stderr, "console-recv: exec %s: %s\n", argv[optind],
                   strerror (errno));
          _exit (127);
        }
    }

  wait_for_connection (lsock, &deadline);
  int conn = accept4 (lsock, NULL, NULL, SOCK_CLOEXEC);
  if (conn < 0)
    die ("accept");
  wait_readable (conn, &deadline, "the pty master on the console socket");
  int master = receive_fd (conn);
  close (conn);
  close (lsock);
  unlink (sock_path);
  check_is_master (master);

  if (input)
    {
      size_t len = unescape (input);
      write_all (master, input, len);
    }
  copy_output (master, &deadline);
  close (master);
  return wait_child ();
}
