/* start, state, kill, delete, list: commands on an existing container.  */
#include "config-host.h"

#include "cgroup.h"
#include "cleanup.h"
#include "hooks.h"
#include "state.h"

#include <envrun/container.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* A pidfd for the container's process, or -1 when it is gone or the pid
   was reused (start time differs).  */
static int
open_pidfd (const struct container_state *s)
{
  if (s->pid <= 0)
    return -1;
  int fd = (int) syscall (SYS_pidfd_open, s->pid, 0);
  if (fd < 0)
    return -1;
  uint64_t t = process_start_time (s->pid);
  if (t == 0 || (s->pid_start_time && t != s->pid_start_time))
    {
      close (fd);
      return -1;
    }
  return fd;
}

static enum envrun_status
full_status (int dirfd, const struct container_state *s)
{
  enum envrun_status st = state_status (dirfd, s);

  if (st == ENVRUN_STATUS_RUNNING && s->cgroup_path)
    {
      struct cgroup_handle *h = NULL;
      bool frozen = false;
      if (cgroup_open (s->cgroup_path, &h, NULL) == 0
          && cgroup_is_frozen (h, &frozen, NULL) == 0 && frozen)
        st = ENVRUN_STATUS_PAUSED;
      cgroup_handle_free (h);
    }
  return st;
}

static struct envrun_config *
load_config_copy (int dirfd)
{
  struct envrun_config *cfg = NULL;
  cleanup_close int fd = openat (dirfd, "config.json", O_RDONLY | O_CLOEXEC);
  cleanup_free char *buf = NULL;
  struct stat st;

  if (fd < 0 || fstat (fd, &st) < 0 || st.st_size > 16 * 1024 * 1024)
    return NULL;
  buf = malloc ((size_t) st.st_size + 1);
  if (buf == NULL || read (fd, buf, (size_t) st.st_size) != st.st_size)
    return NULL;
  envrun_config_parse_string (buf, (size_t) st.st_size, "config.json", &cfg,
                              NULL);
  return cfg;
}

static void
run_hooks_from_copy (int dirfd, const struct container_state *s,
                     enum envrun_hook_kind kind, enum envrun_status st)
{
  struct envrun_config *cfg;
  cleanup_free char *json = NULL;

  if (!s->has_config_copy)
    return;
  cfg = load_config_copy (dirfd);
  if (cfg && cfg->hooks.n_hooks[kind]
      && state_oci_json (s, st, false, &json, NULL) == 0)
    hooks_run_warn (cfg, kind, json);
  envrun_config_free (cfg);
}

/* Open the fifo and take the byte the container process writes when it
   is released; notice if the process dies instead.  */
