/* `linux.resources` (also `update --resources`).  */
#include "config-host.h"

#include "config-parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int
nomem (struct cfg_ctx *ctx, const char *path)
{
  return envrun_error_set (ctx->err, ENOMEM, "%s: %s",
                           json_doc_name (ctx->doc), path);
}

/* Look up the object `key` of obj; 0 and *sub = NULL when absent.  */
static int
sub_object (struct cfg_ctx *ctx, json_node *obj, const char *base,
            const char *key, char *path, json_node **sub)
{
  *sub = cfg_get (obj, key);
  cfg_path_key (path, base, key);
  return *sub ? cfg_expect (ctx, *sub, path, JSON_OBJECT) : 0;
}

/* Allocate a zeroed array for the JSON array `key` (count set first so a
   failure midway frees cleanly).  */
static int
sub_array_alloc (struct cfg_ctx *ctx, json_node *obj, const char *base,
                 const char *key, char *path, json_node **arr, size_t size,
                 void **mem, size_t *n)
{
  int ret;

  *mem = NULL;
  *arr = cfg_get (obj, key);
  cfg_path_key (path, base, key);
  if (*arr == NULL)
    return 0;
  ret = cfg_expect (ctx, *arr, path, JSON_ARRAY);
  if (ret < 0)
    return ret;
  *n = json_array_size (*arr);
  *mem = calloc (*n ? *n : 1, size);
  return *mem ? 0 : nomem (ctx, path);
}

/* Typed front end: `out` is the struct's array pointer, assigned with its
   count in one step.  */
#define sub_array(ctx, obj, base, key, path, arr, out, n)                     \
  ({                                                                          \
    void *_mem;                                                               \
    size_t _n = 0;                                                            \
    int _ret = sub_array_alloc ((ctx), (obj), (base), (key), (path), (arr),   \
                                sizeof **(out), &_mem, &_n);                  \
    if (_mem)                                                                 \
      {                                                                       \
        *(out) = _mem;                                                        \
        *(n) = _n;                                                            \
      }                                                                       \
    _ret;                                                                     \
  })

static int
parse_device_rule (struct cfg_ctx *ctx, json_node *n, const char *path,
                   struct envrun_device_rule *d)
{
  char field[CFG_PATH_MAX];
  char *type = NULL;
  int ret = cfg_expect (ctx, n, path, JSON_OBJECT);

  cfg_path_key (field, path, "allow");
  if (ret == 0 && cfg_get (n, "allow") == NULL)
    ret = cfg_error (ctx, field, "is required");
  if (ret == 0)
    ret = cfg_opt_bool (ctx, n, path, "allow", &d->allow, NULL);
  if (ret == 0)
    ret = cfg_opt_string (ctx, n, path, "type", &type);
  cfg_path_key (field, path, "type");
  d->type = type ? type[0] : 'a';
  if (ret == 0 && type && (strlen (type) != 1 || !strchr ("acb", type[0])))
    ret = cfg_error (ctx, field, "must be \"a\", \"c\" or \"b\", not \"%s\"",
                     type);
  free (type);
  d->major = d->minor = -1;
  if (ret == 0)
    ret = cfg_opt_int (ctx, n, path, "major", -1, INT64_MAX, &d->major, NULL);
  if (ret == 0)
    ret = cfg_opt_int (ctx, n, path, "minor", -1, INT64_MAX, &d->minor, NULL);
  if (ret == 0)
    ret = cfg_opt_string (ctx, n, path, "access", &d->access);
  cfg_path_key (field, path, "access");
  if (ret == 0 && d->access
      && (d->access[strspn (d->access, "rwm")] != '\0' || !*d->access))
    ret = cfg_error (ctx, field, "must be made of \"r\", \"w\" and \"m\"");
  return ret;
}

static int
parse_device_rules (struct cfg_ctx *ctx, json_node *obj, const char *base,
                    struct envrun_resources *r)
{
  char path[CFG_PATH_MAX], item[CFG_PATH_MAX];
  json_node *arr;
  int ret = sub_array (ctx, obj, base, "devices", path, &arr, &r->devices,
                       &r->n_devices);

  for (size_t i = 0; ret == 0 && arr && i < r->n_devices; i++)
    {
      cfg_path_index (item, path, i);
      ret = parse_device_rule (ctx, json_array_at (arr, i), item,
                               &r->devices[i]);
    }
  return ret;
}

