/* Field readers shared by the config parser's sections.  */
#include "config-host.h"

#include "cleanup.h"
#include "config-parse.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A path cut to fit ends in "..." so the message shows it was cut.  */
static void
mark_truncated (char *buf, int n)
{
  if (n >= CFG_PATH_MAX)
    memcpy (buf + CFG_PATH_MAX - 4, "...", 4);
}

void
cfg_path_key (char *buf, const char *base, const char *key)
{
  mark_truncated (buf, snprintf (buf, CFG_PATH_MAX, "%s.%s", base, key));
}

void
cfg_path_index (char *buf, const char *base, size_t i)
{
  mark_truncated (buf, snprintf (buf, CFG_PATH_MAX, "%s[%zu]", base, i));
}

json_node *
cfg_get (json_node *obj, const char *key)
{
  json_node *n = json_object_get (obj, key);
  return json_node_type (n) == JSON_NULL ? NULL : n;
}

int
cfg_error (struct cfg_ctx *ctx, const char *path, const char *fmt, ...)
{
  cleanup_free char *msg = NULL;
  va_list ap;

  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  return json_error (ctx->doc, path, ctx->err, "%s",
                     msg ? msg : "out of memory");
}

int
cfg_expect (struct cfg_ctx *ctx, json_node *n, const char *path,
            enum json_type t)
{
  return json_expect_type (ctx->doc, n, path, t, ctx->err);
}

bool
cfg_is_absolute (const char *p)
{
  return p && p[0] == '/';
}

int
cfg_name_index (const char *const *table, const char *name)
{
  for (int i = 0; table[i]; i++)
    if (strcmp (table[i], name) == 0)
      return i;
  return -1;
}

int
cfg_dup_string (struct cfg_ctx *ctx, json_node *n, const char *path,
                char **out)
{
  const char *s;
  char *copy;
  int ret = json_get_string (ctx->doc, n, path, &s, ctx->err);

  if (ret < 0)
    return ret;
  copy = strdup (s);
  if (copy == NULL)
    return envrun_error_set (ctx->err, ENOMEM, "%s: %s",
                             json_doc_name (ctx->doc), path);
  free (*out);
  *out = copy;
  return 0;
}

int
cfg_opt_string (struct cfg_ctx *ctx, json_node *obj, const char *base,
                const char *key, char **out)
{
  char path[CFG_PATH_MAX];
  json_node *n = cfg_get (obj, key);

  if (n == NULL)
    return 0;
  cfg_path_key (path, base, key);
  return cfg_dup_string (ctx, n, path, out);
}

int
cfg_req_string (struct cfg_ctx *ctx, json_node *obj, const char *base,
                const char *key, char **out)
{
  char path[CFG_PATH_MAX];

  cfg_path_key (path, base, key);
  if (cfg_get (obj, key) == NULL)
    return cfg_error (ctx, path, "is required");
  return cfg_opt_string (ctx, obj, base, key, out);
}

int
cfg_opt_bool (struct cfg_ctx *ctx, json_node *obj, const char *base,
              const char *key, bool *out, bool *has)
{
  char path[CFG_PATH_MAX];
  json_node *n = cfg_get (obj, key);
  int ret;

  if (n == NULL)
    return 0;
  cfg_path_key (path, base, key);
  ret = json_get_bool (ctx->doc, n, path, out, ctx->err);
  if (ret < 0)
    return ret;
  if (has)
    *has = true;
  return 0;
}

int
cfg_opt_uint (struct cfg_ctx *ctx, json_node *obj, const char *base,
              const char *key, uint64_t max, uint64_t *out, bool *has)
{
  char path[CFG_PATH_MAX];
  json_node *n = cfg_get (obj, key);
  int ret;

  if (n == NULL)
    return 0;
  cfg_path_key (path, base, key);
  ret = json_get_uint_max (ctx->doc, n, path, max, out, ctx->err);
  if (ret < 0)
    return ret;
  if (has)
    *has = true;
  return 0;
}

