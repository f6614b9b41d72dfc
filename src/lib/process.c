/* Limits, identity, program lookup of the container process (process.h). */
#include "config-host.h"

#include "cleanup.h"
#include "process.h"
#include "safepath.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static int
write_proc_file (const char *path, const char *value, envrun_error_t *err)
{
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  size_t len = strlen (value);

  if (fd < 0 || write (fd, value, len) != (ssize_t) len)
    return envrun_error_set (err, errno, "write `%s`", path);
  return 0;
}

static int
apply_scheduler (const struct envrun_scheduler *s, envrun_error_t *err)
{
  struct sched_param sp = { .sched_priority = s->priority };

  if (sched_setscheduler (0, s->policy_value, &sp) < 0)
    return envrun_error_set (err, errno, "process.scheduler.policy `%s`",
                             s->policy);
  if (s->nice && setpriority (PRIO_PROCESS, 0, s->nice) < 0)
    return envrun_error_set (err, errno, "process.scheduler.nice");
  return 0;
}

int
process_apply_limits (const struct envrun_process *p,
                      const struct envrun_config *cfg, envrun_error_t *err)
{
  for (size_t i = 0; i < p->n_rlimits; i++)
    {
      struct rlimit rl = { .rlim_cur = p->rlimits[i].soft,
                           .rlim_max = p->rlimits[i].hard };
      if (setrlimit (p->rlimits[i].resource, &rl) < 0)
        return envrun_error_set (err, errno, "process.rlimits[%zu] %s", i,
                                 p->rlimits[i].type);
    }
  if (p->has_oom_score_adj)
    {
      char v[16];
      snprintf (v, sizeof v, "%d", p->oom_score_adj);
      if (write_proc_file ("/proc/self/oom_score_adj", v, err) < 0)
        return envrun_error_prefix (err, "process.oomScoreAdj");
    }
  if (cfg->linux_ && cfg->linux_->personality)
    {
      unsigned long dom = strcmp (cfg->linux_->personality->domain,
                                  "LINUX32") == 0
                              ? PER_LINUX32
                              : PER_LINUX;
      if (personality (dom) < 0)
        return envrun_error_set (err, errno, "linux.personality");
    }
  if (p->scheduler && apply_scheduler (p->scheduler, err) < 0)
    return -1;
  if (p->io_priority
      && syscall (SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0,
                  (p->io_priority->class_value << 13)
                      | p->io_priority->priority)
             < 0)
    return envrun_error_set (err, errno, "process.ioPriority");
  return 0;
}