/* -1 is "unlimited"; anything more negative is a mistake.  */
static int
memory_value (struct cfg_ctx *ctx, json_node *m, const char *path,
              const char *key, int64_t *out, bool *has)
{
  return cfg_opt_int (ctx, m, path, key, -1, INT64_MAX, out, has);
}

static int
parse_memory (struct cfg_ctx *ctx, json_node *obj, const char *base,
              struct envrun_resources *r)
{
  char path[CFG_PATH_MAX];
  json_node *m;
  int ret = sub_object (ctx, obj, base, "memory", path, &m);

  if (ret < 0 || m == NULL)
    return ret;
  ret = memory_value (ctx, m, path, "limit", &r->memory_limit,
                      &r->has_memory_limit);
  if (ret == 0)
    ret = memory_value (ctx, m, path, "reservation", &r->memory_reservation,
                        &r->has_memory_reservation);
  if (ret == 0)
    ret = memory_value (ctx, m, path, "swap", &r->memory_swap,
                        &r->has_memory_swap);
  if (ret == 0)
    ret = memory_value (ctx, m, path, "kernel", &r->memory_kernel,
                        &r->has_memory_kernel);
  if (ret == 0)
    ret = memory_value (ctx, m, path, "kernelTCP", &r->memory_kernel_tcp,
                        &r->has_memory_kernel_tcp);
  if (ret == 0)
    ret = cfg_opt_uint (ctx, m, path, "swappiness", 100, &r->memory_swappiness,
                        &r->has_memory_swappiness);
  if (ret == 0)
    ret = cfg_opt_bool (ctx, m, path, "disableOOMKiller",
                        &r->disable_oom_killer, &r->has_disable_oom_killer);
  if (ret == 0)
    ret = cfg_opt_bool (ctx, m, path, "useHierarchy", &r->use_hierarchy,
                        &r->has_use_hierarchy);
  if (ret == 0)
    ret = cfg_opt_bool (ctx, m, path, "checkBeforeUpdate",
                        &r->check_before_update, &r->has_check_before_update);
  return ret;
}

/* A cpuset list: "0-3,8,10-11" (empty: inherit).  */
static bool
valid_cpu_list (const char *s)
{
  while (*s)
    {
      char *end;
      unsigned long a, b;

      if (!isdigit ((unsigned char)*s))
        return false;
      a = strtoul (s, &end, 10);
      s = end;
      if (*s == '-')
        {
          if (!isdigit ((unsigned char)s[1]))
            return false;
          b = strtoul (s + 1, &end, 10);
          if (b < a)
            return false;
          s = end;
        }
      if (*s == ',' && s[1] != '\0')
        s++;
      else if (*s)
        return false;
    }
  return true;
}

static int
cpu_list (struct cfg_ctx *ctx, json_node *c, const char *base, const char *key,
          char **out)
{
  char path[CFG_PATH_MAX];
  int ret = cfg_opt_string (ctx, c, base, key, out);

  cfg_path_key (path, base, key);
  if (ret == 0 && *out && !valid_cpu_list (*out))
    return cfg_error (ctx, path, "\"%s\" is not a list like \"0-3,7\"", *out);
  return ret;
}

static int
parse_cpu (struct cfg_ctx *ctx, json_node *obj, const char *base,
           struct envrun_resources *r)
{
  char path[CFG_PATH_MAX];
  json_node *c;
  int ret = sub_object (ctx, obj, base, "cpu", path, &c);

  if (ret < 0 || c == NULL)
    return ret;
  ret = cfg_opt_uint (ctx, c, path, "shares", UINT64_MAX, &r->cpu_shares,
                      &r->has_cpu_shares);
  if (ret == 0)
    ret = cfg_opt_int (ctx, c, path, "quota", -1, INT64_MAX, &r->cpu_quota,
                       &r->has_cpu_quota);
  if (ret == 0)
    ret = cfg_opt_uint (ctx, c, path, "burst", UINT64_MAX, &r->cpu_burst,
                        &r->has_cpu_burst);
  if (ret == 0)
    ret = cfg_opt_uint (ctx, c, path, "period", UINT64_MAX, &r->cpu_period,
                        &r->has_cpu_period);
  if (ret == 0)
    ret = cfg_opt_int (ctx, c, path, "realtimeRuntime", INT64_MIN, INT64_MAX,
                       &r->cpu_realtime_runtime, &r->has_cpu_realtime_runtime);
  if (ret == 0)
    ret = cfg_opt_uint (ctx, c, path, "realtimePeriod", UINT64_MAX,
                        &r->cpu_realtime_period, &r->has_cpu_realtime_period);
  if (ret == 0)
    ret = cpu_list (ctx, c, path, "cpus", &r->cpu_cpus);
  if (ret == 0)
    ret = cpu_list (ctx, c, path, "mems", &r->cpu_mems);
  /* cpu.idle takes 0 or 1.  */
  if (ret == 0)
    ret = cfg_opt_int (ctx, c, path, "idle", 0, 1, &r->cpu_idle,
                       &r->has_cpu_idle);
  return ret;
}

