/* config.json `process` (and a process.json for `exec --process`).  */
#include "config-host.h"

#include "cleanup.h"
#include "config-parse.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/resource.h>

static int
nomem (struct cfg_ctx *ctx, const char *path)
{
  return envrun_error_set (ctx->err, ENOMEM, "%s: %s",
                           json_doc_name (ctx->doc), path);
}

static int
parse_console_size (struct cfg_ctx *ctx, json_node *p, const char *base,
                    struct envrun_process *proc)
{
  char path[CFG_PATH_MAX];
  json_node *n = cfg_get (p, "consoleSize");
  uint64_t h, w;
  int ret;

  if (n == NULL)
    return 0;
  cfg_path_key (path, base, "consoleSize");
  ret = cfg_expect (ctx, n, path, JSON_OBJECT);
  /* struct winsize holds unsigned shorts.  */
  if (ret == 0)
    ret = cfg_req_uint (ctx, n, path, "height", USHRT_MAX, &h);
  if (ret == 0)
    ret = cfg_req_uint (ctx, n, path, "width", USHRT_MAX, &w);
  if (ret < 0)
    return ret;
  proc->has_console_size = true;
  proc->console_height = (unsigned int)h;
  proc->console_width = (unsigned int)w;
  return 0;
}

static int
parse_user (struct cfg_ctx *ctx, json_node *p, const char *base,
            struct envrun_user *user)
{
  char path[CFG_PATH_MAX], item[CFG_PATH_MAX], field[CFG_PATH_MAX];
  json_node *n = cfg_get (p, "user"), *gids;
  uint64_t v;
  int ret;

  if (n == NULL)
    return 0;
  cfg_path_key (path, base, "user");
  ret = cfg_expect (ctx, n, path, JSON_OBJECT);
  v = 0;
  if (ret == 0)
    ret = cfg_opt_uint (ctx, n, path, "uid", UINT32_MAX, &v, NULL);
  if (ret < 0)
    return ret;
  user->uid = (uid_t)v;
  v = 0;
  ret = cfg_opt_uint (ctx, n, path, "gid", UINT32_MAX, &v, NULL);
  if (ret < 0)
    return ret;
  user->gid = (gid_t)v;
  cfg_path_key (item, path, "umask");
  ret = cfg_opt_uint (ctx, n, path, "umask", UINT32_MAX, &v, &user->has_umask);
  if (ret < 0)
    return ret;
  if (user->has_umask && v > 0777)
    return cfg_error (ctx, item, "must be at most 0777");
  user->umask = (mode_t)v;
  ret = cfg_opt_string (ctx, n, path, "username", &user->username);
  if (ret < 0)
    return ret;
  gids = cfg_get (n, "additionalGids");
  if (gids == NULL)
    return 0;
  cfg_path_key (field, path, "additionalGids");
  ret = cfg_expect (ctx, gids, field, JSON_ARRAY);
  if (ret < 0)
    return ret;
  user->n_additional_gids = json_array_size (gids);
  user->additional_gids = calloc (user->n_additional_gids + 1, sizeof (gid_t));
  if (user->additional_gids == NULL)
    return nomem (ctx, field);
  for (size_t i = 0; i < user->n_additional_gids; i++)
    {
      cfg_path_index (item, field, i);
      ret = json_get_uint_max (ctx->doc, json_array_at (gids, i), item,
                               UINT32_MAX, &v, ctx->err);
      if (ret < 0)
        return ret;
      user->additional_gids[i] = (gid_t)v;
    }
  return 0;
}

/* A capability name as runc spells it ("CAP_CHOWN"); libcap would also take
   "chown" or "0", which other runtimes refuse.  */
