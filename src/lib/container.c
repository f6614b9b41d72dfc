/* create and run: the runtime side of container setup.  The container
   process itself is in container-child.c.  */
#include "config-host.h"

#include "cgroup.h"
#include "cleanup.h"
#include "container-internal.h"
#include "container-spawn.h"
#include "hooks.h"
#include "namespaces.h"
#include "seccomp.h"
#include "state.h"
#include "sync.h"
#include "warn.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int
envrun_validate_id (const char *id, envrun_error_t *err)
{
  size_t len = id ? strlen (id) : 0;

  if (len == 0)
    return envrun_error_set (err, EINVAL, "container id must not be empty");
  if (len > 1024)
    return envrun_error_set (err, EINVAL, "container id is longer than "
                                          "1024 characters");
  for (size_t i = 0; i < len; i++)
    {
      char c = id[i];
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                || (c >= '0' && c <= '9')
                || (i > 0 && (c == '_' || c == '.' || c == '+' || c == '-'));
      if (!ok)
        return envrun_error_set (err, EINVAL,
                                 "invalid container id `%s`: use letters, "
                                 "digits and _.+- (not first)",
                                 id);
    }
  if (strstr (id, ".."))
    return envrun_error_set (err, EINVAL, "invalid container id `%s`", id);
  return 0;
}

/* The state of a container being created, for hooks and state.json.  */
struct container_state *
setup_state (const struct setup *s, pid_t pid)
{
  struct container_state *st = calloc (1, sizeof *st);
  const struct envrun_config *cfg = s->cfg;

  if (st == NULL)
    return NULL;
  st->id = strdup (s->opts->id ? s->opts->id : "");
  st->bundle = strdup (s->opts->bundle ? s->opts->bundle : "/");
  st->rootfs = strdup (s->rootfs);
  st->oci_version = strdup (cfg->oci_version ? cfg->oci_version : "1.2.0");
  st->created = state_now_rfc3339 ();
  st->owner = strdup ("");
  st->pid = pid;
  st->pid_start_time = process_start_time (pid);
  if (s->cgroup)
    st->cgroup_path = strdup (cgroup_path (s->cgroup));
  st->has_config_copy = s->opts->config_text != NULL;
  if (cfg->n_annotations)
    {
      st->annotations = calloc (cfg->n_annotations, sizeof *st->annotations);
      for (size_t i = 0; st->annotations && i < cfg->n_annotations; i++)
        {
          st->annotations[i].key = strdup (cfg->annotations[i].key);
          st->annotations[i].value = strdup (cfg->annotations[i].value);
          st->n_annotations++;
        }
    }
  return st;
}

static int
write_pid_file (const char *path, pid_t pid, envrun_error_t *err)
{
  char tmp[PATH_MAX], buf[32];
  cleanup_close int fd = -1;
  int n = snprintf (buf, sizeof buf, "%d", pid);

  if (path == NULL)
    return 0;
  snprintf (tmp, sizeof tmp, "%s.envrun-tmp", path);
  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || write (fd, buf, (size_t) n) != n || rename (tmp, path) < 0)
    return envrun_error_set (err, errno, "--pid-file `%s`", path);
  return 0;
}

static bool
hooks_present (const struct envrun_config *cfg, enum envrun_hook_kind k)
{
  return cfg->hooks.n_hooks[k] > 0;
}

/* Fields the parser accepts but this runtime cannot honour: refusing is
   better than silently running with less than the config asked for.  */
static int
refuse_unsupported (const struct envrun_config *cfg, envrun_error_t *err)
{
  for (size_t i = 0; i < cfg->n_mounts; i++)
    if (cfg->mounts[i].idmap)
      return envrun_error_set (err, ENOTSUP, "config.json: .mounts[%zu]."
                               "options: idmap mounts are not supported", i);
  if (cfg->linux_ && cfg->linux_->intel_rdt_clos_id)
    return envrun_error_set (err, ENOTSUP, "config.json: .linux.intelRdt: "
                             "not supported");
  return 0;
}

/* Everything the runtime decides and prepares before cloning.  */
static int
setup_prepare (struct setup *s, const struct envrun_run_options *opts,
               struct envrun_config *cfg, bool detached, envrun_error_t *err)
{
  const char *root = cfg->root_path;
  int sp[2];