static int
parse_pids (struct cfg_ctx *ctx, json_node *obj, const char *base,
            struct envrun_resources *r)
{
  char path[CFG_PATH_MAX];
  json_node *p;
  int ret = sub_object (ctx, obj, base, "pids", path, &p);

  if (ret < 0 || p == NULL)
    return ret;
  return cfg_opt_int (ctx, p, path, "limit", INT64_MIN, INT64_MAX,
                      &r->pids_limit, &r->has_pids_limit);
}

/* The kernel's blkio weights run from 10 to 1000.  */
static int
blkio_weight (struct cfg_ctx *ctx, json_node *obj, const char *base,
              const char *key, uint16_t *out, bool *has)
{
  char path[CFG_PATH_MAX];
  int64_t v = 0;
  int ret = cfg_opt_int (ctx, obj, base, key, 0, 1000, &v, has);

  cfg_path_key (path, base, key);
  if (ret == 0 && *has && v != 0 && v < 10)
    return cfg_error (ctx, path, "must be between 10 and 1000");
  *out = (uint16_t)v;
  return ret;
}

static int
parse_weight_devices (struct cfg_ctx *ctx, json_node *b, const char *base,
                      struct envrun_resources *r)
{
  char path[CFG_PATH_MAX], item[CFG_PATH_MAX];
  json_node *arr;
  int ret = sub_array (ctx, b, base, "weightDevice", path, &arr,
                       &r->blkio_weight_devices, &r->n_blkio_weight_devices);

  for (size_t i = 0; ret == 0 && arr && i < r->n_blkio_weight_devices; i++)
    {
      struct envrun_weight_device *w = &r->blkio_weight_devices[i];
      json_node *n = json_array_at (arr, i);

      cfg_path_index (item, path, i);
      ret = cfg_expect (ctx, n, item, JSON_OBJECT);
      if (ret == 0)
        ret = cfg_req_int (ctx, n, item, "major", 0, INT64_MAX, &w->major);
      if (ret == 0)
        ret = cfg_req_int (ctx, n, item, "minor", 0, INT64_MAX, &w->minor);
      if (ret == 0)
        ret = blkio_weight (ctx, n, item, "weight", &w->weight,
                            &w->has_weight);
      if (ret == 0)
        ret = blkio_weight (ctx, n, item, "leafWeight", &w->leaf_weight,
                            &w->has_leaf_weight);
    }
  return ret;
}

static int
parse_throttle (struct cfg_ctx *ctx, json_node *b, const char *base,
                const char *key, struct envrun_throttle_device **out,
                size_t *count)
{
  char path[CFG_PATH_MAX], item[CFG_PATH_MAX];
  json_node *arr;
  int ret = sub_array (ctx, b, base, key, path, &arr, out, count);

  for (size_t i = 0; ret == 0 && arr && i < *count; i++)
    {
      json_node *n = json_array_at (arr, i);

      cfg_path_index (item, path, i);
      ret = cfg_expect (ctx, n, item, JSON_OBJECT);
      if (ret == 0)
        ret = cfg_req_int (ctx, n, item, "major", 0, INT64_MAX,
                           &(*out)[i].major);
      if (ret == 0)
        ret = cfg_req_int (ctx, n, item, "minor", 0, INT64_MAX,
                           &(*out)[i].minor);
      if (ret == 0)
        ret = cfg_req_uint (ctx, n, item, "rate", UINT64_MAX, &(*out)[i].rate);
    }
  return ret;
}

