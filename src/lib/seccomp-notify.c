/* SCMP_ACT_NOTIFY: hand the listener fd to the agent at
   linux.seccomp.listenerPath, as the runtime spec describes: one message
   on an AF_UNIX stream socket carrying the fd with SCM_RIGHTS and the
   "containerProcessState" JSON.  */
#include "config-host.h"

#include "cleanup.h"
#include "json.h"
#include "seccomp.h"

#include <envrun/spec.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

static void
cleanup_json_genp (struct json_gen **g)
{
  json_gen_free (*g);
}

static void
cleanup_json_docp (struct json_doc **d)
{
  json_doc_free (*d);
}

static int
seccomp_notify_message (const char *metadata, const char *state_json,
                        pid_t pid, char **out, size_t *len,
                        envrun_error_t *err)
{
  __attribute__ ((cleanup (cleanup_json_genp))) struct json_gen *g = NULL;
  __attribute__ ((cleanup (cleanup_json_docp))) struct json_doc *state = NULL;
  int ret;

  ret = json_parse (state_json, strlen (state_json), "container state", &state,
                    err);
  if (ret < 0)
    return ret;
  g = json_gen_new (false);
  if (g == NULL)
    return envrun_error_set (err, ENOMEM, "seccomp notify message");
  json_gen_object_open (g);
  json_gen_kv_string (g, "ociVersion", ENVRUN_OCI_VERSION);
  json_gen_key (g, "fds");
  json_gen_array_open (g);
  json_gen_string (g, "seccompFd");
  json_gen_array_close (g);
  json_gen_kv_int (g, "pid", pid);
  if (metadata)
    json_gen_kv_string (g, "metadata", metadata);
  json_gen_key (g, "state");
  json_gen_node (g, json_doc_root (state));
  json_gen_object_close (g);
  return json_gen_finish (g, out, len, err);
}

static int
seccomp_notify_connect (const char *path, envrun_error_t *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  cleanup_close int fd = -1;

  if (strlen (path) >= sizeof addr.sun_path)
    return envrun_error_set (err, ENAMETOOLONG,
                             ".linux.seccomp.listenerPath: %s", path);
  strcpy (addr.sun_path, path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return envrun_error_set (err, errno, "seccomp notify: socket");
  if (connect (fd, (struct sockaddr *)&addr, sizeof addr) < 0)
    return envrun_error_set (
        err, errno, ".linux.seccomp.listenerPath: connect to %s", path);
  return steal_fd (&fd);
}

/* The fd travels with the first bytes; a short write sends the rest
   without it.  */
static int
seccomp_notify_sendmsg (int sock, int listener_fd, const char *buf, size_t len,
                        envrun_error_t *err)
{
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } control;
  struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
  struct cmsghdr *cmsg;
  ssize_t n;

  memset (&control, 0, sizeof control);
  msg.msg_control = control.buf;
  msg.msg_controllen = sizeof control.buf;
  cmsg = CMSG_FIRSTHDR (&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (cmsg), &listener_fd, sizeof (int));
  do
    n = sendmsg (sock, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  while (n >= 0 && (size_t)n < len)
    {
      ssize_t m = send (sock, buf + n, len - n, MSG_NOSIGNAL);
      if (m < 0 && errno == EINTR)
        continue;
      if (m < 0)
        {
          n = -1;
          break;
        }
      n += m;
    }
  if (n < 0)
    return envrun_error_set (err, errno, "seccomp notify: sendmsg");
  return 0;
}

int
seccomp_notify_send (const char *listener_path, int listener_fd,
                     const char *metadata, const char *state_json, pid_t pid,
                     envrun_error_t *err)
{
  cleanup_free char *msg = NULL;
  cleanup_close int sock = -1;
  size_t len;
  int ret;

  if (listener_path == NULL || listener_path[0] == '\0')
    return envrun_error_set (err, EINVAL,
                             ".linux.seccomp.listenerPath: required with "
                             "SCMP_ACT_NOTIFY");
  ret = seccomp_notify_message (metadata, state_json, pid, &msg, &len, err);
  if (ret < 0)
    return ret;
  sock = seccomp_notify_connect (listener_path, err);
  if (sock < 0)
    return sock;
  return seccomp_notify_sendmsg (sock, listener_fd, msg, len, err);
}
