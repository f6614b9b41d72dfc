/* `linux.seccomp` (also a standalone profile file).  Names are validated
   here against what the spec and libseccomp know; translating them into a
   filter is the seccomp module's job.  */
#include "config-host.h"

#include "cleanup.h"
#include "config-parse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const seccomp_actions[]
    = { "SCMP_ACT_KILL",        "SCMP_ACT_KILL_PROCESS",
        "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
        "SCMP_ACT_ERRNO",       "SCMP_ACT_TRACE",
        "SCMP_ACT_ALLOW",       "SCMP_ACT_LOG",
        "SCMP_ACT_NOTIFY",      NULL };

static const char *const seccomp_arches[]
    = { "SCMP_ARCH_X86",      "SCMP_ARCH_X86_64",      "SCMP_ARCH_X32",
        "SCMP_ARCH_ARM",      "SCMP_ARCH_AARCH64",     "SCMP_ARCH_MIPS",
        "SCMP_ARCH_MIPS64",   "SCMP_ARCH_MIPS64N32",   "SCMP_ARCH_MIPSEL",
        "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
        "SCMP_ARCH_PPC64",    "SCMP_ARCH_PPC64LE",     "SCMP_ARCH_S390",
        "SCMP_ARCH_S390X",    "SCMP_ARCH_PARISC",      "SCMP_ARCH_PARISC64",
        "SCMP_ARCH_RISCV64",  "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K",
        "SCMP_ARCH_SH",       "SCMP_ARCH_SHEB",        NULL };

static const char *const seccomp_flags[]
    = { "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
        "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
        "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", NULL };

/* Indexed by enum envrun_seccomp_op.  */
static const char *const seccomp_ops[]
    = { "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",        "SCMP_CMP_EQ",
        "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ", NULL };

static int
check_names (struct cfg_ctx *ctx, const char *base, const char *key,
             char **names, size_t n, const char *const *table,
             const char *what)
{
  char path[CFG_PATH_MAX], item[CFG_PATH_MAX];

  cfg_path_key (path, base, key);
  for (size_t i = 0; i < n; i++)
    if (cfg_name_index (table, names[i]) < 0)
      {
        cfg_path_index (item, path, i);
        return cfg_error (ctx, item, "unknown %s \"%s\"", what, names[i]);
      }
  return 0;
}

static int
check_action (struct cfg_ctx *ctx, const char *base, const char *key,
              const char *action)
{
  char path[CFG_PATH_MAX];

  cfg_path_key (path, base, key);
  if (cfg_name_index (seccomp_actions, action) < 0)
    return cfg_error (ctx, path, "unknown seccomp action \"%s\"", action);
  return 0;
}

/* errnoRet means something only for the actions that return a value, as
   runc holds it.  */
static int
check_errno_ret (struct cfg_ctx *ctx, const char *base, const char *key,
                 const char *action)
{
  char path[CFG_PATH_MAX];

  cfg_path_key (path, base, key);
  if (strcmp (action, "SCMP_ACT_ERRNO") != 0
      && strcmp (action, "SCMP_ACT_TRACE") != 0)
    return cfg_error (ctx, path,
                      "only valid with SCMP_ACT_ERRNO or "
                      "SCMP_ACT_TRACE, not %s",
                      action);
  return 0;
}

static int
parse_arg (struct cfg_ctx *ctx, json_node *n, const char *path,
           struct envrun_seccomp_arg *a)
{
  cleanup_free char *op = NULL;
  char field[CFG_PATH_MAX];
  uint64_t index = 0;
  int ret = cfg_expect (ctx, n, path, JSON_OBJECT);