static int
release_fifo (int dirfd, const struct container_state *s,
              envrun_error_t *err)
{
  cleanup_close int fifo
      = openat (dirfd, "exec.fifo", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  cleanup_close int pidfd = open_pidfd (s);
  char c;

  if (fifo < 0)
    return envrun_error_set (err, errno, "open exec.fifo of `%s`", s->id);
  /* A fresh fifo polls readable only once the container process wrote
     its byte (our open released its blocking open for writing), which it
     does after the startContainer hooks.  */
  while (1)
    {
      struct pollfd p[2] = { { fifo, POLLIN, 0 }, { pidfd, POLLIN, 0 } };
      if (poll (p, 2, -1) < 0 && errno != EINTR)
        return envrun_error_set (err, errno, "wait for `%s`", s->id);
      if ((p[0].revents & POLLIN) && read (fifo, &c, 1) == 1)
        break;
      if (p[1].revents || pidfd < 0)
        return envrun_error_set (err, ECHILD, "container `%s` exited "
                                 "before start", s->id);
    }
  /* Then end-of-file: its execve closed the fifo (or it died trying).  */
  while (1)
    {
      struct pollfd p = { fifo, POLLIN, 0 };
      if (poll (&p, 1, -1) < 0 && errno != EINTR)
        break;
      ssize_t n = read (fifo, &c, 1);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
        break;
    }
  unlinkat (dirfd, "exec.fifo", 0);
  return 0;
}

int
envrun_container_start (const char *root, const char *id,
                        envrun_error_t *err)
{
  cleanup_close int dirfd = state_dir_open (root, id, err);
  struct container_state *s = NULL;
  int ret;

  if (dirfd < 0 || state_read (dirfd, id, &s, err) < 0)
    return -1;
  enum envrun_status st = full_status (dirfd, s);
  if (st != ENVRUN_STATUS_CREATED)
    ret = envrun_error_set (err, EINVAL, "cannot start container `%s`: it "
                            "is %s, not created", id,
                            envrun_status_name (st));
  else
    ret = release_fifo (dirfd, s, err);
  if (ret == 0)
    run_hooks_from_copy (dirfd, s, ENVRUN_HOOK_POSTSTART,
                         ENVRUN_STATUS_RUNNING);
  container_state_free (s);
  return ret;
}

static int
to_public_state (int dirfd, struct container_state *s,
                 struct envrun_container_state **out, envrun_error_t *err)
{
  struct envrun_container_state *p = calloc (1, sizeof *p);

  if (p == NULL)
    return envrun_error_set (err, ENOMEM, "state");
  p->status = full_status (dirfd, s);
  p->pid = p->status == ENVRUN_STATUS_STOPPED ? 0 : s->pid;
  p->id = steal_pointer (&s->id);
  p->bundle = steal_pointer (&s->bundle);
  p->oci_version = steal_pointer (&s->oci_version);
  p->created = steal_pointer (&s->created);
  p->owner = steal_pointer (&s->owner);
  p->rootfs = steal_pointer (&s->rootfs);
  p->annotations = steal_pointer (&s->annotations);
  p->n_annotations = s->n_annotations;
  s->n_annotations = 0;
  *out = p;
  return 0;
}

int
envrun_container_state (const char *root, const char *id,
                        struct envrun_container_state **out,
                        envrun_error_t *err)
{
  cleanup_close int dirfd = state_dir_open (root, id, err);
  struct container_state *s = NULL;
  int ret;

  if (dirfd < 0 || state_read (dirfd, id, &s, err) < 0)
    return -1;
  ret = to_public_state (dirfd, s, out, err);
  container_state_free (s);
  return ret;
}

void
envrun_container_state_free (struct envrun_container_state *s)
{
  if (s == NULL)
    return;
  free (s->id);
  free (s->bundle);
  free (s->oci_version);
  free (s->created);
  free (s->owner);
  free (s->rootfs);
  for (size_t i = 0; i < s->n_annotations; i++)
    {
      free (s->annotations[i].key);
      free (s->annotations[i].value);
    }
  free (s->annotations);
  free (s);
}

int
envrun_container_state_json (const struct envrun_container_state *p,
                             char **out, envrun_error_t *err)
{
  struct container_state s = {
    .id = p->id, .bundle = p->bundle, .oci_version = p->oci_version,
    .pid = p->pid, .annotations = p->annotations,
    .n_annotations = p->n_annotations,
  };
  return state_oci_json (&s, p->status, true, out, err);
}

int
envrun_parse_signal (const char *s, int *out, envrun_error_t *err)
{
  static const struct
  {
    const char *name;
    int sig;
  } names[] = {
    { "HUP", SIGHUP },   { "INT", SIGINT },     { "QUIT", SIGQUIT },
    { "ILL", SIGILL },   { "TRAP", SIGTRAP },   { "ABRT", SIGABRT },
    { "IOT", SIGIOT },   { "BUS", SIGBUS },     { "FPE", SIGFPE },
    { "KILL", SIGKILL }, { "USR1", SIGUSR1 },   { "SEGV", SIGSEGV },
    { "USR2", SIGUSR2 }, { "PIPE", SIGPIPE },   { "ALRM", SIGALRM },
    { "TERM", SIGTERM }, { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD },
    { "CONT", SIGCONT }, { "STOP", SIGSTOP },   { "TSTP", SIGTSTP },
    { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },   { "URG", SIGURG },
    { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },   { "VTALRM", SIGVTALRM },
    { "PROF", SIGPROF }, { "WINCH", SIGWINCH }, { "IO", SIGIO },
    { "POLL", SIGPOLL }, { "PWR", SIGPWR },     { "SYS", SIGSYS },
  };
  char *end;
  long v;

  if (s == NULL || *s == '\0')
    return envrun_error_set (err, EINVAL, "empty signal");
  if (isdigit ((unsigned char) s[0]))
    {
      errno = 0;
      v = strtol (s, &end, 10);
      if (errno || *end || v <= 0 || v >= NSIG)
        return envrun_error_set (err, EINVAL, "invalid signal `%s`", s);
      *out = (int) v;
      return 0;
    }
  const char *n = strncasecmp (s, "SIG", 3) == 0 ? s + 3 : s;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcasecmp (n, names[i].name) == 0)
      {
        *out = names[i].sig;
        return 0;
      }
  if (strncasecmp (n, "RTMIN", 5) == 0 || strncasecmp (n, "RTMAX", 5) == 0)
    {
      bool min = strncasecmp (n, "RTMIN", 5) == 0;
      v = n[5] ? strtol (n + 5, &end, 10) : 0;
      if (n[5] && *end)
        return envrun_error_set (err, EINVAL, "invalid signal `%s`", s);
      v = min ? SIGRTMIN + v : SIGRTMAX + v;
      if (v < SIGRTMIN || v > SIGRTMAX)
        return envrun_error_set (err, EINVAL, "invalid signal `%s`", s);
      *out = (int) v;
      return 0;
    }
  return envrun_error_set (err, EINVAL, "unknown signal `%s`", s);
}

