/* Runtime ↔ container-process messages (see sync.h).  */
#include "config-host.h"

#include "sync.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

struct sync_header
{
  int type;
  int value;
};

int
sync_send (int sock, enum sync_type type, int value, const void *payload,
           size_t len, int fd)
{
  struct sync_header h = { .type = type, .value = value };
  struct iovec iov[2] = { { &h, sizeof h }, { (void *) payload, len } };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } ctl;
  struct msghdr m = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };

  if (fd >= 0)
    {
      memset (&ctl, 0, sizeof ctl);
      m.msg_control = ctl.buf;
      m.msg_controllen = sizeof ctl.buf;
      struct cmsghdr *c = CMSG_FIRSTHDR (&m);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN (sizeof (int));
      memcpy (CMSG_DATA (c), &fd, sizeof fd);
    }
  ssize_t n;
  do
    n = sendmsg (sock, &m, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n < 0 ? -1 : 0;
}

int
sync_recv (int sock, struct sync_msg *msg, envrun_error_t *err)
{
  struct sync_header h;
  char *buf = malloc (SYNC_MAX_PAYLOAD + 1);
  struct iovec iov[2] = { { &h, sizeof h }, { buf, SYNC_MAX_PAYLOAD } };
  union
  {
    char b[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } ctl;
  struct msghdr m = { .msg_iov = iov,
                      .msg_iovlen = 2,
                      .msg_control = ctl.b,
                      .msg_controllen = sizeof ctl.b };
  ssize_t n;

  memset (msg, 0, sizeof *msg);
  msg->fd = -1;
  if (buf == NULL)
    return envrun_error_set (err, ENOMEM, "sync");
  do
    n = recvmsg (sock, &m, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n <= 0)
    {
      free (buf);
      if (n == 0 || errno == ECONNRESET)
        return 0;
      return envrun_error_set (err, errno, "read from the container process");
    }
  if ((size_t) n < sizeof h)
    {
      free (buf);
      return envrun_error_set (err, EPROTO, "short message from the "
                                            "container process");
    }
  for (struct cmsghdr *c = CMSG_FIRSTHDR (&m); c; c = CMSG_NXTHDR (&m, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
      memcpy (&msg->fd, CMSG_DATA (c), sizeof (int));
  msg->type = h.type;
  msg->value = h.value;
  msg->len = (size_t) n - sizeof h;
  buf[msg->len] = '\0';
  msg->payload = buf;
  return 1;
}

void
sync_msg_clear (struct sync_msg *msg)
{
  free (msg->payload);
  msg->payload = NULL;
  if (msg->fd >= 0)
    close (msg->fd);
  msg->fd = -1;
}

void
sync_fail (int sock, envrun_error_t *err)
{
  const char *m = envrun_error_message (*err);
  sync_send (sock, SYNC_ERROR, *err ? (*err)->status : 0, m, strlen (m), -1);
  _exit (1);
}