  /* Six syscall arguments, numbered from 0.  */
  if (ret == 0)
    ret = cfg_req_uint (ctx, n, path, "index", 5, &index);
  if (ret == 0)
    ret = cfg_req_uint (ctx, n, path, "value", UINT64_MAX, &a->value);
  if (ret == 0)
    ret = cfg_opt_uint (ctx, n, path, "valueTwo", UINT64_MAX, &a->value_two,
                        NULL);
  if (ret == 0)
    ret = cfg_req_string (ctx, n, path, "op", &op);
  if (ret < 0)
    return ret;
  a->index = (unsigned int)index;
  ret = cfg_name_index (seccomp_ops, op);
  cfg_path_key (field, path, "op");
  if (ret < 0)
    return cfg_error (ctx, field, "unknown seccomp operator \"%s\"", op);
  a->op = (enum envrun_seccomp_op)ret;
  return 0;
}

static int
parse_rule_args (struct cfg_ctx *ctx, json_node *rule, const char *base,
                 struct envrun_seccomp_rule *r)
{
  char path[CFG_PATH_MAX], item[CFG_PATH_MAX];
  json_node *arr = cfg_get (rule, "args");
  int ret;

  if (arr == NULL)
    return 0;
  cfg_path_key (path, base, "args");
  ret = cfg_expect (ctx, arr, path, JSON_ARRAY);
  if (ret < 0)
    return ret;
  r->n_args = json_array_size (arr);
  r->args = calloc (r->n_args ? r->n_args : 1, sizeof *r->args);
  if (r->args == NULL)
    return envrun_error_set (ctx->err, ENOMEM, "%s: %s",
                             json_doc_name (ctx->doc), path);
  for (size_t i = 0; i < r->n_args; i++)
    {
      cfg_path_index (item, path, i);
      ret = parse_arg (ctx, json_array_at (arr, i), item, &r->args[i]);
      if (ret < 0)
        return ret;
    }
  return 0;
}

static int
parse_rule (struct cfg_ctx *ctx, json_node *n, const char *path,
            const struct envrun_seccomp *s, struct envrun_seccomp_rule *r)
{
  char field[CFG_PATH_MAX];
  uint64_t eret = 0;
  int ret = cfg_expect (ctx, n, path, JSON_OBJECT);

  if (ret == 0)
    ret = cfg_opt_strv (ctx, n, path, "names", &r->names, &r->n_names);
  cfg_path_key (field, path, "names");
  if (ret == 0 && r->n_names == 0)
    ret = cfg_error (ctx, field, "must not be empty");
  if (ret == 0)
    ret = cfg_req_string (ctx, n, path, "action", &r->action);
  if (ret == 0)
    ret = check_action (ctx, path, "action", r->action);
  if (ret == 0)
    ret = cfg_opt_uint (ctx, n, path, "errnoRet", UINT32_MAX, &eret,
                        &r->has_errno_ret);
  if (ret == 0 && r->has_errno_ret)
    ret = check_errno_ret (ctx, path, "errnoRet", r->action);
  r->errno_ret = (unsigned int)eret;
  cfg_path_key (field, path, "action");
  if (ret == 0 && strcmp (r->action, "SCMP_ACT_NOTIFY") == 0
      && s->listener_path == NULL)
    ret = cfg_error (ctx, field, "SCMP_ACT_NOTIFY needs a listenerPath");
  if (ret == 0)
    ret = parse_rule_args (ctx, n, path, r);
  return ret;
}

static int
parse_syscalls (struct cfg_ctx *ctx, json_node *obj, const char *base,
                struct envrun_seccomp *s)
{
  char path[CFG_PATH_MAX], item[CFG_PATH_MAX];
  json_node *arr = cfg_get (obj, "syscalls");
  int ret;

  if (arr == NULL)
    return 0;
  cfg_path_key (path, base, "syscalls");
  ret = cfg_expect (ctx, arr, path, JSON_ARRAY);
  if (ret < 0)
    return ret;
  s->n_syscalls = json_array_size (arr);
  s->syscalls
      = calloc (s->n_syscalls ? s->n_syscalls : 1, sizeof *s->syscalls);
  if (s->syscalls == NULL)
    return envrun_error_set (ctx->err, ENOMEM, "%s: %s",
                             json_doc_name (ctx->doc), path);
  for (size_t i = 0; i < s->n_syscalls; i++)
    {
      cfg_path_index (item, path, i);
      ret = parse_rule (ctx, json_array_at (arr, i), item, s, &s->syscalls[i]);
      if (ret < 0)
        return ret;
    }
  return 0;
}