int
cfg_req_uint (struct cfg_ctx *ctx, json_node *obj, const char *base,
              const char *key, uint64_t max, uint64_t *out)
{
  char path[CFG_PATH_MAX];

  cfg_path_key (path, base, key);
  if (cfg_get (obj, key) == NULL)
    return cfg_error (ctx, path, "is required");
  return cfg_opt_uint (ctx, obj, base, key, max, out, NULL);
}

int
cfg_opt_int (struct cfg_ctx *ctx, json_node *obj, const char *base,
             const char *key, int64_t min, int64_t max, int64_t *out,
             bool *has)
{
  char path[CFG_PATH_MAX];
  json_node *n = cfg_get (obj, key);
  int64_t v;
  int ret;

  if (n == NULL)
    return 0;
  cfg_path_key (path, base, key);
  ret = json_get_int64 (ctx->doc, n, path, &v, ctx->err);
  if (ret < 0)
    return ret;
  if (v < min || v > max)
    return cfg_error (ctx, path, "must be between %" PRId64 " and %" PRId64,
                      min, max);
  *out = v;
  if (has)
    *has = true;
  return 0;
}

int
cfg_req_int (struct cfg_ctx *ctx, json_node *obj, const char *base,
             const char *key, int64_t min, int64_t max, int64_t *out)
{
  char path[CFG_PATH_MAX];

  cfg_path_key (path, base, key);
  if (cfg_get (obj, key) == NULL)
    return cfg_error (ctx, path, "is required");
  return cfg_opt_int (ctx, obj, base, key, min, max, out, NULL);
}

int
cfg_member (struct cfg_ctx *ctx, json_node *obj, const char *base,
            const char *key, enum json_type t, char *path, json_node **out)
{
  *out = cfg_get (obj, key);
  if (*out == NULL)
    return 0;
  cfg_path_key (path, base, key);
  return cfg_expect (ctx, *out, path, t);
}

int
cfg_opt_strv (struct cfg_ctx *ctx, json_node *obj, const char *base,
              const char *key, char ***out, size_t *n)
{
  char path[CFG_PATH_MAX], item[CFG_PATH_MAX];
  json_node *arr;
  cleanup_strv char **v = NULL;
  size_t len;
  int ret = cfg_member (ctx, obj, base, key, JSON_ARRAY, path, &arr);

  if (ret < 0 || arr == NULL)
    return ret;
  len = json_array_size (arr);
  v = calloc (len + 1, sizeof *v);
  if (v == NULL)
    return envrun_error_set (ctx->err, ENOMEM, "%s: %s",
                             json_doc_name (ctx->doc), path);
  for (size_t i = 0; i < len; i++)
    {
      cfg_path_index (item, path, i);
      ret = cfg_dup_string (ctx, json_array_at (arr, i), item, &v[i]);
      if (ret < 0)
        return ret;
    }
  cfg_strv_free (*out);
  *out = steal_pointer (&v);
  *n = len;
  return 0;
}

int
cfg_opt_kv (struct cfg_ctx *ctx, json_node *obj, const char *base,
            const char *key, struct envrun_kv **out, size_t *n)
{
  char path[CFG_PATH_MAX], item[CFG_PATH_MAX];
  json_node *map;
  struct envrun_kv *kv;
  size_t len;
  int ret = cfg_member (ctx, obj, base, key, JSON_OBJECT, path, &map);

  if (ret < 0 || map == NULL)
    return ret;
  len = json_object_size (map);
  kv = calloc (len ? len : 1, sizeof *kv);
  if (kv == NULL)
    return envrun_error_set (ctx->err, ENOMEM, "%s: %s",
                             json_doc_name (ctx->doc), path);
  for (size_t i = 0; i < len; i++)
    {
      const char *k = json_object_key_at (map, i);

      cfg_path_key (item, path, k);
      ret = cfg_dup_string (ctx, json_object_value_at (map, i), item,
                            &kv[i].value);
      if (ret == 0 && (kv[i].key = strdup (k)) == NULL)
        ret = envrun_error_set (ctx->err, ENOMEM, "%s: %s",
                                json_doc_name (ctx->doc), item);
      if (ret < 0)
        {
          cfg_kv_free (kv, len);
          return ret;
        }
    }
  *out = kv;
  *n = len;
  return 0;
}

