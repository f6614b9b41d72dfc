/* The OCI configuration of an `env run`, generated as config.json text
   with the JSON module's generator and parsed back by the one config
   parser, so `env export --bundle` writes exactly what a run uses.
   Defaults (SPEC.md, "The environment face"): mount, pid, ipc, uts and
   cgroup namespaces; host network with resolv.conf and hosts bound
   read-only, or a new network namespace with --net none; tmpfs /tmp and
   /run; a private /dev/shm of half the memory limit (or RAM); the caller's
   cwd bound at the same path; Docker's default capabilities;
   no_new_privs; runc's masked and read-only paths; a built environment.
   CDI devices (--device vendor.com/class=name, --gpus) add their device
   nodes, environment, mounts, hooks and groups.  */
#include "config-host.h"

#include "cdi.h"
#include "env-internal.h"
#include "json.h"
#include "seccomp.h"

#include <errno.h>
#include <fcntl.h>
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

/* What a run resolves before generating: its user and its devices.  */
struct run_plan
{
  struct envrun_env_user user;
  struct cdi_registry *cdi;
  const struct cdi_edits **edits; /* borrowed from cdi */
  size_t n_edits;
  struct cdi_node_info *nodes; /* --device paths, then CDI device nodes */
  size_t n_nodes;
};

static void
run_plan_free (struct run_plan *p)
{
  envrun_env_user_free (&p->user);
  free (p->edits);
  cdi_registry_free (p->cdi);
  free (p->nodes);
}

static void
gen_mount (struct json_gen *g, const char *dst, const char *type,
           const char *src, const char *const *opts)
{
  json_gen_object_open (g);
  json_gen_kv_string (g, "destination", dst);
  json_gen_kv_string (g, "type", type);
  json_gen_kv_string (g, "source", src);
  json_gen_kv_strv (g, "options", opts);
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

/* A CDI mount: a bind unless the spec says otherwise, never a
   device-honouring one (the device nodes come as linux.devices).  */
static void
gen_cdi_mount (struct json_gen *g, const struct cdi_mount *m)
{
  bool bind = m->type == NULL || strcmp (m->type, "bind") == 0;
  bool has_bind = false;

  for (char **opt = m->options; opt && *opt; opt++)
    has_bind |= strcmp (*opt, "bind") == 0 || strcmp (*opt, "rbind") == 0;
  json_gen_object_open (g);
  json_gen_kv_string (g, "destination", m->container_path);
  json_gen_kv_string (g, "type", bind ? "bind" : m->type);
  json_gen_kv_string (g, "source", m->host_path);
  json_gen_key (g, "options");
  json_gen_array_open (g);
  if (bind && !has_bind)
    json_gen_string (g, "rbind");
  for (char **opt = m->options; opt && *opt; opt++)
    json_gen_string (g, *opt);
  json_gen_string (g, "nodev");
  json_gen_array_close (g);
  json_gen_object_close (g);
}

static void
gen_mounts (struct json_gen *g, const struct envrun_env_meta *m,
            const struct envrun_env_run_options *o, const char *cwd,
            const struct run_plan *p)
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
  for (size_t e = 0; e < p->n_edits; e++)
    for (size_t i = 0; i < p->edits[e]->n_mounts; i++)
      gen_cdi_mount (g, &p->edits[e]->mounts[i]);
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
           const struct envrun_env_run_options *o, const struct run_plan *p,
           const char *hostname, char ***env, size_t *n)
{
  char buf[512];

  if (p->user.home)
    snprintf (buf, sizeof buf, "HOME=%s", p->user.home);
  else
    snprintf (buf, sizeof buf, "HOME=%s", p->user.uid == 0 ? "/root" : "/");
  if (env_set (env, n, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:"
                       "/usr/bin:/sbin:/bin") < 0
      || env_set (env, n, buf) < 0)
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
  /* The devices' variables, then the caller's -e, which win.  */
  for (size_t e = 0; e < p->n_edits; e++)
    for (size_t i = 0; i < p->edits[e]->n_env; i++)
      if (env_set (env, n, p->edits[e]->env[i]) < 0)
        return -1;
  for (size_t i = 0; i < o->n_env; i++)
    if (env_set (env, n, o->env[i]) < 0)
      return -1;
  return 0;
}