static int
parse_seccomp_fields (struct cfg_ctx *ctx, json_node *n, const char *path,
                      struct envrun_seccomp *s)
{
  char field[CFG_PATH_MAX];
  uint64_t eret = 0;
  int ret = cfg_expect (ctx, n, path, JSON_OBJECT);

  if (ret == 0)
    ret = cfg_req_string (ctx, n, path, "defaultAction", &s->default_action);
  if (ret == 0)
    ret = check_action (ctx, path, "defaultAction", s->default_action);
  cfg_path_key (field, path, "defaultAction");
  /* Every syscall would wait on the agent, including the ones the agent
     needs to answer: runc refuses it too.  */
  if (ret == 0 && strcmp (s->default_action, "SCMP_ACT_NOTIFY") == 0)
    ret = cfg_error (ctx, field, "SCMP_ACT_NOTIFY cannot be the default");
  if (ret == 0)
    ret = cfg_opt_uint (ctx, n, path, "defaultErrnoRet", UINT32_MAX, &eret,
                        &s->has_default_errno_ret);
  if (ret == 0 && s->has_default_errno_ret)
    ret = check_errno_ret (ctx, path, "defaultErrnoRet", s->default_action);
  s->default_errno_ret = (unsigned int)eret;
  if (ret == 0)
    ret = cfg_opt_strv (ctx, n, path, "architectures", &s->architectures,
                        &s->n_architectures);
  if (ret == 0)
    ret = check_names (ctx, path, "architectures", s->architectures,
                       s->n_architectures, seccomp_arches, "architecture");
  if (ret == 0)
    ret = cfg_opt_strv (ctx, n, path, "flags", &s->flags, &s->n_flags);
  if (ret == 0)
    ret = check_names (ctx, path, "flags", s->flags, s->n_flags, seccomp_flags,
                       "seccomp flag");
  if (ret == 0)
    ret = cfg_opt_string (ctx, n, path, "listenerPath", &s->listener_path);
  cfg_path_key (field, path, "listenerPath");
  if (ret == 0 && s->listener_path && !cfg_is_absolute (s->listener_path))
    ret = cfg_error (ctx, field, "must be an absolute path");
  if (ret == 0)
    ret = cfg_opt_string (ctx, n, path, "listenerMetadata",
                          &s->listener_metadata);
  if (ret == 0)
    ret = parse_syscalls (ctx, n, path, s);
  return ret;
}

int
cfg_parse_seccomp (struct cfg_ctx *ctx, json_node *n, const char *path,
                   struct envrun_seccomp **out)
{
  struct envrun_seccomp *s = calloc (1, sizeof *s);
  int ret;

  if (s == NULL)
    return envrun_error_set (ctx->err, ENOMEM, "%s: %s",
                             json_doc_name (ctx->doc), path);
  ret = parse_seccomp_fields (ctx, n, path, s);
  if (ret < 0)
    {
      envrun_seccomp_free (s);
      return ret;
    }
  *out = s;
  return 0;
}

void
envrun_seccomp_free (struct envrun_seccomp *s)
{
  if (s == NULL)
    return;
  free (s->default_action);
  cfg_strv_free (s->architectures);
  cfg_strv_free (s->flags);
  free (s->listener_path);
  free (s->listener_metadata);
  for (size_t i = 0; s->syscalls && i < s->n_syscalls; i++)
    {
      cfg_strv_free (s->syscalls[i].names);
      free (s->syscalls[i].action);
      free (s->syscalls[i].args);
    }
  free (s->syscalls);
  free (s);
}