static int
parse_blkio (struct cfg_ctx *ctx, json_node *obj, const char *base,
             struct envrun_resources *r)
{
  char path[CFG_PATH_MAX];
  json_node *b;
  int ret = sub_object (ctx, obj, base, "blockIO", path, &b);

  if (ret < 0 || b == NULL)
    return ret;
  ret = blkio_weight (ctx, b, path, "weight", &r->blkio_weight,
                      &r->has_blkio_weight);
  if (ret == 0)
    ret = blkio_weight (ctx, b, path, "leafWeight", &r->blkio_leaf_weight,
                        &r->has_blkio_leaf_weight);
  if (ret == 0)
    ret = parse_weight_devices (ctx, b, path, r);
  if (ret == 0)
    ret = parse_throttle (ctx, b, path, "throttleReadBpsDevice",
                          &r->blkio_throttle_read_bps,
                          &r->n_blkio_throttle_read_bps);
  if (ret == 0)
    ret = parse_throttle (ctx, b, path, "throttleWriteBpsDevice",
                          &r->blkio_throttle_write_bps,
                          &r->n_blkio_throttle_write_bps);
  if (ret == 0)
    ret = parse_throttle (ctx, b, path, "throttleReadIOPSDevice",
                          &r->blkio_throttle_read_iops,
                          &r->n_blkio_throttle_read_iops);
  if (ret == 0)
    ret = parse_throttle (ctx, b, path, "throttleWriteIOPSDevice",
                          &r->blkio_throttle_write_iops,
                          &r->n_blkio_throttle_write_iops);
  return ret;
}

/* "2MB", "1GB", "64KB": the hugetlb controller's file-name spelling.  */
static bool
valid_page_size (const char *s)
{
  size_t digits = strspn (s, "0123456789");

  return digits > 0 && s[0] != '0'
         && (strcmp (s + digits, "KB") == 0 || strcmp (s + digits, "MB") == 0
             || strcmp (s + digits, "GB") == 0);
}

static int
parse_hugepages (struct cfg_ctx *ctx, json_node *obj, const char *base,
                 struct envrun_resources *r)
{
  char path[CFG_PATH_MAX], item[CFG_PATH_MAX], field[CFG_PATH_MAX];
  json_node *arr;
  int ret = sub_array (ctx, obj, base, "hugepageLimits", path, &arr,
                       &r->hugepage_limits, &r->n_hugepage_limits);

  for (size_t i = 0; ret == 0 && arr && i < r->n_hugepage_limits; i++)
    {
      struct envrun_hugepage_limit *h = &r->hugepage_limits[i];
      json_node *n = json_array_at (arr, i);

      cfg_path_index (item, path, i);
      ret = cfg_expect (ctx, n, item, JSON_OBJECT);
      if (ret == 0)
        ret = cfg_req_string (ctx, n, item, "pageSize", &h->page_size);
      cfg_path_key (field, item, "pageSize");
      if (ret == 0 && !valid_page_size (h->page_size))
        ret = cfg_error (ctx, field, "\"%s\" is not a size like \"2MB\"",
                         h->page_size);
      if (ret == 0)
        ret = cfg_req_uint (ctx, n, item, "limit", UINT64_MAX, &h->limit);
    }
  return ret;
}

static int
parse_network (struct cfg_ctx *ctx, json_node *obj, const char *base,
               struct envrun_resources *r)
{
  char path[CFG_PATH_MAX], list[CFG_PATH_MAX], item[CFG_PATH_MAX];
  json_node *net, *arr;
  uint64_t v = 0;
  int ret = sub_object (ctx, obj, base, "network", path, &net);

  if (ret < 0 || net == NULL)
    return ret;
  ret = cfg_opt_uint (ctx, net, path, "classID", UINT32_MAX, &v,
                      &r->has_network_class_id);
  r->network_class_id = (uint32_t)v;
  if (ret == 0)
    ret = sub_array (ctx, net, path, "priorities", list, &arr,
                     &r->network_priorities, &r->n_network_priorities);
  for (size_t i = 0; ret == 0 && arr && i < r->n_network_priorities; i++)
    {
      json_node *n = json_array_at (arr, i);

      cfg_path_index (item, list, i);
      ret = cfg_expect (ctx, n, item, JSON_OBJECT);
      if (ret == 0)
        ret = cfg_req_string (ctx, n, item, "name",
                              &r->network_priorities[i].name);
      if (ret == 0)
        ret = cfg_req_uint (ctx, n, item, "priority", UINT32_MAX, &v);
      r->network_priorities[i].priority = (uint32_t)v;
    }
  return ret;
}

