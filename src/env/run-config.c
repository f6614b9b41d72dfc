/* The OCI configuration of an `env run`, generated as config.json text
   with the JSON module's generator and parsed back by the one config
   parser, so `env export --bundle` writes exactly what a run uses.
   Defaults (SPEC.md, "The environment face"): mount, pid, ipc, uts and
   cgroup namespaces; host network with resolv.conf and hosts bound
   read-only, or a new network namespace with --net none; tmpfs /tmp and
   /run; a private /dev/shm of half the memory limit (or RAM); the caller's
   cwd bound at the same path; Docker's default capabilities;
   no_new_privs; runc's masked and read-only paths; a built environment.  */
#include "config-host.h"

#include "env-internal.h"
#include "json.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* Docker's default set without CAP_MKNOD: with no new device nodes and the
   rootfs and binds mounted nodev, env run needs no device cgroup, so a run
   without limits joins no cgroup at all (SPEC: do no work the command did
   not ask for).  */
static const char *const default_caps[]
    = { "CAP_CHOWN",        "CAP_DAC_OVERRIDE", "CAP_FSETID",
        "CAP_FOWNER",       "CAP_NET_RAW",
        "CAP_SETGID",       "CAP_SETUID",       "CAP_SETFCAP",
        "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
        "CAP_KILL",         "CAP_AUDIT_WRITE",  NULL };

static const char *const masked_paths[]
    = { "/proc/acpi",          "/proc/asound",      "/proc/kcore",
        "/proc/keys",          "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats",   "/proc/sched_debug", "/sys/firmware",
        "/proc/scsi",          NULL };

static const char *const readonly_paths[]
    = { "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
        "/proc/sysrq-trigger", NULL };

static void
gen_list (struct json_gen *g, const char *key, const char *const *v)
{
  json_gen_key (g, key);
  json_gen_array_open (g);
  for (; *v; v++)
    json_gen_string (g, *v);
  json_gen_array_close (g);
}

static void
gen_mount (struct json_gen *g, const char *dst, const char *type,
           const char *src, const char *const *opts)
{
  json_gen_object_open (g);
  json_gen_kv_string (g, "destination", dst);
  json_gen_kv_string (g, "type", type);
  json_gen_kv_string (g, "source", src);
  gen_list (g, "options", opts);
  json_gen_object_close (g);
}

/* Half the memory limit, else half of RAM.  */
static uint64_t
shm_size (const struct envrun_env_run_options *o)
{
  struct sysinfo si;

  if (o->has_shm_size)
    return o->shm_size;
  if (o->has_memory && o->memory > 0)
    return (uint64_t) o->memory / 2;
  if (sysinfo (&si) == 0)
    return (uint64_t) si.totalram * si.mem_unit / 2;
  return 64u << 20;
}

static void
gen_bind (struct json_gen *g, const char *src, const char *dst, bool ro)
{
  const char *rw[] = { "rbind", "rprivate", "nodev", NULL };
  const char *rdonly[] = { "rbind", "rprivate", "ro", "nosuid", "nodev",
                           NULL };
  gen_mount (g, dst, "bind", src, ro ? rdonly : rw);
}