static bool
gid_listed (const uint32_t *v, size_t n, uint32_t gid)
{
  for (size_t i = 0; i < n; i++)
    if (v[i] == gid)
      return true;
  return false;
}

/* uid, gid and the additional groups: the user's from /etc/group, then
   the CDI devices' additionalGids, each once.  */
static void
gen_user (struct json_gen *g, const struct run_plan *p)
{
  const struct envrun_env_user *u = &p->user;
  bool any = u->n_groups > 0;

  json_gen_key (g, "user");
  json_gen_object_open (g);
  json_gen_kv_uint (g, "uid", u->uid);
  json_gen_kv_uint (g, "gid", u->gid);
  for (size_t e = 0; e < p->n_edits; e++)
    any |= p->edits[e]->n_gids > 0;
  if (any)
    {
      json_gen_key (g, "additionalGids");
      json_gen_array_open (g);
      for (size_t i = 0; i < u->n_groups; i++)
        if (u->groups[i] != u->gid && !gid_listed (u->groups, i, u->groups[i]))
          json_gen_uint (g, u->groups[i]);
      for (size_t e = 0; e < p->n_edits; e++)
        for (size_t i = 0; i < p->edits[e]->n_gids; i++)
          {
            uint32_t gid = p->edits[e]->gids[i];
            if (gid != u->gid && !gid_listed (u->groups, u->n_groups, gid)
                && !gid_listed (p->edits[e]->gids, i, gid))
              json_gen_uint (g, gid);
          }
      json_gen_array_close (g);
    }
  json_gen_object_close (g);
}

static void
gen_process (struct json_gen *g, const struct envrun_env_meta *m,
             const struct envrun_env_run_options *o, char **env, size_t n_env,
             const struct run_plan *p, const char *cwd)
{
  struct rlimit nofile = { 1024, 1024 };

  getrlimit (RLIMIT_NOFILE, &nofile);
  json_gen_key (g, "process");
  json_gen_object_open (g);
  json_gen_kv_bool (g, "terminal", o->tty);
  gen_user (g, p);
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
  json_gen_kv_strv (g, "bounding", default_caps);
  json_gen_kv_strv (g, "effective", default_caps);
  json_gen_kv_strv (g, "permitted", default_caps);
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
               const struct run_plan *p)
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
  for (size_t i = 0; i < p->n_nodes; i++)
    {
      const struct cdi_node_info *d = &p->nodes[i];
      if (d->type == 'p')
        continue; /* a FIFO is not under the device controller */
      json_gen_object_open (g);
      json_gen_kv_bool (g, "allow", true);
      json_gen_kv_string (g, "type", d->type == 'b' ? "b" : "c");
      json_gen_kv_int (g, "major", d->major);
      json_gen_kv_int (g, "minor", d->minor);
      json_gen_kv_string (g, "access", d->access);
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
gen_device (struct json_gen *g, const struct cdi_node_info *d)
{
  char type[2] = { d->type, '\0' };

  json_gen_object_open (g);
  json_gen_kv_string (g, "path", d->path);
  json_gen_kv_string (g, "type", type);
  if (d->type != 'p')
    {
      json_gen_kv_int (g, "major", d->major);
      json_gen_kv_int (g, "minor", d->minor);
    }
  if (d->has_file_mode)
    json_gen_kv_uint (g, "fileMode", d->file_mode);
  if (d->has_uid)
    json_gen_kv_uint (g, "uid", d->uid);
  if (d->has_gid)
    json_gen_kv_uint (g, "gid", d->gid);
  json_gen_object_close (g);
}

static void
gen_linux (struct json_gen *g, const struct envrun_env_run_options *o,
           const struct run_plan *p)
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
  for (size_t i = 0; i < p->n_nodes; i++)
    gen_device (g, &p->nodes[i]);
  json_gen_array_close (g);
  gen_resources (g, o, p);
  json_gen_kv_strv (g, "maskedPaths", masked_paths);
  json_gen_kv_strv (g, "readonlyPaths", readonly_paths);
  /* The default profile travels in the text, so `env export --bundle`
     carries it too.  */
  json_gen_key (g, "seccomp");
  json_gen_raw (g, seccomp_default_json, seccomp_default_json_len);
  json_gen_object_close (g);
}