/* Ranges are half-open [start, start + size) in 64-bit arithmetic, so an
   id map cannot wrap around 2^32.  */
static bool
ranges_overlap (uint32_t a, uint32_t alen, uint32_t b, uint32_t blen)
{
  return (uint64_t)a < (uint64_t)b + blen && (uint64_t)b < (uint64_t)a + alen;
}

static int
id_mapping_one (struct cfg_ctx *ctx, json_node *n, const char *path,
                struct envrun_id_mapping *m)
{
  uint64_t cid, hid, size;
  char field[CFG_PATH_MAX];
  int ret = cfg_expect (ctx, n, path, JSON_OBJECT);

  if (ret == 0)
    ret = cfg_req_uint (ctx, n, path, "containerID", UINT32_MAX, &cid);
  if (ret == 0)
    ret = cfg_req_uint (ctx, n, path, "hostID", UINT32_MAX, &hid);
  if (ret == 0)
    ret = cfg_req_uint (ctx, n, path, "size", UINT32_MAX, &size);
  if (ret < 0)
    return ret;
  cfg_path_key (field, path, "size");
  if (size == 0)
    return cfg_error (ctx, field, "must be greater than zero");
  if (cid + size > (uint64_t)UINT32_MAX + 1
      || hid + size > (uint64_t)UINT32_MAX + 1)
    return cfg_error (ctx, field, "range goes past the 32-bit ID space");
  m->container_id = (uint32_t)cid;
  m->host_id = (uint32_t)hid;
  m->size = (uint32_t)size;
  return 0;
}

int
cfg_id_mappings (struct cfg_ctx *ctx, json_node *obj, const char *base,
                 const char *key, struct envrun_id_mapping **out, size_t *n)
{
  char path[CFG_PATH_MAX], item[CFG_PATH_MAX];
  json_node *arr = cfg_get (obj, key);
  cleanup_free struct envrun_id_mapping *maps = NULL;
  size_t len;
  int ret;

  if (arr == NULL)
    return 0;
  cfg_path_key (path, base, key);
  ret = cfg_expect (ctx, arr, path, JSON_ARRAY);
  if (ret < 0)
    return ret;
  len = json_array_size (arr);
  /* Also keeps the overlap check below cheap.  */
  if (len > CFG_MAX_ID_MAPPINGS)
    return cfg_error (ctx, path, "more than %u ranges (the kernel's limit)",
                      CFG_MAX_ID_MAPPINGS);
  maps = calloc (len ? len : 1, sizeof *maps);
  if (maps == NULL)
    return envrun_error_set (ctx->err, ENOMEM, "%s: %s",
                             json_doc_name (ctx->doc), path);
  for (size_t i = 0; i < len; i++)
    {
      cfg_path_index (item, path, i);
      ret = id_mapping_one (ctx, json_array_at (arr, i), item, &maps[i]);
      if (ret < 0)
        return ret;
      /* The kernel refuses overlapping extents in uid_map with EINVAL and
         no hint; say which two entries collide instead.  */
      for (size_t j = 0; j < i; j++)
        {
          if (ranges_overlap (maps[i].container_id, maps[i].size,
                              maps[j].container_id, maps[j].size))
            return cfg_error (ctx, item, "container ID range overlaps %s[%zu]",
                              path, j);
          if (ranges_overlap (maps[i].host_id, maps[i].size, maps[j].host_id,
                              maps[j].size))
            return cfg_error (ctx, item, "host ID range overlaps %s[%zu]",
                              path, j);
        }
    }
  free (*out);
  *out = steal_pointer (&maps);
  *n = len;
  return 0;
}

void
cfg_strv_free (char **v)
{
  if (v == NULL)
    return;
  for (char **p = v; *p; p++)
    free (*p);
  free (v);
}

void
cfg_kv_free (struct envrun_kv *kv, size_t n)
{
  if (kv == NULL)
    return;
  for (size_t i = 0; i < n; i++)
    {
      free (kv[i].key);
      free (kv[i].value);
    }
  free (kv);
}
