/* `features`: the OCI features document (runtime-spec features.md).
   Orchestrators read it to decide what they may ask for, so it claims
   only what this build and the running kernel really do.  */
#include "config-host.h"

#include "cleanup.h"
#include "json.h"
/* Ours (src/lib/seccomp.h, through -I src/lib) and, after it, libseccomp's
   own <seccomp.h>: see the end of src/lib/seccomp.h.  */
#define SECCOMP_WANT_LIBSECCOMP 1
#include <seccomp.h>

#include <envrun/config.h>
#include <envrun/spec.h>

#include <ctype.h>
#include <errno.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Mount options the config parser (src/lib/config-mounts.c) turns into
   mount flags, propagation or mount_setattr attributes and the mount code
   applies.  Anything else goes to the filesystem as data, which is not an
   "option" in the features sense; "idmap" is parsed but not applied yet,
   so it is not listed.  Keep in step with config-mounts.c.  */
static const char *const features_mount_options[] = {
  "acl",         "async",      "atime",         "bind",       "defaults",
  "dev",         "diratime",   "dirsync",       "exec",       "iversion",
  "lazytime",    "loud",       "mand",          "noacl",      "noatime",
  "nodev",       "nodiratime", "noexec",        "noiversion", "nolazytime",
  "nomand",      "norelatime", "nostrictatime", "nosuid",     "nosymfollow",
  "private",     "rbind",      "relatime",      "remount",    "ro",
  "rprivate",    "rro",        "rrw",           "rshared",    "rslave",
  "runbindable", "rw",         "shared",        "silent",     "slave",
  "strictatime", "suid",       "symfollow",     "sync",       "unbindable",
  NULL,
};

static const char *const features_hooks[] = {
  "prestart",
  "createRuntime",
  "createContainer",
  "startContainer",
  "poststart",
  "poststop",
  NULL,
};

/* Set when the mount code applies "idmap"/"ridmap" mounts with
   MOUNT_ATTR_IDMAP; until then the feature is not claimed even on kernels
   that have it.  */
static const bool features_idmap_implemented = false;

static void
cleanup_json_genp (struct json_gen **g)
{
  json_gen_free (*g);
}

static void
cleanup_cap_freep (char **p)
{
  if (*p)
    cap_free (*p);
}

static void
features_capabilities (struct json_gen *g)
{
  json_gen_key (g, "capabilities");
  json_gen_array_open (g);
  for (int c = 0; c <= CAP_LAST_CAP; c++)
    {
      /* libcap's strings go back to cap_free, not free.  */
      __attribute__ ((cleanup (cleanup_cap_freep))) char *name
          = cap_to_name (c);
      char upper[64];
      size_t i;

      /* libcap names a capability it does not know by its number.  */
      if (name == NULL || !isalpha ((unsigned char)name[0])
          || strlen (name) >= sizeof upper)
        continue;
      for (i = 0; name[i]; i++)
        upper[i] = toupper ((unsigned char)name[i]);
      upper[i] = '\0';
      json_gen_string (g, upper);
    }
  json_gen_array_close (g);
}

static bool
features_action_available (const char *name)
{
  static const struct
  {
    const char *name;
    uint32_t ret;
  } actions[] = {
    { "SCMP_ACT_KILL_PROCESS", SECCOMP_RET_KILL_PROCESS },
    { "SCMP_ACT_LOG", SECCOMP_RET_LOG },
    { "SCMP_ACT_NOTIFY", SECCOMP_RET_USER_NOTIF },
  };

  for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++)
    if (strcmp (actions[i].name, name) == 0)
      return syscall (SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0,
                      &actions[i].ret)
             == 0;
  return true; /* the others are as old as seccomp filters */
}

