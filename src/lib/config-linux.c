/* config.json `linux`, apart from resources and seccomp (own files).  */
#include "config-host.h"

#include "cleanup.h"
#include "config-parse.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static int
nomem (struct cfg_ctx *ctx, const char *path)
{
  return envrun_error_set (ctx->err, ENOMEM, "%s: %s",
                           json_doc_name (ctx->doc), path);
}

static const struct
{
  const char *name;
  int clone_flag;
} ns_types[ENVRUN_NS_COUNT] = {
  [ENVRUN_NS_PID] = { "pid", CLONE_NEWPID },
  [ENVRUN_NS_NETWORK] = { "network", CLONE_NEWNET },
  [ENVRUN_NS_MOUNT] = { "mount", CLONE_NEWNS },
  [ENVRUN_NS_IPC] = { "ipc", CLONE_NEWIPC },
  [ENVRUN_NS_UTS] = { "uts", CLONE_NEWUTS },
  [ENVRUN_NS_USER] = { "user", CLONE_NEWUSER },
  [ENVRUN_NS_CGROUP] = { "cgroup", CLONE_NEWCGROUP },
  [ENVRUN_NS_TIME] = { "time", CLONE_NEWTIME },
};

const char *
envrun_ns_type_name (enum envrun_ns_type t)
{
  return (unsigned)t < ENVRUN_NS_COUNT ? ns_types[t].name : NULL;
}

static int
parse_namespace (struct cfg_ctx *ctx, json_node *n, const char *path,
                 struct envrun_namespace *ns)
{
  cleanup_free char *type = NULL;
  char field[CFG_PATH_MAX];
  int ret = cfg_expect (ctx, n, path, JSON_OBJECT);

  if (ret == 0)
    ret = cfg_req_string (ctx, n, path, "type", &type);
  if (ret < 0)
    return ret;
  cfg_path_key (field, path, "type");
  ns->type = ENVRUN_NS_COUNT;
  for (int t = 0; t < ENVRUN_NS_COUNT; t++)
    if (strcmp (ns_types[t].name, type) == 0)
      ns->type = (enum envrun_ns_type)t;
  if (ns->type == ENVRUN_NS_COUNT)
    return cfg_error (ctx, field, "unknown namespace type \"%s\"", type);
  ns->clone_flag = ns_types[ns->type].clone_flag;
  ret = cfg_opt_string (ctx, n, path, "path", &ns->path);
  if (ret < 0)
    return ret;
  cfg_path_key (field, path, "path");
  /* An empty path means "create", as runc reads it.  */
  if (ns->path && *ns->path == '\0')
    {
      free (ns->path);
      ns->path = NULL;
    }
  if (ns->path && !cfg_is_absolute (ns->path))
    return cfg_error (ctx, field, "must be an absolute path");
  return 0;
}

static int
parse_namespaces (struct cfg_ctx *ctx, json_node *obj, const char *base,
                  struct envrun_linux *l)
{
  char path[CFG_PATH_MAX], item[CFG_PATH_MAX], field[CFG_PATH_MAX];
  json_node *arr = cfg_get (obj, "namespaces");
  int ret;

  if (arr == NULL)
    return 0;
  cfg_path_key (path, base, "namespaces");
  ret = cfg_expect (ctx, arr, path, JSON_ARRAY);
  if (ret < 0)
    return ret;
  l->n_namespaces = json_array_size (arr);
  l->namespaces = calloc (l->n_namespaces + 1, sizeof *l->namespaces);
  if (l->namespaces == NULL)
    return nomem (ctx, path);
  for (size_t i = 0; i < l->n_namespaces; i++)
    {
      cfg_path_index (item, path, i);
      ret = parse_namespace (ctx, json_array_at (arr, i), item,
                             &l->namespaces[i]);
      if (ret < 0)
        return ret;
      cfg_path_key (field, item, "type");
      for (size_t j = 0; j < i; j++)
        if (l->namespaces[j].type == l->namespaces[i].type)
          return cfg_error (ctx, field, "duplicate namespace type \"%s\"",
                            ns_types[l->namespaces[i].type].name);
    }
  return 0;
}

static int
parse_device (struct cfg_ctx *ctx, json_node *n, const char *path,
              struct envrun_device *d)
{
  cleanup_free char *type = NULL;
  char field[CFG_PATH_MAX];
  uint64_t v = 0;
  int ret = cfg_expect (ctx, n, path, JSON_OBJECT);