static int
parse_rdma (struct cfg_ctx *ctx, json_node *obj, const char *base,
            struct envrun_resources *r)
{
  char path[CFG_PATH_MAX], item[CFG_PATH_MAX];
  json_node *rdma;
  uint64_t v;
  int ret = sub_object (ctx, obj, base, "rdma", path, &rdma);

  if (ret < 0 || rdma == NULL)
    return ret;
  r->has_rdma = true;
  for (size_t i = 0; ret == 0 && i < json_object_size (rdma); i++)
    {
      json_node *dev = json_object_value_at (rdma, i);

      cfg_path_key (item, path, json_object_key_at (rdma, i));
      ret = cfg_expect (ctx, dev, item, JSON_OBJECT);
      if (ret == 0)
        ret = cfg_opt_uint (ctx, dev, item, "hcaHandles", UINT32_MAX, &v,
                            NULL);
      if (ret == 0)
        ret = cfg_opt_uint (ctx, dev, item, "hcaObjects", UINT32_MAX, &v,
                            NULL);
    }
  return ret;
}

/* unified keys become file names under the container's cgroup: one that
   is not a plain "controller.file" name could write outside it.  */
static int
parse_unified (struct cfg_ctx *ctx, json_node *obj, const char *base,
               struct envrun_resources *r)
{
  char path[CFG_PATH_MAX], item[CFG_PATH_MAX];
  int ret = cfg_opt_kv (ctx, obj, base, "unified", &r->unified, &r->n_unified);

  cfg_path_key (path, base, "unified");
  for (size_t i = 0; ret == 0 && i < r->n_unified; i++)
    {
      const char *k = r->unified[i].key;

      cfg_path_key (item, path, k);
      if (*k == '\0' || *k == '.' || strchr (k, '/'))
        ret = cfg_error (ctx, item, "not a cgroup file name");
    }
  return ret;
}

static int
parse_resources_fields (struct cfg_ctx *ctx, json_node *n, const char *path,
                        struct envrun_resources *r)
{
  int ret = cfg_expect (ctx, n, path, JSON_OBJECT);

  if (ret == 0)
    ret = parse_device_rules (ctx, n, path, r);
  if (ret == 0)
    ret = parse_memory (ctx, n, path, r);
  if (ret == 0)
    ret = parse_cpu (ctx, n, path, r);
  if (ret == 0)
    ret = parse_pids (ctx, n, path, r);
  if (ret == 0)
    ret = parse_blkio (ctx, n, path, r);
  if (ret == 0)
    ret = parse_hugepages (ctx, n, path, r);
  if (ret == 0)
    ret = parse_network (ctx, n, path, r);
  if (ret == 0)
    ret = parse_rdma (ctx, n, path, r);
  if (ret == 0)
    ret = parse_unified (ctx, n, path, r);
  return ret;
}

int
cfg_parse_resources (struct cfg_ctx *ctx, json_node *n, const char *path,
                     struct envrun_resources **out)
{
  struct envrun_resources *r = calloc (1, sizeof *r);
  int ret;

  if (r == NULL)
    return nomem (ctx, path);
  ret = parse_resources_fields (ctx, n, path, r);
  if (ret < 0)
    {
      envrun_resources_free (r);
      return ret;
    }
  *out = r;
  return 0;
}

void
envrun_resources_free (struct envrun_resources *r)
{
  if (r == NULL)
    return;
  for (size_t i = 0; r->devices && i < r->n_devices; i++)
    free (r->devices[i].access);
  free (r->devices);
  free (r->cpu_cpus);
  free (r->cpu_mems);
  free (r->blkio_weight_devices);
  free (r->blkio_throttle_read_bps);
  free (r->blkio_throttle_write_bps);
  free (r->blkio_throttle_read_iops);
  free (r->blkio_throttle_write_iops);
  for (size_t i = 0; r->hugepage_limits && i < r->n_hugepage_limits; i++)
    free (r->hugepage_limits[i].page_size);
  free (r->hugepage_limits);
  for (size_t i = 0; r->network_priorities && i < r->n_network_priorities; i++)
    free (r->network_priorities[i].name);
  free (r->network_priorities);
  cfg_kv_free (r->unified, r->n_unified);
  free (r);
}