static void
gen_hooks (struct json_gen *g, const struct run_plan *p)
{
  static const char *const kinds[]
      = { "prestart",       "createRuntime", "createContainer",
          "startContainer", "poststart",     "poststop",        NULL };
  size_t total = 0;

  for (size_t e = 0; e < p->n_edits; e++)
    total += p->edits[e]->n_hooks;
  if (total == 0)
    return;
  json_gen_key (g, "hooks");
  json_gen_object_open (g);
  for (const char *const *k = kinds; *k; k++)
    {
      bool open = false;
      for (size_t e = 0; e < p->n_edits; e++)
        for (size_t i = 0; i < p->edits[e]->n_hooks; i++)
          {
            const struct cdi_hook *h = &p->edits[e]->hooks[i];
            if (strcmp (h->hook_name, *k) != 0)
              continue;
            if (!open)
              {
                json_gen_key (g, *k);
                json_gen_array_open (g);
                open = true;
              }
            json_gen_object_open (g);
            json_gen_kv_string (g, "path", h->path);
            if (h->args)
              json_gen_kv_strv (g, "args", (const char *const *) h->args);
            if (h->env)
              json_gen_kv_strv (g, "env", (const char *const *) h->env);
            if (h->has_timeout)
              json_gen_kv_int (g, "timeout", h->timeout);
            json_gen_object_close (g);
          }
      if (open)
        json_gen_array_close (g);
    }
  json_gen_object_close (g);
}

/* --device PATH: a host device node, given as it is on the host.  */
static int
host_device (const char *path, struct cdi_node_info *d, envrun_error_t *err)
{
  struct stat st;

  if (stat (path, &st) < 0 || !(S_ISCHR (st.st_mode) || S_ISBLK (st.st_mode)))
    {
      int e = errno;
      bool missing = e == ENOENT || e == EACCES;
      return envrun_error_set (err, missing ? e : 0,
                               "--device %s: not a device node", path);
    }
  *d = (struct cdi_node_info){
    .path = path, .type = S_ISBLK (st.st_mode) ? 'b' : 'c',
    .major = major (st.st_rdev), .minor = minor (st.st_rdev),
    .has_file_mode = true, .file_mode = st.st_mode & 0777,
    .has_uid = true, .uid = st.st_uid, .has_gid = true, .gid = st.st_gid,
    .access = "rwm"
  };
  return 0;
}

static int
resolve_cdi (const struct envrun_env_run_options *o, struct run_plan *p,
             envrun_error_t *err)
{
  cleanup_strv char **names = NULL;
  const char *dirs = o->cdi_dirs;
  size_t n = 0;

  if (cdi_requested_names (o, &names, &n, err) < 0)
    return -1;
  if (n == 0)
    return 0;
  if (dirs == NULL)
    dirs = secure_getenv ("ENVRUN_CDI_DIRS");
  if (cdi_registry_load (dirs, &p->cdi, err) < 0
      || cdi_resolve (p->cdi, names, n, &p->edits, &p->n_edits, err) < 0)
    return o->gpus_from_env && o->gpus && n
               ? envrun_error_prefix (err, "NVIDIA_VISIBLE_DEVICES=%s",
                                      o->gpus)
               : -1;
  return 0;
}