  if (ret == 0)
    ret = cfg_req_string (ctx, n, path, "path", &d->path);
  cfg_path_key (field, path, "path");
  if (ret == 0 && !cfg_is_absolute (d->path))
    ret = cfg_error (ctx, field, "must be an absolute path");
  if (ret == 0)
    ret = cfg_req_string (ctx, n, path, "type", &type);
  cfg_path_key (field, path, "type");
  if (ret == 0 && (strlen (type) != 1 || !strchr ("cbup", type[0])))
    ret = cfg_error (ctx, field,
                     "must be \"c\", \"b\", \"u\" or \"p\", "
                     "not \"%s\"",
                     type);
  if (ret < 0)
    return ret;
  d->type = type[0];
  /* A FIFO has no device number; the others need one.  */
  if (d->type == 'p')
    {
      ret = cfg_opt_int (ctx, n, path, "major", 0, INT64_MAX, &d->major, NULL);
      if (ret == 0)
        ret = cfg_opt_int (ctx, n, path, "minor", 0, INT64_MAX, &d->minor,
                           NULL);
    }
  else
    {
      ret = cfg_req_int (ctx, n, path, "major", 0, INT64_MAX, &d->major);
      if (ret == 0)
        ret = cfg_req_int (ctx, n, path, "minor", 0, INT64_MAX, &d->minor);
    }
  if (ret == 0)
    ret = cfg_opt_uint (ctx, n, path, "fileMode", 07777, &v,
                        &d->has_file_mode);
  d->file_mode = (mode_t)v;
  v = 0;
  if (ret == 0)
    ret = cfg_opt_uint (ctx, n, path, "uid", UINT32_MAX, &v, &d->has_uid);
  d->uid = (uid_t)v;
  v = 0;
  if (ret == 0)
    ret = cfg_opt_uint (ctx, n, path, "gid", UINT32_MAX, &v, &d->has_gid);
  d->gid = (gid_t)v;
  return ret;
}

static int
parse_devices (struct cfg_ctx *ctx, json_node *obj, const char *base,
               struct envrun_linux *l)
{
  char path[CFG_PATH_MAX], item[CFG_PATH_MAX];
  json_node *arr = cfg_get (obj, "devices");
  int ret;

  if (arr == NULL)
    return 0;
  cfg_path_key (path, base, "devices");
  ret = cfg_expect (ctx, arr, path, JSON_ARRAY);
  if (ret < 0)
    return ret;
  l->n_devices = json_array_size (arr);
  l->devices = calloc (l->n_devices + 1, sizeof *l->devices);
  if (l->devices == NULL)
    return nomem (ctx, path);
  for (size_t i = 0; i < l->n_devices; i++)
    {
      cfg_path_index (item, path, i);
      ret = parse_device (ctx, json_array_at (arr, i), item, &l->devices[i]);
      if (ret < 0)
        return ret;
    }
  return 0;
}

static int
check_absolute_paths (struct cfg_ctx *ctx, const char *base, const char *key,
                      char **v, size_t n)
{
  char path[CFG_PATH_MAX], item[CFG_PATH_MAX];

  cfg_path_key (path, base, key);
  for (size_t i = 0; i < n; i++)
    if (!cfg_is_absolute (v[i]))
      {
        cfg_path_index (item, path, i);
        return cfg_error (ctx, item, "must be an absolute path");
      }
  return 0;
}

static int
parse_personality (struct cfg_ctx *ctx, json_node *obj, const char *base,
                   struct envrun_linux *l)
{
  char path[CFG_PATH_MAX], field[CFG_PATH_MAX];
  json_node *n = cfg_get (obj, "personality");
  struct envrun_personality *p;
  int ret;

  if (n == NULL)
    return 0;
  cfg_path_key (path, base, "personality");
  ret = cfg_expect (ctx, n, path, JSON_OBJECT);
  if (ret < 0)
    return ret;
  p = l->personality = calloc (1, sizeof *p);
  if (p == NULL)
    return nomem (ctx, path);
  ret = cfg_req_string (ctx, n, path, "domain", &p->domain);
  cfg_path_key (field, path, "domain");
  if (ret == 0 && strcmp (p->domain, "LINUX") != 0
      && strcmp (p->domain, "LINUX32") != 0)
    ret = cfg_error (ctx, field,
                     "must be \"LINUX\" or \"LINUX32\", not "
                     "\"%s\"",
                     p->domain);
  if (ret == 0)
    ret = cfg_opt_strv (ctx, n, path, "flags", &p->flags, &p->n_flags);
  return ret;
}