static void
features_seccomp (struct json_gen *g)
{
  json_gen_key (g, "seccomp");
  json_gen_object_open (g);
  json_gen_kv_bool (g, "enabled", true);
  json_gen_key (g, "actions");
  json_gen_array_open (g);
  for (const char *const *a = seccomp_action_names; *a; a++)
    if (features_action_available (*a))
      json_gen_string (g, *a);
  json_gen_array_close (g);
  json_gen_kv_strv (g, "operators", seccomp_operator_names);
  json_gen_key (g, "archs");
  json_gen_array_open (g);
  for (const char *const *a = seccomp_arch_names; *a; a++)
    {
      char lower[32];
      size_t i;

      for (i = 0; (*a)[10 + i] && i < sizeof lower - 1; i++)
        lower[i] = tolower ((unsigned char)(*a)[10 + i]);
      lower[i] = '\0';
      if (seccomp_arch_resolve_name (lower) != 0)
        json_gen_string (g, *a);
    }
  json_gen_array_close (g);
  json_gen_kv_strv (g, "knownFlags", seccomp_flag_names);
  json_gen_key (g, "supportedFlags");
  json_gen_array_open (g);
  for (const char *const *f = seccomp_flag_names; *f; f++)
    if (seccomp_flag_supported (*f))
      json_gen_string (g, *f);
  json_gen_array_close (g);
  json_gen_object_close (g);
}

static void
features_enabled (struct json_gen *g, const char *key, bool enabled)
{
  json_gen_key (g, key);
  json_gen_object_open (g);
  json_gen_kv_bool (g, "enabled", enabled);
  json_gen_object_close (g);
}

/* mount_setattr(2) exists: an invalid fd gives EBADF, not ENOSYS.  */
static bool
features_kernel_has_mount_setattr (void)
{
#ifdef SYS_mount_setattr
  return syscall (SYS_mount_setattr, -1, "", 0, NULL, 0) < 0
         && errno != ENOSYS;
#else
  return false;
#endif
}

static void
features_linux (struct json_gen *g)
{
  json_gen_key (g, "linux");
  json_gen_object_open (g);
  json_gen_key (g, "namespaces");
  json_gen_array_open (g);
  for (int t = 0; t < ENVRUN_NS_COUNT; t++)
    json_gen_string (g, envrun_ns_type_name ((enum envrun_ns_type)t));
  json_gen_array_close (g);
  features_capabilities (g);
  json_gen_key (g, "cgroup");
  json_gen_object_open (g);
  json_gen_kv_bool (g, "v1", true);
  json_gen_kv_bool (g, "v2", true);
  json_gen_kv_bool (g, "systemd", false);
  json_gen_kv_bool (g, "systemdUser", false);
  json_gen_kv_bool (g, "rdma", false);
  json_gen_object_close (g);
  features_seccomp (g);
  features_enabled (g, "apparmor", false);
  features_enabled (g, "selinux", false);
  features_enabled (g, "intelRdt", false);
  json_gen_key (g, "mountExtensions");
  json_gen_object_open (g);
  features_enabled (g, "idmap",
                    features_idmap_implemented
                        && features_kernel_has_mount_setattr ());
  json_gen_object_close (g);
  json_gen_object_close (g);
}

int
envrun_features_json (char **out, envrun_error_t *err)
{
  __attribute__ ((cleanup (cleanup_json_genp))) struct json_gen *g
      = json_gen_new_indent ("    ");
  const struct scmp_version *v = seccomp_version ();
  char libseccomp_version[32];
  size_t len;

  if (g == NULL)
    return envrun_error_set (err, ENOMEM, "features");
  snprintf (libseccomp_version, sizeof libseccomp_version, "%u.%u.%u",
            v->major, v->minor, v->micro);
  json_gen_object_open (g);
  json_gen_kv_string (g, "ociVersionMin", ENVRUN_OCI_VERSION_MIN);
  json_gen_kv_string (g, "ociVersionMax", ENVRUN_OCI_VERSION);
  json_gen_kv_strv (g, "hooks", features_hooks);
  json_gen_kv_strv (g, "mountOptions", features_mount_options);
  features_linux (g);
  json_gen_key (g, "annotations");
  json_gen_object_open (g);
  json_gen_kv_string (g, "io.github.seccomp.libseccomp.version",
                      libseccomp_version);
  json_gen_kv_string (g, "org.envrun.version", PACKAGE_VERSION);
  json_gen_object_close (g);
  json_gen_object_close (g);
  return json_gen_finish (g, out, &len, err);
}
