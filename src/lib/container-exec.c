/* exec: a new process in a running container.  The runtime joins the
   container's pid namespace (it applies to children only) and cgroup; the
   child joins the other namespaces, user first, then runs the same final
   steps as the container's init (container-child.c).  */
#include "config-host.h"

#include "cgroup.h"
#include "cleanup.h"
#include "container-spawn.h"
#include "seccomp.h"
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const ns_proc_names[ENVRUN_NS_COUNT] = {
  [ENVRUN_NS_PID] = "pid",       [ENVRUN_NS_NETWORK] = "net",
  [ENVRUN_NS_MOUNT] = "mnt",     [ENVRUN_NS_IPC] = "ipc",
  [ENVRUN_NS_UTS] = "uts",       [ENVRUN_NS_USER] = "user",
  [ENVRUN_NS_CGROUP] = "cgroup", [ENVRUN_NS_TIME] = "time",
};

int
envrun_container_config (const char *root, const char *id,
                         struct envrun_config **out, envrun_error_t *err)
{
  char path[PATH_MAX];

  snprintf (path, sizeof path, "%s/%s/config.json", root, id);
  if (access (path, F_OK) < 0)
    return envrun_error_set (err, errno == ENOENT ? ENOENT : errno,
                             "container `%s` does not exist", id);
  return envrun_config_parse_file (path, out, err);
}

/* Open the container's namespaces that differ from ours.  */
static int
open_target_namespaces (pid_t pid, int fds[ENVRUN_NS_COUNT],
                        envrun_error_t *err)
{
  for (int t = 0; t < ENVRUN_NS_COUNT; t++)
    {
      char path[64], self[64];
      struct stat a, b;
      snprintf (path, sizeof path, "/proc/%d/ns/%s", pid, ns_proc_names[t]);
      snprintf (self, sizeof self, "/proc/self/ns/%s", ns_proc_names[t]);
      fds[t] = -1;
      if (stat (path, &a) < 0 || stat (self, &b) < 0)
        continue; /* the kernel lacks this namespace type */
      if (a.st_ino == b.st_ino && a.st_dev == b.st_dev)
        continue;
      fds[t] = open (path, O_RDONLY | O_CLOEXEC);
      if (fds[t] < 0)
        return envrun_error_set (err, errno, "open %s", path);
    }
  return 0;
}

/* Load what exec needs from the state: pid, cgroup, the config.  */
static int
load_target (const struct envrun_run_options *opts,
             struct container_state **st, struct envrun_config **cfg,
             envrun_error_t *err)
{
  cleanup_close int dirfd = state_dir_open (opts->state_root, opts->id, err);

  if (dirfd < 0 || state_read (dirfd, opts->id, st, err) < 0)
    return -1;
  enum envrun_status status = state_status (dirfd, *st);
  if (status != ENVRUN_STATUS_RUNNING && status != ENVRUN_STATUS_CREATED)
    return envrun_error_set (err, EINVAL, "cannot exec in container `%s`: "
                             "it is %s", opts->id,
                             envrun_status_name (status));
  if ((*st)->cgroup_path)
    {
      struct cgroup_handle *h = NULL;
      bool frozen = false;
      if (cgroup_open ((*st)->cgroup_path, &h, NULL) == 0
          && cgroup_is_frozen (h, &frozen, NULL) == 0 && frozen)
        {
          cgroup_handle_free (h);
          return envrun_error_set (err, EINVAL, "cannot exec in container "
                                   "`%s`: it is paused", opts->id);
        }
      cgroup_handle_free (h);
    }
  return envrun_container_config (opts->state_root, opts->id, cfg, err);
}