static int
parse_cap_set (struct cfg_ctx *ctx, json_node *caps, const char *base,
               const char *key, int **out, size_t *n, bool *has)
{
  char path[CFG_PATH_MAX], item[CFG_PATH_MAX];
  json_node *arr;
  size_t len;
  int ret = cfg_member (ctx, caps, base, key, JSON_ARRAY, path, &arr);

  if (ret < 0 || arr == NULL)
    return ret;
  len = json_array_size (arr);
  *out = calloc (len ? len : 1, sizeof (int));
  if (*out == NULL)
    return nomem (ctx, path);
  *n = len;
  *has = true;
  for (size_t i = 0; i < len; i++)
    {
      const char *name;
      cap_value_t value;

      cfg_path_index (item, path, i);
      ret = json_get_string (ctx->doc, json_array_at (arr, i), item, &name,
                             ctx->err);
      if (ret < 0)
        return ret;
      if (strncmp (name, "CAP_", 4) != 0 || name[4] == '\0'
          || name[strspn (name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789")]
          || cap_from_name (name, &value) < 0)
        return cfg_error (ctx, item, "unknown capability \"%s\"", name);
      (*out)[i] = value;
    }
  return 0;
}

static int
parse_capabilities (struct cfg_ctx *ctx, json_node *p, const char *base,
                    struct envrun_process *proc)
{
  char path[CFG_PATH_MAX];
  json_node *n = cfg_get (p, "capabilities");
  struct envrun_capabilities *c;
  int ret;

  if (n == NULL)
    return 0;
  cfg_path_key (path, base, "capabilities");
  ret = cfg_expect (ctx, n, path, JSON_OBJECT);
  if (ret < 0)
    return ret;
  c = proc->capabilities = calloc (1, sizeof *c);
  if (c == NULL)
    return nomem (ctx, path);
  ret = parse_cap_set (ctx, n, path, "bounding", &c->bounding, &c->n_bounding,
                       &c->has_bounding);
  if (ret == 0)
    ret = parse_cap_set (ctx, n, path, "effective", &c->effective,
                         &c->n_effective, &c->has_effective);
  if (ret == 0)
    ret = parse_cap_set (ctx, n, path, "inheritable", &c->inheritable,
                         &c->n_inheritable, &c->has_inheritable);
  if (ret == 0)
    ret = parse_cap_set (ctx, n, path, "permitted", &c->permitted,
                         &c->n_permitted, &c->has_permitted);
  if (ret == 0)
    ret = parse_cap_set (ctx, n, path, "ambient", &c->ambient, &c->n_ambient,
                         &c->has_ambient);
  return ret;
}

static const struct
{
  const char *name;
  int resource;
} rlimit_names[] = {
  { "RLIMIT_AS", RLIMIT_AS },
  { "RLIMIT_CORE", RLIMIT_CORE },
  { "RLIMIT_CPU", RLIMIT_CPU },
  { "RLIMIT_DATA", RLIMIT_DATA },
  { "RLIMIT_FSIZE", RLIMIT_FSIZE },
  { "RLIMIT_LOCKS", RLIMIT_LOCKS },
  { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
  { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
  { "RLIMIT_NICE", RLIMIT_NICE },
  { "RLIMIT_NOFILE", RLIMIT_NOFILE },
  { "RLIMIT_NPROC", RLIMIT_NPROC },
  { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
  { "RLIMIT_RTTIME", RLIMIT_RTTIME },
  { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
  { "RLIMIT_STACK", RLIMIT_STACK },
};

static int
parse_rlimit (struct cfg_ctx *ctx, json_node *n, const char *path,
              struct envrun_rlimit *rl)
{
  char field[CFG_PATH_MAX];
  int ret = cfg_expect (ctx, n, path, JSON_OBJECT);

  if (ret == 0)
    ret = cfg_req_string (ctx, n, path, "type", &rl->type);
  if (ret < 0)
    return ret;
  cfg_path_key (field, path, "type");
  rl->resource = -1;
  for (size_t i = 0; i < sizeof rlimit_names / sizeof *rlimit_names; i++)
    if (strcmp (rlimit_names[i].name, rl->type) == 0)
      rl->resource = rlimit_names[i].resource;
  if (rl->resource < 0)
    return cfg_error (ctx, field, "unknown rlimit \"%s\"", rl->type);
  ret = cfg_req_uint (ctx, n, path, "soft", UINT64_MAX, &rl->soft);
  if (ret == 0)
    ret = cfg_req_uint (ctx, n, path, "hard", UINT64_MAX, &rl->hard);
  if (ret < 0)
    return ret;
  cfg_path_key (field, path, "soft");
  if (rl->soft > rl->hard)
    return cfg_error (ctx, field, "must not be greater than hard (%llu)",
                      (unsigned long long)rl->hard);
  return 0;
}

static int
parse_rlimits (struct cfg_ctx *ctx, json_node *p, const char *base,
               struct envrun_process *proc)
{
  char path[CFG_PATH_MAX], item[CFG_PATH_MAX], field[CFG_PATH_MAX];
  json_node *arr = cfg_get (p, "rlimits");
  int ret;

  if (arr == NULL)
    return 0;
  cfg_path_key (path, base, "rlimits");
  ret = cfg_expect (ctx, arr, path, JSON_ARRAY);
  if (ret < 0)
    return ret;
  proc->n_rlimits = json_array_size (arr);
  proc->rlimits = calloc (proc->n_rlimits + 1, sizeof *proc->rlimits);
  if (proc->rlimits == NULL)
    return nomem (ctx, path);
  for (size_t i = 0; i < proc->n_rlimits; i++)
    {
      cfg_path_index (item, path, i);
      ret = parse_rlimit (ctx, json_array_at (arr, i), item,
                          &proc->rlimits[i]);
      if (ret < 0)
        return ret;
      cfg_path_key (field, item, "type");
      for (size_t j = 0; j < i; j++)
        if (proc->rlimits[j].resource == proc->rlimits[i].resource)
          return cfg_error (ctx, field, "duplicate rlimit \"%s\"",
                            proc->rlimits[i].type);
    }
  return 0;
}

static const char *const sched_policies[]
    = { "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR",       "SCHED_BATCH",
        "SCHED_ISO",   "SCHED_IDLE", "SCHED_DEADLINE", NULL };
static const char *const sched_flags[]
    = { "SCHED_FLAG_RESET_ON_FORK",  "SCHED_FLAG_RECLAIM",
        "SCHED_FLAG_DL_OVERRUN",     "SCHED_FLAG_KEEP_POLICY",
        "SCHED_FLAG_KEEP_PARAMS",    "SCHED_FLAG_UTIL_CLAMP_MIN",
        "SCHED_FLAG_UTIL_CLAMP_MAX", NULL };

static int
parse_scheduler (struct cfg_ctx *ctx, json_node *p, const char *base,
                 struct envrun_process *proc)
{
  char path[CFG_PATH_MAX], field[CFG_PATH_MAX];
  json_node *n = cfg_get (p, "scheduler");
  struct envrun_scheduler *s;
  int64_t v = 0;
  int ret;

  if (n == NULL)
    return 0;
  cfg_path_key (path, base, "scheduler");
  ret = cfg_expect (ctx, n, path, JSON_OBJECT);
  if (ret < 0)
    return ret;
  s = proc->scheduler = calloc (1, sizeof *s);
  if (s == NULL)
    return nomem (ctx, path);
  ret = cfg_req_string (ctx, n, path, "policy", &s->policy);
  if (ret < 0)
    return ret;
  cfg_path_key (field, path, "policy");
  /* The table's index is the kernel's SCHED_* number (SCHED_ISO is 4).  */
  s->policy_value = cfg_name_index (sched_policies, s->policy);
  if (s->policy_value < 0)
    return cfg_error (ctx, field, "unknown scheduler policy \"%s\"",
                      s->policy);
  ret = cfg_opt_int (ctx, n, path, "nice", -20, 19, &v, NULL);
  s->nice = (int)v;
  v = 0;
  if (ret == 0)
    ret = cfg_opt_int (ctx, n, path, "priority", INT32_MIN, INT32_MAX, &v,
                       NULL);
  s->priority = (int)v;
  if (ret == 0)
    ret = cfg_opt_strv (ctx, n, path, "flags", &s->flags, &s->n_flags);
  for (size_t i = 0; ret == 0 && i < s->n_flags; i++)
    if (cfg_name_index (sched_flags, s->flags[i]) < 0)
      {
        char flags[CFG_PATH_MAX];

        cfg_path_key (flags, path, "flags");
        cfg_path_index (field, flags, i);
        ret = cfg_error (ctx, field, "unknown scheduler flag \"%s\"",
                         s->flags[i]);
      }
  if (ret == 0)
    ret = cfg_opt_uint (ctx, n, path, "runtime", UINT64_MAX, &s->runtime,
                        NULL);
  if (ret == 0)
    ret = cfg_opt_uint (ctx, n, path, "deadline", UINT64_MAX, &s->deadline,
                        NULL);
  if (ret == 0)
    ret = cfg_opt_uint (ctx, n, path, "period", UINT64_MAX, &s->period, NULL);
  return ret;
}

static const char *const ioprio_classes[]
    = { "IOPRIO_CLASS_NONE", "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE",
        "IOPRIO_CLASS_IDLE", NULL };

static int
parse_io_priority (struct cfg_ctx *ctx, json_node *p, const char *base,
                   struct envrun_process *proc)
{
  char path[CFG_PATH_MAX], field[CFG_PATH_MAX];
  json_node *n = cfg_get (p, "ioPriority");
  struct envrun_io_priority *io;
  int64_t v = 0;
  int ret;

  if (n == NULL)
    return 0;
  cfg_path_key (path, base, "ioPriority");
  ret = cfg_expect (ctx, n, path, JSON_OBJECT);
  if (ret < 0)
    return ret;
  io = proc->io_priority = calloc (1, sizeof *io);
  if (io == NULL)
    return nomem (ctx, path);
  ret = cfg_req_string (ctx, n, path, "class", &io->klass);
  if (ret < 0)
    return ret;
  cfg_path_key (field, path, "class");
  /* Index is the kernel's IOPRIO_CLASS_* number; NONE is not a choice.  */
  io->class_value = cfg_name_index (ioprio_classes, io->klass);
  if (io->class_value <= 0)
    return cfg_error (ctx, field, "unknown I/O priority class \"%s\"",
                      io->klass);
  ret = cfg_opt_int (ctx, n, path, "priority", 0, 7, &v, NULL);
  io->priority = (int)v;
  return ret;
}

static int
check_args_env_cwd (struct cfg_ctx *ctx, const char *base,
                    struct envrun_process *proc)
{
  char path[CFG_PATH_MAX], item[CFG_PATH_MAX];

  cfg_path_key (path, base, "args");
  if (proc->n_args == 0)
    return cfg_error (ctx, path, "must not be empty");
  cfg_path_key (path, base, "env");
  for (size_t i = 0; i < proc->n_env; i++)
    {
      const char *eq = strchr (proc->env[i], '=');

      cfg_path_index (item, path, i);
      if (eq == NULL || eq == proc->env[i])
        return cfg_error (ctx, item, "expected NAME=VALUE, got \"%s\"",
                          proc->env[i]);
    }
  cfg_path_key (path, base, "cwd");
  if (proc->cwd == NULL)
    return cfg_error (ctx, path, "is required");
  if (!cfg_is_absolute (proc->cwd))
    return cfg_error (ctx, path, "must be an absolute path");
  return 0;
}

static int
parse_process_fields (struct cfg_ctx *ctx, json_node *n, const char *path,
                      struct envrun_process *proc)
{
  char field[CFG_PATH_MAX];
  int64_t oom = 0;
  int ret = cfg_expect (ctx, n, path, JSON_OBJECT);

  if (ret == 0)
    ret = cfg_opt_bool (ctx, n, path, "terminal", &proc->terminal, NULL);
  if (ret == 0)
    ret = parse_console_size (ctx, n, path, proc);
  if (ret == 0)
    ret = parse_user (ctx, n, path, &proc->user);
  if (ret == 0)
    ret = cfg_opt_strv (ctx, n, path, "args", &proc->args, &proc->n_args);
  if (ret == 0)
    ret = cfg_opt_string (ctx, n, path, "commandLine", &proc->command_line);
  if (ret == 0)
    ret = cfg_opt_strv (ctx, n, path, "env", &proc->env, &proc->n_env);
  if (ret == 0)
    ret = cfg_opt_string (ctx, n, path, "cwd", &proc->cwd);
  if (ret == 0)
    ret = check_args_env_cwd (ctx, path, proc);
  if (ret == 0)
    ret = parse_capabilities (ctx, n, path, proc);
  if (ret == 0)
    ret = parse_rlimits (ctx, n, path, proc);
  if (ret == 0)
    ret = cfg_opt_bool (ctx, n, path, "noNewPrivileges",
                        &proc->no_new_privileges, NULL);
  if (ret == 0)
    ret = cfg_opt_string (ctx, n, path, "apparmorProfile",
                          &proc->apparmor_profile);
  if (ret == 0)
    ret = cfg_opt_int (ctx, n, path, "oomScoreAdj", -1000, 1000, &oom,
                       &proc->has_oom_score_adj);
  proc->oom_score_adj = (int)oom;
  if (ret == 0)
    ret = cfg_opt_string (ctx, n, path, "selinuxLabel", &proc->selinux_label);
  if (ret == 0)
    ret = parse_scheduler (ctx, n, path, proc);
  if (ret == 0)
    ret = parse_io_priority (ctx, n, path, proc);
  /* execCPUAffinity is not applied; its type is still checked.  */
  cfg_path_key (field, path, "execCPUAffinity");
  if (ret == 0 && cfg_get (n, "execCPUAffinity"))
    ret = cfg_expect (ctx, cfg_get (n, "execCPUAffinity"), field, JSON_OBJECT);
  return ret;
}

int
cfg_parse_process (struct cfg_ctx *ctx, json_node *n, const char *path,
                   struct envrun_process **out)
{
  struct envrun_process *proc = calloc (1, sizeof *proc);
  int ret;

  if (proc == NULL)
    return nomem (ctx, path);
  ret = parse_process_fields (ctx, n, path, proc);
  if (ret < 0)
    {
      envrun_process_free (proc);
      return ret;
    }
  *out = proc;
  return 0;
}

static void
capabilities_free (struct envrun_capabilities *c)
{
  if (c == NULL)
    return;
  free (c->bounding);
  free (c->effective);
  free (c->inheritable);
  free (c->permitted);
  free (c->ambient);
  free (c);
}

void
envrun_process_free (struct envrun_process *p)
{
  if (p == NULL)
    return;
  free (p->user.additional_gids);
  free (p->user.username);
  cfg_strv_free (p->args);
  free (p->command_line);
  cfg_strv_free (p->env);
  free (p->cwd);
  capabilities_free (p->capabilities);
  for (size_t i = 0; p->rlimits && i < p->n_rlimits; i++)
    free (p->rlimits[i].type);
  free (p->rlimits);
  free (p->apparmor_profile);
  free (p->selinux_label);
  if (p->scheduler)
    {
      free (p->scheduler->policy);
      cfg_strv_free (p->scheduler->flags);
      free (p->scheduler);
    }
  if (p->io_priority)
    free (p->io_priority->klass);
  free (p->io_priority);
  free (p);
}