static void
gen_mounts (struct json_gen *g, const struct envrun_env_meta *m,
            const struct envrun_env_run_options *o, const char *cwd)
{
  char shm[64];
  const char *shm_opts[] = { "nosuid", "noexec", "nodev", "mode=1777", shm,
                             NULL };

  snprintf (shm, sizeof shm, "size=%" PRIu64, shm_size (o));
  json_gen_key (g, "mounts");
  json_gen_array_open (g);
  gen_mount (g, "/proc", "proc", "proc", (const char *[]){ NULL });
  gen_mount (g, "/dev", "tmpfs", "tmpfs",
             (const char *[]){ "nosuid", "strictatime", "mode=755",
                               "size=65536k", NULL });
  gen_mount (g, "/dev/pts", "devpts", "devpts",
             (const char *[]){ "nosuid", "noexec", "newinstance",
                               "ptmxmode=0666", "mode=0620", "gid=5", NULL });
  gen_mount (g, "/dev/shm", "tmpfs", "shm", shm_opts);
  gen_mount (g, "/dev/mqueue", "mqueue", "mqueue",
             (const char *[]){ "nosuid", "noexec", "nodev", NULL });
  gen_mount (g, "/sys", "sysfs", "sysfs",
             (const char *[]){ "nosuid", "noexec", "nodev", "ro", NULL });
  gen_mount (g, "/sys/fs/cgroup", "cgroup", "cgroup",
             (const char *[]){ "nosuid", "noexec", "nodev", "relatime", "ro",
                               NULL });
  gen_mount (g, "/tmp", "tmpfs", "tmpfs",
             (const char *[]){ "nosuid", "nodev", "mode=1777", NULL });
  gen_mount (g, "/run", "tmpfs", "tmpfs",
             (const char *[]){ "nosuid", "nodev", "mode=755", NULL });
  if (!o->net_none)
    {
      /* Host network: names must resolve as on the host.  */
      if (access ("/etc/resolv.conf", R_OK) == 0)
        gen_bind (g, "/etc/resolv.conf", "/etc/resolv.conf", true);
      if (access ("/etc/hosts", R_OK) == 0)
        gen_bind (g, "/etc/hosts", "/etc/hosts", true);
    }
  if (cwd)
    gen_bind (g, cwd, cwd, false);
  for (size_t i = 0; i < o->n_binds; i++)
    gen_bind (g, o->binds[i].source, o->binds[i].destination,
              o->binds[i].readonly);
  json_gen_array_close (g);
  (void) m;
}

/* K=V list with later keys replacing earlier ones.  */
static int
env_set (char ***v, size_t *n, const char *kv)
{
  size_t klen = strcspn (kv, "=");

  for (size_t i = 0; i < *n; i++)
    if (strncmp ((*v)[i], kv, klen) == 0 && (*v)[i][klen] == '=')
      {
        char *d = strdup (kv);
        if (d == NULL)
          return -1;
        free ((*v)[i]);
        (*v)[i] = d;
        return 0;
      }
  return env_strv_push (v, n, kv);
}

static int
parse_user (const char *s, unsigned long *uid, unsigned long *gid,
            envrun_error_t *err)
{
  char *end;

  errno = 0;
  *uid = strtoul (s, &end, 10);
  *gid = *uid;
  if (!errno && end != s && *end == ':')
    {
      const char *g = end + 1;
      *gid = strtoul (g, &end, 10);
      if (end == g)
        errno = EINVAL;
    }
  if (errno || end == s || *end || *uid > 0xfffffffe || *gid > 0xfffffffe)
    return envrun_error_set (err, EINVAL, "--user `%s`: expected a numeric "
                             "UID[:GID]", s);
  return 0;
}

static int
build_env (const struct envrun_env_meta *m,
           const struct envrun_env_run_options *o, unsigned long uid,
           const char *hostname, char ***env, size_t *n)
{
  char buf[512];

  if (env_set (env, n, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:"
                       "/usr/bin:/sbin:/bin") < 0
      || env_set (env, n, uid == 0 ? "HOME=/root" : "HOME=/") < 0)
    return -1;
  if (o->term)
    {
      snprintf (buf, sizeof buf, "TERM=%s", o->term);
      if (env_set (env, n, buf) < 0)
        return -1;
    }
  snprintf (buf, sizeof buf, "HOSTNAME=%s", hostname);
  if (env_set (env, n, buf) < 0 || env_set (env, n, "PYTHONNOUSERSITE=1") < 0)
    return -1;
  for (size_t i = 0; i < m->n_env; i++)
    if (strchr (m->env[i], '=') && env_set (env, n, m->env[i]) < 0)
      return -1;
  for (size_t i = 0; i < o->n_env; i++)
    if (env_set (env, n, o->env[i]) < 0)
      return -1;
  return 0;
}