static int
prepare_exec (struct setup *s, const struct container_state *st,
              envrun_error_t *err)
{
  int sp[2];

  if (s->cfg->linux_ && s->cfg->linux_->seccomp
      && seccomp_program_build (s->cfg->linux_->seccomp, &s->seccomp, err)
             < 0)
    return -1;
  if (open_target_namespaces (st->pid, s->ns_fds, err) < 0)
    return -1;
  /* pid_for_children: the process we clone is born in the container's
     pid namespace (run_exec switches back right after the clone).  */
  if (s->ns_fds[ENVRUN_NS_PID] >= 0)
    {
      if (setns (s->ns_fds[ENVRUN_NS_PID], CLONE_NEWPID) < 0)
        return envrun_error_set (err, errno, "join the pid namespace");
      close (s->ns_fds[ENVRUN_NS_PID]);
      s->ns_fds[ENVRUN_NS_PID] = -1;
    }
  /* Time namespaces also apply to children only.  */
  if (s->ns_fds[ENVRUN_NS_TIME] >= 0)
    {
      if (setns (s->ns_fds[ENVRUN_NS_TIME], CLONE_NEWTIME) < 0)
        return envrun_error_set (err, errno, "join the time namespace");
      close (s->ns_fds[ENVRUN_NS_TIME]);
      s->ns_fds[ENVRUN_NS_TIME] = -1;
    }
  if (st->cgroup_path && cgroup_open (st->cgroup_path, &s->cgroup, err) < 0)
    return -1;
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
    return envrun_error_set (err, errno, "socketpair");
  s->runtime_sock = sp[0];
  s->child_sock = sp[1];
  return 0;
}

static void
release_exec (struct setup *s)
{
  for (int i = 0; i < ENVRUN_NS_COUNT; i++)
    if (s->ns_fds[i] >= 0)
      close (s->ns_fds[i]);
  if (s->runtime_sock >= 0)
    close (s->runtime_sock);
  if (s->child_sock >= 0)
    close (s->child_sock);
  seccomp_program_free (s->seccomp);
  cgroup_handle_free (s->cgroup);
}

static int
write_exec_pid_file (const char *path, pid_t pid, envrun_error_t *err)
{
  char buf[32];
  cleanup_close int fd = -1;
  int n = snprintf (buf, sizeof buf, "%d", pid);

  if (path == NULL)
    return 0;
  fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || write (fd, buf, (size_t) n) != n)
    return envrun_error_set (err, errno, "--pid-file `%s`", path);
  return 0;
}

static int
run_exec (struct setup *s, int own_pidns, int *status, envrun_error_t *err)
{
  pid_t pid = -1;
  int pty = -1, ret;

  ret = spawn_container (s, &pid, err);
  /* Anything this process forks from now on (a sanitizer's helper, say)
     belongs in its own pid namespace again.  */
  if (own_pidns >= 0)
    setns (own_pidns, CLONE_NEWPID);
  if (ret == 0)
    ret = handshake (s, &pid, &pty, err);
  if (ret == 0)
    ret = write_exec_pid_file (s->opts->pid_file, pid, err);
  if (ret == 0)
    ret = wait_exec (s, pid, err);
  if (ret < 0 && pid > 0)
    {
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
    }
  if (ret == 0 && !s->opts->detach)
    ret = supervise (s, pid, pty, status, err);
  if (pty >= 0)
    close (pty);
  return ret;
}

int
envrun_container_exec (const struct envrun_run_options *opts,
                       struct envrun_process *proc, int *status,
                       envrun_error_t *err)
{
  struct container_state *st = NULL;
  struct envrun_config *cfg = NULL;
  struct setup s;
  int ret;

  memset (&s, 0, sizeof s);
  s.runtime_sock = s.child_sock = s.fifo_fd = s.state_dirfd = -1;
  for (int i = 0; i < ENVRUN_NS_COUNT; i++)
    s.ns_fds[i] = -1;
  ret = load_target (opts, &st, &cfg, err);
  if (ret == 0)
    {
      /* The exec'd process, with the container's linux section (seccomp)
         and none of its hooks.  */
      struct envrun_config view = *cfg;
      memset (&view.hooks, 0, sizeof view.hooks);
      view.process = proc;
      s.opts = opts;
      s.cfg = &view;
      s.is_exec = true;
      snprintf (s.rootfs, sizeof s.rootfs, "%s", st->rootfs ? st->rootfs
                                                             : "/");
      int own_pidns = open ("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
      ret = prepare_exec (&s, st, err);
      if (ret == 0)
        ret = run_exec (&s, own_pidns, status, err);
      if (own_pidns >= 0)
        close (own_pidns);
    }
  release_exec (&s);
  envrun_config_free (cfg);
  container_state_free (st);
  return ret;
}
