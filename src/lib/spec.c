/* `spec`: the default config.json, the same defaults `runc spec` writes
   (runc 1.1), so a bundle made by either runtime runs on the other.  The
   field order follows runc's Go structs, so the text matches too.  */
#include "config-host.h"

#include "json.h"

#include <envrun/spec.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

static void
cleanup_json_genp (struct json_gen **g)
{
  json_gen_free (*g);
}

static const char *const spec_env[] = {
  "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  "TERM=xterm",
  NULL,
};

/* runc's default: the three capabilities a shell needs to be useful
   without being dangerous.  */
static const char *const spec_caps[] = {
  "CAP_AUDIT_WRITE",
  "CAP_KILL",
  "CAP_NET_BIND_SERVICE",
  NULL,
};

static const char *const spec_masked_paths[] = {
  "/proc/acpi",
  "/proc/asound",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/sys/firmware",
  "/proc/scsi",
  NULL,
};

static const char *const spec_readonly_paths[] = {
  "/proc/bus",           "/proc/fs", "/proc/irq", "/proc/sys",
  "/proc/sysrq-trigger", NULL,
};

struct spec_mount
{
  const char *destination, *type, *source;
  const char *options[8];
};

/* Index of /dev/pts and /sys, which rootless changes.  */
enum
{
  SPEC_MOUNT_DEVPTS = 2,
  SPEC_MOUNT_SYS = 5
};

static const struct spec_mount spec_mounts[] = {
  { "/proc", "proc", "proc", { NULL } },
  { "/dev",
    "tmpfs",
    "tmpfs",
    { "nosuid", "strictatime", "mode=755", "size=65536k", NULL } },
  { "/dev/pts",
    "devpts",
    "devpts",
    { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5",
      NULL } },
  { "/dev/shm",
    "tmpfs",
    "shm",
    { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL } },
  { "/dev/mqueue", "mqueue", "mqueue", { "nosuid", "noexec", "nodev", NULL } },
  { "/sys", "sysfs", "sysfs", { "nosuid", "noexec", "nodev", "ro", NULL } },
  { "/sys/fs/cgroup",
    "cgroup",
    "cgroup",
    { "nosuid", "noexec", "nodev", "relatime", "ro", NULL } },
};

/* Rootless: sysfs cannot be mounted without owning the network namespace,
   so the host's /sys is bound instead; devpts cannot use a gid that is
   not mapped.  */
static const struct spec_mount spec_rootless_sys = {
  "/sys", "none", "/sys", { "rbind", "nosuid", "noexec", "nodev", "ro", NULL }
};

static void
spec_process (struct json_gen *g)
{
  static const char *const args[] = { "sh", NULL };

  json_gen_key (g, "process");
  json_gen_object_open (g);
  json_gen_kv_bool (g, "terminal", true);
  json_gen_key (g, "user");
  json_gen_object_open (g);
  json_gen_kv_uint (g, "uid", 0);
  json_gen_kv_uint (g, "gid", 0);
  json_gen_object_close (g);
  json_gen_kv_strv (g, "args", args);
  json_gen_kv_strv (g, "env", spec_env);
  json_gen_kv_string (g, "cwd", "/");
  json_gen_key (g, "capabilities");
  json_gen_object_open (g);
  json_gen_kv_strv (g, "bounding", spec_caps);
  json_gen_kv_strv (g, "effective", spec_caps);
  json_gen_kv_strv (g, "permitted", spec_caps);
  json_gen_kv_strv (g, "ambient", spec_caps);
  json_gen_object_close (g);
  json_gen_key (g, "rlimits");
  json_gen_array_open (g);
  json_gen_object_open (g);
  json_gen_kv_string (g, "type", "RLIMIT_NOFILE");
  json_gen_kv_uint (g, "hard", 1024);
  json_gen_kv_uint (g, "soft", 1024);
  json_gen_object_close (g);
  json_gen_array_close (g);
  json_gen_kv_bool (g, "noNewPrivileges", true);
  json_gen_object_close (g);
}