  memset (s, 0, sizeof *s);
  s->opts = opts;
  s->cfg = cfg;
  s->fifo_fd = s->runtime_sock = s->child_sock = s->state_dirfd = -1;
  for (int i = 0; i < ENVRUN_NS_COUNT; i++)
    s->ns_fds[i] = -1;
  if (cfg->process == NULL || cfg->process->args == NULL)
    return envrun_error_set (err, EINVAL, "config.json: .process: required "
                                          "to run a container");
  if (root == NULL)
    return envrun_error_set (err, EINVAL, "config.json: .root.path: "
                                          "required");
  /* Nobody would hold the pty master once create or run -d returns.  */
  if (cfg->process->terminal && opts->console_socket == NULL
      && (detached || opts->detach))
    return envrun_error_set (err, EINVAL, "config.json: .process.terminal: "
                             "a detached container needs --console-socket "
                             "to receive its terminal");
  if (root[0] == '/' || opts->bundle == NULL)
    snprintf (s->rootfs, sizeof s->rootfs, "%s", root);
  else
    snprintf (s->rootfs, sizeof s->rootfs, "%s/%s", opts->bundle, root);
  struct stat st;
  if (stat (s->rootfs, &st) < 0 || !S_ISDIR (st.st_mode))
    return envrun_error_set (err, errno ? errno : ENOTDIR,
                             "config.json: .root.path: rootfs `%s`",
                             s->rootfs);
  if (refuse_unsupported (cfg, err) < 0)
    return -1;
  s->new_flags = ns_new_flags (cfg);
  if (!(s->new_flags & CLONE_NEWNS))
    return envrun_error_set (err, EINVAL, "config.json: .linux.namespaces: "
                             "a new mount namespace is required");
  if (ns_validate_sysctls (cfg, err) < 0
      || ns_open_paths (cfg, s->ns_fds, err) < 0)
    return -1;
  s->second_fork = s->ns_fds[ENVRUN_NS_PID] >= 0
                   || (s->new_flags & 0x80 /* CLONE_NEWTIME */)
                   || s->ns_fds[ENVRUN_NS_USER] >= 0;
  s->need_state = hooks_present (cfg, ENVRUN_HOOK_PRESTART)
                  || hooks_present (cfg, ENVRUN_HOOK_CREATE_RUNTIME)
                  || hooks_present (cfg, ENVRUN_HOOK_CREATE_CONTAINER)
                  || hooks_present (cfg, ENVRUN_HOOK_START_CONTAINER);
  if (cfg->linux_ && cfg->linux_->seccomp
      && seccomp_program_build_cached (cfg->linux_->seccomp,
                                       opts->seccomp_cache, &s->seccomp, err)
             < 0)
    return envrun_error_prefix (err, "config.json");
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
    return envrun_error_set (err, errno, "socketpair");
  s->runtime_sock = sp[0];
  s->child_sock = sp[1];
  return 0;
}

static void
setup_release (struct setup *s)
{
  ns_close_paths (s->ns_fds);
  if (s->runtime_sock >= 0)
    close (s->runtime_sock);
  if (s->child_sock >= 0)
    close (s->child_sock);
  if (s->fifo_fd >= 0)
    close (s->fifo_fd);
  seccomp_program_free (s->seccomp);
  cgroup_handle_free (s->cgroup);
  s->seccomp = NULL;
  s->cgroup = NULL;
  s->runtime_sock = s->child_sock = s->fifo_fd = -1;
}

static bool
config_sets_limits (const struct envrun_config *cfg)
{
  const struct envrun_resources *r = cfg->linux_ ? cfg->linux_->resources
                                                 : NULL;
  return r
         && (r->has_memory_limit || r->has_cpu_quota || r->has_cpu_shares
             || r->has_pids_limit || r->cpu_cpus || r->n_devices
             || r->n_unified || r->has_blkio_weight);
}

static int
setup_cgroup (struct setup *s, envrun_error_t *err)
{
  if (s->opts->cgroup_if_needed && !config_sets_limits (s->cfg)
      && !(s->cfg->linux_ && s->cfg->linux_->cgroups_path))
    return 0;
  if (cgroup_create (s->cfg, s->opts->id, &s->cgroup, err) == 0)
    return 0;
  /* Rootless: without a delegated cgroup the container runs in the
     caller's, as runc does; a limit it asked for cannot be honoured.  */
  if (geteuid () != 0 && *err
      && ((*err)->status == EACCES || (*err)->status == EPERM
          || (*err)->status == EROFS)
      && !config_sets_limits (s->cfg))
    {
      envrun_warn ("cgroups skipped (not delegated to this user): %s",
                   envrun_error_message (*err));
      envrun_error_free (err);
      return 0;
    }
  return -1;
}

static int
make_fifo (struct setup *s, int dirfd, envrun_error_t *err)
{
  /* Write-open by the container process (possibly no longer root).  */
  if (mkfifoat (dirfd, "exec.fifo", 0622) < 0)
    return envrun_error_set (err, errno, "create exec.fifo");
  fchmodat (dirfd, "exec.fifo", 0622, 0);
  s->fifo_fd = openat (dirfd, "exec.fifo", O_PATH | O_CLOEXEC);
  if (s->fifo_fd < 0)
    return envrun_error_set (err, errno, "open exec.fifo");
  return 0;
}