/* timeOffsets is a map keyed by clock name.  */
static int
parse_time_offsets (struct cfg_ctx *ctx, json_node *obj, const char *base,
                    struct envrun_linux *l)
{
  char path[CFG_PATH_MAX], item[CFG_PATH_MAX];
  json_node *map = cfg_get (obj, "timeOffsets");
  uint64_t ns;
  int ret;

  if (map == NULL)
    return 0;
  cfg_path_key (path, base, "timeOffsets");
  ret = cfg_expect (ctx, map, path, JSON_OBJECT);
  if (ret < 0)
    return ret;
  l->n_time_offsets = json_object_size (map);
  l->time_offsets = calloc (l->n_time_offsets + 1, sizeof *l->time_offsets);
  if (l->time_offsets == NULL)
    return nomem (ctx, path);
  for (size_t i = 0; i < l->n_time_offsets; i++)
    {
      struct envrun_time_offset *t = &l->time_offsets[i];
      const char *clock = json_object_key_at (map, i);
      json_node *n = json_object_value_at (map, i);

      cfg_path_key (item, path, clock);
      if (strcmp (clock, "monotonic") != 0 && strcmp (clock, "boottime") != 0)
        return cfg_error (ctx, item,
                          "unknown clock (expected \"monotonic\" "
                          "or \"boottime\")");
      for (size_t j = 0; j < i; j++)
        if (strcmp (l->time_offsets[j].clock, clock) == 0)
          return cfg_error (ctx, item, "given twice");
      t->clock = strdup (clock);
      if (t->clock == NULL)
        return nomem (ctx, item);
      ns = 0;
      ret = cfg_expect (ctx, n, item, JSON_OBJECT);
      if (ret == 0)
        ret = cfg_opt_int (ctx, n, item, "secs", INT64_MIN, INT64_MAX,
                           &t->secs, NULL);
      if (ret == 0)
        ret = cfg_opt_uint (ctx, n, item, "nanosecs", 999999999, &ns, NULL);
      if (ret < 0)
        return ret;
      t->nanosecs = (uint32_t)ns;
    }
  return 0;
}

static int
parse_intel_rdt (struct cfg_ctx *ctx, json_node *obj, const char *base,
                 struct envrun_linux *l)
{
  char path[CFG_PATH_MAX];
  json_node *n = cfg_get (obj, "intelRdt");
  cleanup_free char *l3 = NULL, *mb = NULL;
  bool b;
  int ret;

  if (n == NULL)
    return 0;
  cfg_path_key (path, base, "intelRdt");
  ret = cfg_expect (ctx, n, path, JSON_OBJECT);
  if (ret == 0)
    ret = cfg_opt_string (ctx, n, path, "closID", &l->intel_rdt_clos_id);
  if (ret == 0)
    ret = cfg_opt_string (ctx, n, path, "l3CacheSchema", &l3);
  if (ret == 0)
    ret = cfg_opt_string (ctx, n, path, "memBwSchema", &mb);
  if (ret == 0)
    ret = cfg_opt_bool (ctx, n, path, "enableCMT", &b, NULL);
  if (ret == 0)
    ret = cfg_opt_bool (ctx, n, path, "enableMBM", &b, NULL);
  return ret;
}

static int
parse_rootfs_propagation (struct cfg_ctx *ctx, json_node *obj,
                          const char *base, struct envrun_linux *l)
{
  char path[CFG_PATH_MAX];
  int ret = cfg_opt_string (ctx, obj, base, "rootfsPropagation",
                            &l->rootfs_propagation);

  if (ret < 0 || l->rootfs_propagation == NULL)
    return ret;
  cfg_path_key (path, base, "rootfsPropagation");
  l->rootfs_propagation_flags = cfg_propagation_flags (l->rootfs_propagation);
  if (l->rootfs_propagation_flags == 0)
    return cfg_error (ctx, path, "unknown propagation \"%s\"",
                      l->rootfs_propagation);
  return 0;
}