static void
gen_process (struct json_gen *g, const struct envrun_env_meta *m,
             const struct envrun_env_run_options *o, char **env, size_t n_env,
             unsigned long uid, unsigned long gid, const char *cwd)
{
  struct rlimit nofile = { 1024, 1024 };

  getrlimit (RLIMIT_NOFILE, &nofile);
  json_gen_key (g, "process");
  json_gen_object_open (g);
  json_gen_kv_bool (g, "terminal", o->tty);
  json_gen_key (g, "user");
  json_gen_object_open (g);
  json_gen_kv_uint (g, "uid", uid);
  json_gen_kv_uint (g, "gid", gid);
  json_gen_object_close (g);
  json_gen_key (g, "args");
  json_gen_array_open (g);
  if (o->args && o->args[0])
    for (char **a = o->args; *a; a++)
      json_gen_string (g, *a);
  else if (m->n_entrypoint || m->n_cmd)
    {
      for (size_t i = 0; i < m->n_entrypoint; i++)
        json_gen_string (g, m->entrypoint[i]);
      for (size_t i = 0; i < m->n_cmd; i++)
        json_gen_string (g, m->cmd[i]);
    }
  else
    json_gen_string (g, "/bin/sh");
  json_gen_array_close (g);
  json_gen_key (g, "env");
  json_gen_array_open (g);
  for (size_t i = 0; i < n_env; i++)
    json_gen_string (g, env[i]);
  json_gen_array_close (g);
  json_gen_kv_string (g, "cwd", cwd);
  json_gen_key (g, "capabilities");
  json_gen_object_open (g);
  gen_list (g, "bounding", default_caps);
  gen_list (g, "effective", default_caps);
  gen_list (g, "permitted", default_caps);
  json_gen_object_close (g);
  json_gen_key (g, "rlimits");
  json_gen_array_open (g);
  json_gen_object_open (g);
  json_gen_kv_string (g, "type", "RLIMIT_NOFILE");
  json_gen_kv_uint (g, "hard", nofile.rlim_max);
  json_gen_kv_uint (g, "soft", nofile.rlim_cur);
  json_gen_object_close (g);
  json_gen_array_close (g);
  json_gen_kv_bool (g, "noNewPrivileges", true);
  json_gen_object_close (g);
}

static void
gen_resources (struct json_gen *g, const struct envrun_env_run_options *o,
               const struct stat *devs)
{
  /* Device rules only come with a cgroup made for a limit anyway.  */
  if (!o->has_memory && !(o->cpus > 0) && !(o->pids > 0))
    return;
  json_gen_key (g, "resources");
  json_gen_object_open (g);
  json_gen_key (g, "devices");
  json_gen_array_open (g);
  json_gen_object_open (g);
  json_gen_kv_bool (g, "allow", false);
  json_gen_kv_string (g, "access", "rwm");
  json_gen_object_close (g);
  for (size_t i = 0; i < o->n_devices; i++)
    {
      json_gen_object_open (g);
      json_gen_kv_bool (g, "allow", true);
      json_gen_kv_string (g, "type", S_ISBLK (devs[i].st_mode) ? "b" : "c");
      json_gen_kv_int (g, "major", major (devs[i].st_rdev));
      json_gen_kv_int (g, "minor", minor (devs[i].st_rdev));
      json_gen_kv_string (g, "access", "rwm");
      json_gen_object_close (g);
    }
  json_gen_array_close (g);
  if (o->has_memory)
    {
      json_gen_key (g, "memory");
      json_gen_object_open (g);
      json_gen_kv_int (g, "limit", o->memory);
      json_gen_object_close (g);
    }
  if (o->cpus > 0)
    {
      json_gen_key (g, "cpu");
      json_gen_object_open (g);
      json_gen_kv_int (g, "quota", (int64_t) (o->cpus * 100000));
      json_gen_kv_uint (g, "period", 100000);
      json_gen_object_close (g);
    }
  if (o->pids > 0)
    {
      json_gen_key (g, "pids");
      json_gen_object_open (g);
      json_gen_kv_int (g, "limit", o->pids);
      json_gen_object_close (g);
    }
  json_gen_object_close (g);
}