static int
save_config_copy (const struct envrun_run_options *opts, int dirfd,
                  envrun_error_t *err)
{
  cleanup_close int fd = -1;

  if (opts->config_text == NULL)
    return 0;
  fd = openat (dirfd, "config.json", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
               0600);
  if (fd < 0
      || write (fd, opts->config_text, opts->config_len)
             != (ssize_t) opts->config_len)
    return envrun_error_set (err, errno, "save config.json in the state");
  return 0;
}

/* Kill a half-made container and remove what was made for it; the state
   dir only when this call made it (never another container's).  */
static void
abort_container (struct setup *s, pid_t pid, bool made_state_dir)
{
  if (pid > 0)
    {
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
    }
  if (s->cgroup)
    {
      envrun_error_t ignored = NULL;
      cgroup_destroy (s->cgroup, &ignored);
      envrun_error_free (&ignored);
    }
  if (made_state_dir)
    state_dir_remove (s->opts->state_root, s->opts->id, NULL);
}

struct started
{
  pid_t pid;       /* the container's init */
  int pty_master;  /* kept for a foreground run -t, else -1 */
  int dirfd;       /* locked state dir, -1 when stateless */
};

static int
start_container (struct setup *s, bool with_fifo, struct started *out,
                 envrun_error_t *err)
{
  cleanup_close int dirfd = -1;
  pid_t pid = -1;
  const struct envrun_run_options *opts = s->opts;

  out->pid = -1;
  out->pty_master = -1;
  out->dirfd = -1;
  if (!opts->stateless)
    {
      dirfd = state_dir_create (opts->state_root, opts->id, err);
      if (dirfd < 0)
        return -1;
      if ((with_fifo && make_fifo (s, dirfd, err) < 0)
          || save_config_copy (opts, dirfd, err) < 0)
        goto fail;
    }
  s->state_dirfd = dirfd;
  if (setup_cgroup (s, err) < 0)
    goto fail;
  if (spawn_container (s, &pid, err) < 0)
    goto fail;
  if (handshake (s, &pid, &out->pty_master, err) < 0)
    goto fail;
  out->pid = pid;
  out->dirfd = steal_fd (&dirfd);
  return 0;
fail:
  abort_container (s, pid, dirfd >= 0);
  return -1;
}

static int
record_state (struct setup *s, struct started *c, envrun_error_t *err)
{
  struct container_state *st;
  int ret = 0;

  if (!s->opts->stateless)
    {
      st = setup_state (s, c->pid);
      if (st == NULL)
        return envrun_error_set (err, ENOMEM, "state");
      ret = state_write (c->dirfd, st, err);
      container_state_free (st);
    }
  if (ret == 0)
    ret = write_pid_file (s->opts->pid_file, c->pid, err);
  return ret;
}

int
envrun_container_create (const struct envrun_run_options *opts,
                         struct envrun_config *cfg, envrun_error_t *err)
{
  struct setup s;
  struct started c;
  int ret = setup_prepare (&s, opts, cfg, true, err);

  if (ret == 0)
    ret = start_container (&s, true, &c, err);
  if (ret == 0)
    {
      ret = record_state (&s, &c, err);
      if (ret < 0)
        abort_container (&s, c.pid, true);
      if (c.pty_master >= 0)
        close (c.pty_master);
      close (c.dirfd);
    }
  setup_release (&s);
  return ret;
}

int
envrun_container_run (const struct envrun_run_options *opts,
                      struct envrun_config *cfg, int *status,
                      envrun_error_t *err)
{
  struct setup s;
  struct started c;
  int ret = setup_prepare (&s, opts, cfg, false, err);

  if (ret == 0)
    ret = start_container (&s, false, &c, err);
  if (ret < 0)
    {
      setup_release (&s);
      return ret;
    }
  ret = record_state (&s, &c, err);
  /* Unlock: `state`, `kill` and `delete` must work while it runs.  */
  if (c.dirfd >= 0)
    close (c.dirfd);
  c.dirfd = -1;
  if (ret == 0)
    ret = wait_exec (&s, c.pid, err);
  if (ret < 0)
    {
      abort_container (&s, c.pid, !opts->stateless);
      goto out;
    }
  run_poststart (&s, c.pid);
  if (opts->detach)
    goto out;
  ret = supervise (&s, c.pid, c.pty_master, status, err);
  finish_run (&s);
out:
  if (c.pty_master >= 0)
    close (c.pty_master);
  if (c.dirfd >= 0)
    close (c.dirfd);
  setup_release (&s);
  return ret;
}