static int
collect_devices (const struct envrun_env_run_options *o, struct run_plan *p,
                 envrun_error_t *err)
{
  size_t total = o->n_devices;

  if (resolve_cdi (o, p, err) < 0)
    return -1;
  for (size_t e = 0; e < p->n_edits; e++)
    total += p->edits[e]->n_nodes;
  p->nodes = calloc (total + 1, sizeof *p->nodes);
  if (p->nodes == NULL)
    return envrun_error_set (err, ENOMEM, "devices");
  for (size_t i = 0; i < o->n_devices; i++)
    if (!cdi_is_name (o->devices[i]))
      {
        if (o->devices[i][0] != '/')
          return envrun_error_set (err, EINVAL, "--device %s: expected a "
                                   "device path or a CDI name "
                                   "vendor.com/class=name", o->devices[i]);
        if (host_device (o->devices[i], &p->nodes[p->n_nodes], err) < 0)
          return -1;
        p->n_nodes++;
      }
  for (size_t e = 0; e < p->n_edits; e++)
    for (size_t i = 0; i < p->edits[e]->n_nodes; i++)
      if (cdi_node_complete (&p->edits[e]->nodes[i], &p->nodes[p->n_nodes++],
                             err) < 0)
        return -1;
  return 0;
}

/* The user: names resolved in the environment's own files; a numeric
   user needs no files (an exported bundle's relative rootfs).  */
static int
resolve_user (const char *spec, const char *root, struct run_plan *p,
              envrun_error_t *err)
{
  cleanup_close int rootfd = -1;
  unsigned long uid, gid;

  if (spec == NULL)
    return 0;
  /* A relative rootfs (export's "rootfs") is not this environment's files
     seen from here.  */
  if (root[0] == '/')
    rootfd = open (root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd >= 0)
    return envrun_env_resolve_user (rootfd, spec, &p->user, err);
  if (parse_user (spec, &uid, &gid, NULL) < 0)
    return envrun_error_set (err, errno, "--user %s: cannot read the "
                             "environment's /etc/passwd at %s", spec, root);
  p->user.uid = uid;
  p->user.gid = gid;
  return 0;
}

static int
generate (const struct envrun_env_meta *meta,
          const struct envrun_env_run_options *o, const char *rootfs,
          const struct run_plan *p, char **out, envrun_error_t *err)
{
  cleanup_strv char **env = NULL;
  const char *hostname = o->hostname ? o->hostname : meta->name;
  const char *cwd = NULL, *start;
  struct json_gen *g;
  size_t n_env = 0, len;
  int ret;

  if (!o->no_cwd && o->cwd && o->cwd[0] == '/' && strcmp (o->cwd, "/") != 0)
    cwd = o->cwd;
  start = o->workdir ? o->workdir : cwd ? cwd : meta->workdir ? meta->workdir
                                                              : "/";
  if (build_env (meta, o, p, hostname, &env, &n_env) < 0)
    return envrun_error_set (err, ENOMEM, "environment");
  g = json_gen_new (true);
  json_gen_object_open (g);
  json_gen_kv_string (g, "ociVersion", "1.2.0");
  gen_process (g, meta, o, env, n_env, p, start);
  json_gen_key (g, "root");
  json_gen_object_open (g);
  json_gen_kv_string (g, "path", rootfs);
  json_gen_kv_bool (g, "readonly", o->read_only);
  json_gen_object_close (g);
  json_gen_kv_string (g, "hostname", hostname);
  gen_mounts (g, meta, o, cwd, p);
  gen_hooks (g, p);
  gen_linux (g, o, p);
  json_gen_object_close (g);
  ret = json_gen_finish (g, out, &len, err);
  json_gen_free (g);
  return ret;
}

int
envrun_env_build_config (const struct envrun_env_meta *meta,
                         const struct envrun_env_run_options *o,
                         const char *rootfs, char **out, envrun_error_t *err)
{
  struct run_plan p = { 0 };
  const char *user = o->user ? o->user : meta->user;
  int ret;

  ret = resolve_user (user, o->user_root ? o->user_root : rootfs, &p, err);
  if (ret == 0)
    ret = collect_devices (o, &p, err);
  if (ret == 0 && generate (meta, o, rootfs, &p, out, err) < 0)
    ret = envrun_error_prefix (err, "env run configuration");
  run_plan_free (&p);
  /* A configuration failure is envrun's (125), never "the command could
     not be executed" (126/127), whatever errno it carries.  */
  if (ret < 0 && err && *err)
    (*err)->status = 0;
  return ret < 0 ? -1 : 0;
}
