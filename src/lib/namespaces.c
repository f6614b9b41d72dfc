/* Namespace creation, joining and id maps (see namespaces.h).  */
#include "config-host.h"

#include "cleanup.h"
#include "namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

int
ns_new_flags (const struct envrun_config *cfg)
{
  int flags = 0;

  if (cfg->linux_ == NULL)
    return 0;
  for (size_t i = 0; i < cfg->linux_->n_namespaces; i++)
    if (cfg->linux_->namespaces[i].path == NULL)
      flags |= cfg->linux_->namespaces[i].clone_flag;
  return flags;
}

void
ns_close_paths (int fds[ENVRUN_NS_COUNT])
{
  for (int i = 0; i < ENVRUN_NS_COUNT; i++)
    if (fds[i] >= 0)
      {
        close (fds[i]);
        fds[i] = -1;
      }
}

int
ns_open_paths (const struct envrun_config *cfg, int fds[ENVRUN_NS_COUNT],
               envrun_error_t *err)
{
  for (int i = 0; i < ENVRUN_NS_COUNT; i++)
    fds[i] = -1;
  if (cfg->linux_ == NULL)
    return 0;
  for (size_t i = 0; i < cfg->linux_->n_namespaces; i++)
    {
      const struct envrun_namespace *ns = &cfg->linux_->namespaces[i];
      if (ns->path == NULL)
        continue;
      fds[ns->type] = open (ns->path, O_RDONLY | O_CLOEXEC);
      if (fds[ns->type] < 0)
        {
          int e = errno;
          ns_close_paths (fds);
          return envrun_error_set (err, e, "linux.namespaces[%zu].path `%s`",
                                   i, ns->path);
        }
    }
  return 0;
}

int
ns_join (int fds[ENVRUN_NS_COUNT], envrun_error_t *err)
{
  /* The user namespace first: joining it grants the capabilities needed to
     join the others it owns.  */
  static const enum envrun_ns_type order[]
      = { ENVRUN_NS_USER,  ENVRUN_NS_PID, ENVRUN_NS_NETWORK,
          ENVRUN_NS_IPC,   ENVRUN_NS_UTS, ENVRUN_NS_CGROUP,
          ENVRUN_NS_TIME,  ENVRUN_NS_MOUNT };

  for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
    {
      int fd = fds[order[i]];
      if (fd < 0)
        continue;
      if (setns (fd, 0) < 0)
        return envrun_error_set (err, errno, "join the %s namespace",
                                 envrun_ns_type_name (order[i]));
      close (fd);
      fds[order[i]] = -1;
    }
  return 0;
}

static int
write_map (pid_t pid, const char *file,
           const struct envrun_id_mapping *maps, size_t n,
           envrun_error_t *err)
{
  char path[64];
  char *buf = NULL;
  size_t size = 0;
  FILE *mem = open_memstream (&buf, &size);
  cleanup_close int fd = -1;
  int ret = 0;

  if (mem == NULL)
    return envrun_error_set (err, errno, "%s", file);
  for (size_t i = 0; i < n; i++)
    fprintf (mem, "%u %u %u\n", maps[i].container_id, maps[i].host_id,
             maps[i].size);
  fclose (mem);
  snprintf (path, sizeof path, "/proc/%d/%s", pid, file);
  fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write (fd, buf, size) != (ssize_t) size)
    ret = envrun_error_set (err, errno, "write %s", path);
  free (buf);
  return ret;
}

/* Ranges beyond one's own id need the setuid helpers from uidmap, which
   check /etc/subuid and /etc/subgid.  */
static int
run_map_helper (const char *helper, pid_t pid,
                const struct envrun_id_mapping *maps, size_t n,
                envrun_error_t *err)
{
  char **argv = calloc (2 + 3 * n + 1, sizeof *argv);
  char pidbuf[16];
  int status, ret = 0;

  if (argv == NULL)
    return envrun_error_set (err, ENOMEM, "%s", helper);
  snprintf (pidbuf, sizeof pidbuf, "%d", pid);
  argv[0] = (char *) helper;
  argv[1] = pidbuf;
  for (size_t i = 0; i < n; i++)
    if (asprintf (&argv[2 + 3 * i], "%u", maps[i].container_id) < 0
        || asprintf (&argv[3 + 3 * i], "%u", maps[i].host_id) < 0
        || asprintf (&argv[4 + 3 * i], "%u", maps[i].size) < 0)
      ret = envrun_error_set (err, ENOMEM, "%s", helper);
  pid_t child = ret == 0 ? fork () : -1;
  if (child == 0)
    {
      execvp (helper, argv);
      _exit (127);
    }
  if (ret == 0 && (child < 0 || waitpid (child, &status, 0) < 0
                   || !WIFEXITED (status) || WEXITSTATUS (status) != 0))
    ret = envrun_error_set (err, 0, "%s failed: check /etc/sub%cid for "
                            "the id ranges of linux.%cidMappings",
                            helper, helper[3], helper[3]);
  for (size_t i = 2; i < 2 + 3 * n; i++)
    free (argv[i]);
  free (argv);
  return ret;
}