static int
parse_linux_sections (struct cfg_ctx *ctx, json_node *n, const char *path,
                      struct envrun_linux *l)
{
  char field[CFG_PATH_MAX];
  json_node *sub;
  int ret = 0;

  if ((sub = cfg_get (n, "resources")))
    {
      cfg_path_key (field, path, "resources");
      ret = cfg_parse_resources (ctx, sub, field, &l->resources);
    }
  if (ret == 0 && (sub = cfg_get (n, "seccomp")))
    {
      cfg_path_key (field, path, "seccomp");
      ret = cfg_parse_seccomp (ctx, sub, field, &l->seccomp);
    }
  if (ret == 0)
    ret = parse_personality (ctx, n, path, l);
  if (ret == 0)
    ret = parse_time_offsets (ctx, n, path, l);
  if (ret == 0)
    ret = parse_intel_rdt (ctx, n, path, l);
  return ret;
}

static int
parse_linux_fields (struct cfg_ctx *ctx, json_node *n, const char *path,
                    struct envrun_linux *l)
{
  int ret = cfg_expect (ctx, n, path, JSON_OBJECT);

  if (ret == 0)
    ret = parse_namespaces (ctx, n, path, l);
  if (ret == 0)
    ret = cfg_id_mappings (ctx, n, path, "uidMappings", &l->uid_mappings,
                           &l->n_uid_mappings);
  if (ret == 0)
    ret = cfg_id_mappings (ctx, n, path, "gidMappings", &l->gid_mappings,
                           &l->n_gid_mappings);
  if (ret == 0)
    ret = parse_devices (ctx, n, path, l);
  if (ret == 0)
    ret = cfg_opt_string (ctx, n, path, "cgroupsPath", &l->cgroups_path);
  if (ret == 0)
    ret = parse_rootfs_propagation (ctx, n, path, l);
  if (ret == 0)
    ret = cfg_opt_kv (ctx, n, path, "sysctl", &l->sysctl, &l->n_sysctl);
  if (ret == 0)
    ret = cfg_opt_strv (ctx, n, path, "maskedPaths", &l->masked_paths,
                        &l->n_masked_paths);
  if (ret == 0)
    ret = check_absolute_paths (ctx, path, "maskedPaths", l->masked_paths,
                                l->n_masked_paths);
  if (ret == 0)
    ret = cfg_opt_strv (ctx, n, path, "readonlyPaths", &l->readonly_paths,
                        &l->n_readonly_paths);
  if (ret == 0)
    ret = check_absolute_paths (ctx, path, "readonlyPaths", l->readonly_paths,
                                l->n_readonly_paths);
  if (ret == 0)
    ret = cfg_opt_string (ctx, n, path, "mountLabel", &l->mount_label);
  if (ret == 0)
    ret = parse_linux_sections (ctx, n, path, l);
  return ret;
}

int
cfg_parse_linux (struct cfg_ctx *ctx, json_node *n, const char *path,
                 struct envrun_linux **out)
{
  struct envrun_linux *l = calloc (1, sizeof *l);
  int ret;

  if (l == NULL)
    return nomem (ctx, path);
  ret = parse_linux_fields (ctx, n, path, l);
  if (ret < 0)
    {
      cfg_linux_free (l);
      return ret;
    }
  *out = l;
  return 0;
}

void
cfg_linux_free (struct envrun_linux *l)
{
  if (l == NULL)
    return;
  for (size_t i = 0; l->namespaces && i < l->n_namespaces; i++)
    free (l->namespaces[i].path);
  free (l->namespaces);
  free (l->uid_mappings);
  free (l->gid_mappings);
  for (size_t i = 0; l->devices && i < l->n_devices; i++)
    free (l->devices[i].path);
  free (l->devices);
  free (l->cgroups_path);
  envrun_resources_free (l->resources);
  free (l->rootfs_propagation);
  envrun_seccomp_free (l->seccomp);
  cfg_kv_free (l->sysctl, l->n_sysctl);
  cfg_strv_free (l->masked_paths);
  cfg_strv_free (l->readonly_paths);
  free (l->mount_label);
  if (l->personality)
    {
      free (l->personality->domain);
      cfg_strv_free (l->personality->flags);
      free (l->personality);
    }
  for (size_t i = 0; l->time_offsets && i < l->n_time_offsets; i++)
    free (l->time_offsets[i].clock);
  free (l->time_offsets);
  free (l->intel_rdt_clos_id);
  free (l);
}
