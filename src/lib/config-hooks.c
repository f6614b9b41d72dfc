/* config.json `hooks`.  */
#include "config-host.h"

#include "config-parse.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

static const char *const hook_keys[ENVRUN_HOOK_KIND_COUNT] = {
  [ENVRUN_HOOK_PRESTART] = "prestart",
  [ENVRUN_HOOK_CREATE_RUNTIME] = "createRuntime",
  [ENVRUN_HOOK_CREATE_CONTAINER] = "createContainer",
  [ENVRUN_HOOK_START_CONTAINER] = "startContainer",
  [ENVRUN_HOOK_POSTSTART] = "poststart",
  [ENVRUN_HOOK_POSTSTOP] = "poststop",
};

static int
parse_hook (struct cfg_ctx *ctx, json_node *n, const char *path,
            struct envrun_hook *h)
{
  char field[CFG_PATH_MAX];
  int64_t timeout = 0;
  int ret = cfg_expect (ctx, n, path, JSON_OBJECT);

  if (ret == 0)
    ret = cfg_req_string (ctx, n, path, "path", &h->path);
  if (ret < 0)
    return ret;
  cfg_path_key (field, path, "path");
  if (!cfg_is_absolute (h->path))
    return cfg_error (ctx, field, "must be an absolute path");
  ret = cfg_opt_strv (ctx, n, path, "args", &h->args, &h->n_args);
  if (ret == 0)
    ret = cfg_opt_strv (ctx, n, path, "env", &h->env, &h->n_env);
  if (ret == 0)
    ret = cfg_opt_int (ctx, n, path, "timeout", INT64_MIN, INT64_MAX, &timeout,
                       &h->has_timeout);
  if (ret < 0)
    return ret;
  cfg_path_key (field, path, "timeout");
  if (h->has_timeout && timeout <= 0)
    return cfg_error (ctx, field, "must be greater than zero");
  if (timeout > INT_MAX)
    return cfg_error (ctx, field, "must be at most %d", INT_MAX);
  h->timeout = (int)timeout;
  return 0;
}

static int
parse_hook_list (struct cfg_ctx *ctx, json_node *hooks, const char *base,
                 enum envrun_hook_kind kind, struct envrun_hooks *out)
{
  char path[CFG_PATH_MAX], item[CFG_PATH_MAX];
  json_node *arr = cfg_get (hooks, hook_keys[kind]);
  size_t len;
  int ret;

  if (arr == NULL)
    return 0;
  cfg_path_key (path, base, hook_keys[kind]);
  ret = cfg_expect (ctx, arr, path, JSON_ARRAY);
  if (ret < 0)
    return ret;
  len = json_array_size (arr);
  out->hooks[kind] = calloc (len ? len : 1, sizeof (struct envrun_hook));
  if (out->hooks[kind] == NULL)
    return envrun_error_set (ctx->err, ENOMEM, "%s: %s",
                             json_doc_name (ctx->doc), path);
  out->n_hooks[kind] = len;
  for (size_t i = 0; i < len; i++)
    {
      cfg_path_index (item, path, i);
      ret = parse_hook (ctx, json_array_at (arr, i), item,
                        &out->hooks[kind][i]);
      if (ret < 0)
        return ret;
    }
  return 0;
}

int
cfg_parse_hooks (struct cfg_ctx *ctx, json_node *n, const char *path,
                 struct envrun_hooks *hooks)
{
  int ret = cfg_expect (ctx, n, path, JSON_OBJECT);

  for (int k = 0; ret == 0 && k < ENVRUN_HOOK_KIND_COUNT; k++)
    ret = parse_hook_list (ctx, n, path, (enum envrun_hook_kind)k, hooks);
  return ret;
}

void
cfg_hooks_free (struct envrun_hooks *h)
{
  for (int k = 0; k < ENVRUN_HOOK_KIND_COUNT; k++)
    {
      for (size_t i = 0; h->hooks[k] && i < h->n_hooks[k]; i++)
        {
          free (h->hooks[k][i].path);
          cfg_strv_free (h->hooks[k][i].args);
          cfg_strv_free (h->hooks[k][i].env);
        }
      free (h->hooks[k]);
      h->hooks[k] = NULL;
      h->n_hooks[k] = 0;
    }
}