static void
spec_mount (struct json_gen *g, const struct spec_mount *m, bool rootless)
{
  json_gen_object_open (g);
  json_gen_kv_string (g, "destination", m->destination);
  json_gen_kv_string (g, "type", m->type);
  json_gen_kv_string (g, "source", m->source);
  if (m->options[0])
    {
      json_gen_key (g, "options");
      json_gen_array_open (g);
      for (const char *const *o = m->options; *o; o++)
        if (!(rootless && strcmp (*o, "gid=5") == 0))
          json_gen_string (g, *o);
      json_gen_array_close (g);
    }
  json_gen_object_close (g);
}

static void
spec_mounts_gen (struct json_gen *g, bool rootless)
{
  json_gen_key (g, "mounts");
  json_gen_array_open (g);
  for (size_t i = 0; i < sizeof spec_mounts / sizeof spec_mounts[0]; i++)
    {
      if (rootless && i == SPEC_MOUNT_SYS)
        spec_mount (g, &spec_rootless_sys, rootless);
      else
        spec_mount (g, &spec_mounts[i], rootless);
    }
  json_gen_array_close (g);
}

static void
spec_id_mapping (struct json_gen *g, const char *key, unsigned int host_id)
{
  json_gen_key (g, key);
  json_gen_array_open (g);
  json_gen_object_open (g);
  json_gen_kv_uint (g, "containerID", 0);
  json_gen_kv_uint (g, "hostID", host_id);
  json_gen_kv_uint (g, "size", 1);
  json_gen_object_close (g);
  json_gen_array_close (g);
}

static void
spec_linux (struct json_gen *g, bool rootless)
{
  /* Rootless: no network namespace (the caller cannot configure one
     usefully), a user namespace instead, and no device cgroup (not
     delegated to an unprivileged user).  */
  static const char *const ns[]
      = { "pid", "network", "ipc", "uts", "mount", NULL };
  static const char *const ns_rootless[]
      = { "pid", "ipc", "uts", "mount", "user", NULL };

  json_gen_key (g, "linux");
  json_gen_object_open (g);
  if (rootless)
    {
      spec_id_mapping (g, "uidMappings", geteuid ());
      spec_id_mapping (g, "gidMappings", getegid ());
    }
  else
    {
      json_gen_key (g, "resources");
      json_gen_object_open (g);
      json_gen_key (g, "devices");
      json_gen_array_open (g);
      json_gen_object_open (g);
      json_gen_kv_bool (g, "allow", false);
      json_gen_kv_string (g, "access", "rwm");
      json_gen_object_close (g);
      json_gen_array_close (g);
      json_gen_object_close (g);
    }
  json_gen_key (g, "namespaces");
  json_gen_array_open (g);
  for (const char *const *n = rootless ? ns_rootless : ns; *n; n++)
    {
      json_gen_object_open (g);
      json_gen_kv_string (g, "type", *n);
      json_gen_object_close (g);
    }
  json_gen_array_close (g);
  json_gen_kv_strv (g, "maskedPaths", spec_masked_paths);
  json_gen_kv_strv (g, "readonlyPaths", spec_readonly_paths);
  json_gen_object_close (g);
}

int
envrun_spec_json (bool rootless, char **out, envrun_error_t *err)
{
  __attribute__ ((cleanup (cleanup_json_genp))) struct json_gen *g
      = json_gen_new_indent ("\t");
  size_t len;

  if (g == NULL)
    return envrun_error_set (err, ENOMEM, "spec");
  json_gen_object_open (g);
  json_gen_kv_string (g, "ociVersion", ENVRUN_OCI_VERSION);
  spec_process (g);
  json_gen_key (g, "root");
  json_gen_object_open (g);
  json_gen_kv_string (g, "path", "rootfs");
  json_gen_kv_bool (g, "readonly", true);
  json_gen_object_close (g);
  json_gen_kv_string (g, "hostname", "envrun");
  spec_mounts_gen (g, rootless);
  spec_linux (g, rootless);
  json_gen_object_close (g);
  return json_gen_finish (g, out, &len, err);
}
