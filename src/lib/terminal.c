/* The container's pty (see terminal.h).  */
#include "config-host.h"

#include "cleanup.h"
#include "terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

int
terminal_setup_in_container (const struct envrun_process *p,
                             envrun_error_t *err)
{
  cleanup_close int master = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  cleanup_close int slave = -1;
  char name[64];

  if (master < 0)
    return envrun_error_set (err, errno, "open /dev/ptmx");
  if (unlockpt (master) < 0 || ptsname_r (master, name, sizeof name) != 0)
    return envrun_error_set (err, errno, "unlock the pty");
  slave = open (name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0)
    return envrun_error_set (err, errno, "open `%s`", name);
  if (p->has_console_size)
    {
      struct winsize ws = { .ws_row = (unsigned short) p->console_height,
                            .ws_col = (unsigned short) p->console_width };
      if (ioctl (slave, TIOCSWINSZ, &ws) < 0)
        return envrun_error_set (err, errno, "process.consoleSize");
    }
  if (ioctl (slave, TIOCSCTTY, 0) < 0)
    return envrun_error_set (err, errno, "make the pty the controlling "
                                         "terminal");
  for (int fd = 0; fd < 3; fd++)
    if (dup2 (slave, fd) < 0)
      return envrun_error_set (err, errno, "dup the pty to fd %d", fd);
  return steal_fd (&master);
}

int
terminal_send_to_socket (const char *path, int master, envrun_error_t *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  cleanup_close int sock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  char data[] = "/dev/ptmx";
  struct iovec iov = { data, sizeof data - 1 };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } ctl;
  struct msghdr m = { .msg_iov = &iov,
                      .msg_iovlen = 1,
                      .msg_control = ctl.buf,
                      .msg_controllen = sizeof ctl.buf };

  if (strlen (path) >= sizeof addr.sun_path)
    return envrun_error_set (err, ENAMETOOLONG, "--console-socket `%s`",
                             path);
  strcpy (addr.sun_path, path);
  if (sock < 0 || connect (sock, (struct sockaddr *) &addr, sizeof addr) < 0)
    return envrun_error_set (err, errno, "connect to --console-socket `%s`",
                             path);
  memset (&ctl, 0, sizeof ctl);
  struct cmsghdr *c = CMSG_FIRSTHDR (&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (c), &master, sizeof master);
  if (sendmsg (sock, &m, MSG_NOSIGNAL) < 0)
    return envrun_error_set (err, errno, "send the pty to `%s`", path);
  return 0;
}