/* An unprivileged runtime may map its own id alone, and must give up
   setgroups before writing a gid map.  */
static bool
only_self (const struct envrun_id_mapping *maps, size_t n, unsigned int id)
{
  return n == 1 && maps[0].size == 1 && maps[0].host_id == id;
}

static int
write_maps_unprivileged (pid_t pid, const struct envrun_linux *l,
                         envrun_error_t *err)
{
  char path[64];

  if (only_self (l->uid_mappings, l->n_uid_mappings, geteuid ()))
    {
      if (write_map (pid, "uid_map", l->uid_mappings, l->n_uid_mappings, err)
          < 0)
        return -1;
    }
  else if (run_map_helper ("newuidmap", pid, l->uid_mappings,
                           l->n_uid_mappings, err)
           < 0)
    return -1;
  if (!only_self (l->gid_mappings, l->n_gid_mappings, getegid ()))
    return run_map_helper ("newgidmap", pid, l->gid_mappings,
                           l->n_gid_mappings, err);
  snprintf (path, sizeof path, "/proc/%d/setgroups", pid);
  cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write (fd, "deny", 4) != 4)
    return envrun_error_set (err, errno, "write %s", path);
  return write_map (pid, "gid_map", l->gid_mappings, l->n_gid_mappings, err);
}

int
ns_write_id_maps (pid_t pid, const struct envrun_config *cfg,
                  envrun_error_t *err)
{
  const struct envrun_linux *l = cfg->linux_;

  if (l == NULL)
    return 0;
  if (geteuid () != 0)
    return write_maps_unprivileged (pid, l, err);
  if (l->n_uid_mappings
      && write_map (pid, "uid_map", l->uid_mappings, l->n_uid_mappings, err)
             < 0)
    return -1;
  if (l->n_gid_mappings
      && write_map (pid, "gid_map", l->gid_mappings, l->n_gid_mappings, err)
             < 0)
    return -1;
  return 0;
}

int
ns_write_time_offsets (const struct envrun_config *cfg, envrun_error_t *err)
{
  const struct envrun_linux *l = cfg->linux_;
  cleanup_close int fd = -1;

  if (l == NULL || l->n_time_offsets == 0)
    return 0;
  fd = open ("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return envrun_error_set (err, errno, "open /proc/self/timens_offsets");
  for (size_t i = 0; i < l->n_time_offsets; i++)
    {
      char line[128];
      int n = snprintf (line, sizeof line, "%s %lld %u\n",
                        l->time_offsets[i].clock,
                        (long long) l->time_offsets[i].secs,
                        l->time_offsets[i].nanosecs);
      if (write (fd, line, (size_t) n) != n)
        return envrun_error_set (err, errno,
                                 "linux.timeOffsets.%s: write offset",
                                 l->time_offsets[i].clock);
    }
  return 0;
}

static bool
has_ns (const struct envrun_config *cfg, enum envrun_ns_type t)
{
  return envrun_config_namespace (cfg, t) != NULL;
}

static bool
is_ipc_sysctl (const char *k)
{
  static const char *const names[]
      = { "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
          "kernel.shmall", "kernel.shmmax", "kernel.shmmni",
          "kernel.shm_rmid_forced" };
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp (k, names[i]) == 0)
      return true;
  return strncmp (k, "fs.mqueue.", 10) == 0;
}

/* A sysctl is written in the container's /proc/sys: it must belong to a
   namespace the container has of its own, or it would change the host
   (runc's rule).  */
int
ns_validate_sysctls (const struct envrun_config *cfg, envrun_error_t *err)
{
  const struct envrun_linux *l = cfg->linux_;

  for (size_t i = 0; l && i < l->n_sysctl; i++)
    {
      const char *k = l->sysctl[i].key;
      bool ok;
      if (is_ipc_sysctl (k))
        ok = has_ns (cfg, ENVRUN_NS_IPC);
      else if (strncmp (k, "net.", 4) == 0)
        ok = has_ns (cfg, ENVRUN_NS_NETWORK);
      else if (strcmp (k, "kernel.hostname") == 0
               || strcmp (k, "kernel.domainname") == 0)
        ok = has_ns (cfg, ENVRUN_NS_UTS);
      else
        return envrun_error_set (err, EINVAL,
                                 "config.json: .linux.sysctl.%s: not in a "
                                 "namespace of the container's own",
                                 k);
      if (!ok)
        return envrun_error_set (err, EINVAL,
                                 "config.json: .linux.sysctl.%s: needs the "
                                 "container's own %s namespace",
                                 k,
                                 strncmp (k, "net.", 4) == 0 ? "network"
                                 : strncmp (k, "kernel.h", 8) == 0
                                         || strncmp (k, "kernel.d", 8) == 0
                                     ? "uts"
                                     : "ipc");
    }
  return 0;
}