int
process_apply_sysctl (const struct envrun_config *cfg, envrun_error_t *err)
{
  cleanup_close int procsys = -1;

  if (cfg->linux_ == NULL || cfg->linux_->n_sysctl == 0)
    return 0;
  procsys = open ("/proc/sys", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (procsys < 0)
    return envrun_error_set (err, errno, "linux.sysctl: open /proc/sys");
  for (size_t i = 0; i < cfg->linux_->n_sysctl; i++)
    {
      const struct envrun_kv *kv = &cfg->linux_->sysctl[i];
      char rel[PATH_MAX];
      size_t j;
      for (j = 0; kv->key[j] && j < sizeof rel - 1; j++)
        rel[j] = kv->key[j] == '.' ? '/' : kv->key[j];
      rel[j] = '\0';
      cleanup_close int fd = safe_open_in_root (procsys, rel, O_WRONLY, err);
      size_t len = strlen (kv->value);
      if (fd < 0 || write (fd, kv->value, len) != (ssize_t) len)
        return envrun_error_set (err, errno, "linux.sysctl: set %s to `%s`",
                                 kv->key, kv->value);
    }
  return 0;
}

int
process_apply_uts (const struct envrun_config *cfg, bool new_uts,
                   envrun_error_t *err)
{
  if (cfg->hostname && cfg->hostname[0])
    {
      if (!new_uts)
        return envrun_error_set (err, EINVAL, "hostname requires a new uts "
                                              "namespace");
      if (sethostname (cfg->hostname, strlen (cfg->hostname)) < 0)
        return envrun_error_set (err, errno, "hostname `%s`", cfg->hostname);
    }
  if (cfg->domainname && cfg->domainname[0])
    {
      if (!new_uts)
        return envrun_error_set (err, EINVAL, "domainname requires a new uts "
                                              "namespace");
      if (setdomainname (cfg->domainname, strlen (cfg->domainname)) < 0)
        return envrun_error_set (err, errno, "domainname `%s`",
                                 cfg->domainname);
    }
  return 0;
}

int
process_apply_identity (const struct envrun_process *p, envrun_error_t *err)
{
  const struct envrun_user *u = &p->user;

  if (setgroups (u->n_additional_gids, u->additional_gids) < 0
      && !(errno == EPERM && u->n_additional_gids == 0))
    return envrun_error_set (err, errno, "process.user.additionalGids");
  if (setresgid (u->gid, u->gid, u->gid) < 0)
    return envrun_error_set (err, errno, "process.user.gid %u", u->gid);
  /* Keep the permitted set across the uid change; the configured sets are
     applied right after.  */
  if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return envrun_error_set (err, errno, "keep capabilities");
  if (setresuid (u->uid, u->uid, u->uid) < 0)
    return envrun_error_set (err, errno, "process.user.uid %u", u->uid);
  if (capabilities_apply (p->capabilities, err) < 0)
    return -1;
  if (prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return envrun_error_set (err, errno, "reset keep capabilities");
  if (u->has_umask)
    umask (u->umask);
  return 0;
}

static const char *
env_lookup (char *const *env, const char *key)
{
  size_t len = strlen (key);
  for (; env && *env; env++)
    if (strncmp (*env, key, len) == 0 && (*env)[len] == '=')
      return *env + len + 1;
  return NULL;
}

static int
check_executable (const char *path)
{
  struct stat st;

  if (stat (path, &st) < 0)
    return -1;
  if (S_ISDIR (st.st_mode))
    return errno = EACCES, -1;
  if (access (path, X_OK) < 0)
    return -1;
  return 0;
}

char *
process_find_program (const struct envrun_process *p, envrun_error_t *err)
{
  const char *prog = p->args[0];
  const char *path = env_lookup (p->env, "PATH");
  bool denied = false;

  if (strchr (prog, '/'))
    {
      if (check_executable (prog) < 0)
        return envrun_error_set (err, errno, "exec `%s`", prog), NULL;
      return strdup (prog);
    }
  for (const char *dir = path ? path : DEFAULT_PATH; dir;)
    {
      const char *colon = strchr (dir, ':');
      size_t len = colon ? (size_t) (colon - dir) : strlen (dir);
      char cand[PATH_MAX];
      snprintf (cand, sizeof cand, "%.*s/%s", (int) len, len ? dir : ".",
                prog);
      if (check_executable (cand) == 0)
        return strdup (cand);
      if (errno == EACCES)
        denied = true;
      dir = colon ? colon + 1 : NULL;
    }
  envrun_error_set (err, 0, "exec `%s`: %s", prog,
                    denied ? "permission denied"
                           : "executable file not found in $PATH");
  if (err && *err)
    (*err)->status = denied ? EACCES : ENOENT;
  return NULL;
}

int
process_close_fds (unsigned int preserve, envrun_error_t *err)
{
  unsigned int first = 3 + preserve;

  /* CVE-2024-21626: no fd of the runtime may reach the container.  */
  if (syscall (SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
    return 0;
  cleanup_dir DIR *d = opendir ("/proc/self/fd");
  if (d == NULL)
    return envrun_error_set (err, errno, "list open fds");
  for (struct dirent *de; (de = readdir (d));)
    {
      int fd = (int) strtol (de->d_name, NULL, 10);
      if (de->d_name[0] != '.' && fd >= (int) first && fd != dirfd (d))
        fcntl (fd, F_SETFD, FD_CLOEXEC);
    }
  return 0;
}