static void
gen_linux (struct json_gen *g, const struct envrun_env_run_options *o,
           const struct stat *devs)
{
  static const char *const ns[] = { "pid", "ipc", "uts", "mount", "cgroup",
                                    NULL };

  json_gen_key (g, "linux");
  json_gen_object_open (g);
  json_gen_key (g, "namespaces");
  json_gen_array_open (g);
  for (const char *const *n = ns; *n; n++)
    {
      json_gen_object_open (g);
      json_gen_kv_string (g, "type", *n);
      json_gen_object_close (g);
    }
  if (o->net_none)
    {
      json_gen_object_open (g);
      json_gen_kv_string (g, "type", "network");
      json_gen_object_close (g);
    }
  json_gen_array_close (g);
  json_gen_key (g, "devices");
  json_gen_array_open (g);
  for (size_t i = 0; i < o->n_devices; i++)
    {
      json_gen_object_open (g);
      json_gen_kv_string (g, "path", o->devices[i]);
      json_gen_kv_string (g, "type", S_ISBLK (devs[i].st_mode) ? "b" : "c");
      json_gen_kv_int (g, "major", major (devs[i].st_rdev));
      json_gen_kv_int (g, "minor", minor (devs[i].st_rdev));
      json_gen_kv_uint (g, "fileMode", devs[i].st_mode & 0777);
      json_gen_kv_uint (g, "uid", devs[i].st_uid);
      json_gen_kv_uint (g, "gid", devs[i].st_gid);
      json_gen_object_close (g);
    }
  json_gen_array_close (g);
  gen_resources (g, o, devs);
  gen_list (g, "maskedPaths", masked_paths);
  gen_list (g, "readonlyPaths", readonly_paths);
  /* TODO(seccomp): the default profile is attached to the parsed config by
     envrun_env_run (seccomp_default_profile); it is not in this text, so an
     exported bundle runs without it until the profile has a JSON form the
     generator can copy.  */
  json_gen_object_close (g);
}

static int
stat_devices (const struct envrun_env_run_options *o, struct stat **out,
              envrun_error_t *err)
{
  struct stat *devs = calloc (o->n_devices + 1, sizeof *devs);

  if (devs == NULL)
    return envrun_error_set (err, ENOMEM, "devices");
  for (size_t i = 0; i < o->n_devices; i++)
    {
      if (o->devices[i][0] != '/')
        {
          free (devs);
          return envrun_error_set (err, ENOTSUP, "--device %s: CDI device "
                                   "names are not supported yet; give a "
                                   "host device path", o->devices[i]);
        }
      if (stat (o->devices[i], &devs[i]) < 0
          || !(S_ISCHR (devs[i].st_mode) || S_ISBLK (devs[i].st_mode)))
        {
          int e = errno;
          bool missing = e == ENOENT || e == EACCES;
          free (devs);
          return envrun_error_set (err, missing ? e : 0,
                                   "--device %s: not a device node",
                                   o->devices[i]);
        }
    }
  *out = devs;
  return 0;
}

int
envrun_env_build_config (const struct envrun_env_meta *meta,
                         const struct envrun_env_run_options *o,
                         const char *rootfs, char **out, envrun_error_t *err)
{
  cleanup_strv char **env = NULL;
  cleanup_free struct stat *devs = NULL;
  const char *hostname = o->hostname ? o->hostname : meta->name;
  const char *user = o->user ? o->user : meta->user;
  const char *cwd = NULL, *start;
  unsigned long uid = 0, gid = 0;
  struct json_gen *g;
  size_t n_env = 0, len;
  int ret;

  if (user && parse_user (user, &uid, &gid, err) < 0)
    return -1;
  if (stat_devices (o, &devs, err) < 0)
    return -1;
  if (!o->no_cwd && o->cwd && o->cwd[0] == '/' && strcmp (o->cwd, "/") != 0)
    cwd = o->cwd;
  start = o->workdir ? o->workdir : cwd ? cwd : meta->workdir ? meta->workdir
                                                              : "/";
  if (build_env (meta, o, uid, hostname, &env, &n_env) < 0)
    return envrun_error_set (err, ENOMEM, "environment");
  g = json_gen_new (true);
  json_gen_object_open (g);
  json_gen_kv_string (g, "ociVersion", "1.2.0");
  gen_process (g, meta, o, env, n_env, uid, gid, start);
  json_gen_key (g, "root");
  json_gen_object_open (g);
  json_gen_kv_string (g, "path", rootfs);
  json_gen_kv_bool (g, "readonly", o->read_only);
  json_gen_object_close (g);
  json_gen_kv_string (g, "hostname", hostname);
  gen_mounts (g, meta, o, cwd);
  gen_linux (g, o, devs);
  json_gen_object_close (g);
  ret = json_gen_finish (g, out, &len, err);
  json_gen_free (g);
  return ret < 0 ? envrun_error_prefix (err, "env run configuration") : 0;
}