static int
signal_all (const struct container_state *s, int sig, envrun_error_t *err)
{
  struct cgroup_handle *h = NULL;
  pid_t *pids = NULL;
  size_t n = 0;
  int ret = 0;

  if (s->cgroup_path == NULL)
    return envrun_error_set (err, EINVAL, "kill --all: container `%s` has no "
                             "cgroup", s->id);
  if (cgroup_open (s->cgroup_path, &h, err) < 0
      || cgroup_pids (h, &pids, &n, err) < 0)
    ret = -1;
  for (size_t i = 0; ret == 0 && i < n; i++)
    if (kill (pids[i], sig) < 0 && errno != ESRCH)
      ret = envrun_error_set (err, errno, "signal pid %d", pids[i]);
  free (pids);
  cgroup_handle_free (h);
  return ret;
}

int
envrun_container_kill (const char *root, const char *id, int sig, bool all,
                       envrun_error_t *err)
{
  cleanup_close int dirfd = state_dir_open (root, id, err);
  struct container_state *s = NULL;
  int ret = 0;

  if (dirfd < 0 || state_read (dirfd, id, &s, err) < 0)
    return -1;
  enum envrun_status st = full_status (dirfd, s);
  if (st == ENVRUN_STATUS_STOPPED && !all)
    ret = envrun_error_set (err, ESRCH, "container `%s` is not running", id);
  else if (all)
    ret = signal_all (s, sig, err);
  else
    {
      cleanup_close int pidfd = open_pidfd (s);
      if (pidfd < 0
          || syscall (SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
        ret = envrun_error_set (err, pidfd < 0 ? ESRCH : errno,
                                "signal container `%s`", id);
    }
  container_state_free (s);
  return ret;
}

/* SIGKILL and wait until the process is gone (it is not our child).  */
static void
kill_and_wait (const struct container_state *s)
{
  cleanup_close int pidfd = open_pidfd (s);

  if (pidfd < 0)
    return;
  syscall (SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
  struct pollfd p = { pidfd, POLLIN, 0 };
  poll (&p, 1, 10000);
}

int
envrun_container_delete (const char *root, const char *id, bool force,
                         envrun_error_t *err)
{
  cleanup_close int dirfd = state_dir_open (root, id, err);
  struct container_state *s = NULL;
  struct cgroup_handle *h = NULL;
  int ret = 0;

  if (dirfd < 0)
    return -1;
  if (state_read (dirfd, id, &s, err) < 0)
    {
      /* A state dir without state.json: a create that died half-way.  */
      if (!force)
        return -1;
      envrun_error_free (err);
      return state_dir_remove (root, id, err);
    }
  enum envrun_status st = full_status (dirfd, s);
  /* runtime.md: deleting a container that is not stopped MUST fail and
     leave it alone (runc kills a created one; we follow the spec).  */
  if (st != ENVRUN_STATUS_STOPPED && !force)
    {
      ret = envrun_error_set (err, EBUSY, "cannot delete container `%s`: it "
                              "is %s (use --force)", id,
                              envrun_status_name (st));
      container_state_free (s);
      return ret;
    }
  if (s->cgroup_path && cgroup_open (s->cgroup_path, &h, NULL) == 0
      && st == ENVRUN_STATUS_PAUSED)
    cgroup_freeze (h, false, NULL);
  kill_and_wait (s);
  if (h && cgroup_destroy (h, err) < 0)
    ret = -1;
  cgroup_handle_free (h);
  run_hooks_from_copy (dirfd, s, ENVRUN_HOOK_POSTSTOP,
                       ENVRUN_STATUS_STOPPED);
  if (ret == 0)
    ret = state_dir_remove (root, id, err);
  container_state_free (s);
  return ret;
}

int
envrun_container_list (const char *root, struct envrun_container_state ***out,
                       size_t *n, envrun_error_t *err)
{
  cleanup_dir DIR *d = opendir (root);
  struct envrun_container_state **v = NULL;
  size_t count = 0;

  *out = NULL;
  *n = 0;
  if (d == NULL)
    return errno == ENOENT ? 0
                           : envrun_error_set (err, errno, "open `%s`", root);
  for (struct dirent *de; (de = readdir (d));)
    {
      struct envrun_container_state *st = NULL;
      if (de->d_name[0] == '.' || de->d_type != DT_DIR)
        continue;
      if (envrun_container_state (root, de->d_name, &st, NULL) < 0)
        continue; /* being created or deleted right now */
      void *nv = realloc (v, (count + 1) * sizeof *v);
      if (nv == NULL)
        {
          envrun_container_state_free (st);
          break;
        }
      v = nv;
      v[count++] = st;
    }
  *out = v;
  *n = count;
  return 0;
}
