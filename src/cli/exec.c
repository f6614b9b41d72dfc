/* envrun exec [--process FILE.json | [-t] [--cwd D] [-e K=V]... [-u U[:G]]
               [--cap CAP]... [--no-new-privs]] [-d] [--pid-file F]
               [--console-socket S] [--preserve-fds N] ID [CMD ARG...]
   Without --process, the container's own process is the base and the
   flags change it, as in runc.  */
#include "config-host.h"

#include "cli.h"
#include "seal.h"

#include <envrun/container.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>

#define PROCESS_MAX (4 * 1024 * 1024)

struct exec_flags
{
  const char *process_file;
  const char *cwd;
  const char *user;
  bool tty, no_new_privs;
  char **env;
  size_t n_env;
  char **caps;
  size_t n_caps;
};

static int
push (char ***v, size_t *n, char *s)
{
  char **nv = realloc (*v, (*n + 2) * sizeof *nv);
  if (nv == NULL)
    return -1;
  nv[(*n)++] = s;
  nv[*n] = NULL;
  *v = nv;
  return 0;
}

static int
add_cap (int **set, size_t *n, int cap)
{
  for (size_t i = 0; i < *n; i++)
    if ((*set)[i] == cap)
      return 0;
  int *ns = realloc (*set, (*n + 1) * sizeof *ns);
  if (ns == NULL)
    return -1;
  ns[(*n)++] = cap;
  *set = ns;
  return 0;
}

static int
apply_caps (struct cli_global *g, struct envrun_process *p,
            const struct exec_flags *f)
{
  if (f->n_caps && p->capabilities == NULL)
    p->capabilities = calloc (1, sizeof *p->capabilities);
  for (size_t i = 0; i < f->n_caps; i++)
    {
      cap_value_t v;
      struct envrun_capabilities *c = p->capabilities;
      if (c == NULL || strncmp (f->caps[i], "CAP_", 4) != 0
          || cap_from_name (f->caps[i], &v) < 0)
        return cli_failf (g, "exec: --cap: unknown capability `%s`",
                          f->caps[i]);
      if (add_cap (&c->bounding, &c->n_bounding, v) < 0
          || add_cap (&c->effective, &c->n_effective, v) < 0
          || add_cap (&c->permitted, &c->n_permitted, v) < 0
          || add_cap (&c->inheritable, &c->n_inheritable, v) < 0
          || add_cap (&c->ambient, &c->n_ambient, v) < 0)
        return cli_failf (g, "exec: out of memory");
    }
  return 0;
}

static int
apply_user (struct cli_global *g, struct envrun_process *p, const char *u)
{
  char *end;
  unsigned long uid, gid;

  errno = 0;
  uid = strtoul (u, &end, 10);
  gid = p->user.gid;
  if (errno == 0 && *end == ':' && end[1])
    gid = strtoul (end + 1, &end, 10);
  if (errno || *end || u[0] == '-' || uid > UINT32_MAX || gid > UINT32_MAX)
    return cli_failf (g, "exec: --user: expected UID[:GID], got `%s`", u);
  p->user.uid = (uid_t) uid;
  p->user.gid = (gid_t) gid;
  return 0;
}

/* Replace the base process's fields with what the flags say.  */
static int
apply_flags (struct cli_global *g, struct envrun_process *p,
             const struct exec_flags *f, int argc, char **argv)
{
  char **args = calloc ((size_t) argc + 1, sizeof *args);

  if (args == NULL)
    return cli_failf (g, "exec: out of memory");
  for (int i = 0; i < argc; i++)
    args[i] = strdup (argv[i]);
  for (size_t i = 0; i < p->n_args; i++)
    free (p->args[i]);
  free (p->args);
  p->args = args;
  p->n_args = (size_t) argc;
  for (size_t i = 0; i < f->n_env; i++)
    if (push (&p->env, &p->n_env, strdup (f->env[i])) < 0)
      return cli_failf (g, "exec: out of memory");
  if (f->cwd)
    {
      free (p->cwd);
      p->cwd = strdup (f->cwd);
    }
  p->terminal = f->tty;
  if (f->no_new_privs)
    p->no_new_privileges = true;
  if (f->user && apply_user (g, p, f->user))
    return 1;
  return apply_caps (g, p, f);
}

static int
load_process (struct cli_global *g, const struct envrun_run_options *o,
              const struct exec_flags *f, int argc, char **argv,
              struct envrun_process **out)
{
  envrun_error_t err = NULL;
  struct envrun_config *cfg = NULL;
  char *text = NULL;
  size_t len;

  if (f->process_file)
    {
      int r = cli_read_file (f->process_file, PROCESS_MAX, &text, &len, &err);
      if (r == 0)
        r = envrun_process_parse_string (text, len, f->process_file, out,
                                         &err);
      free (text);
      return r < 0 ? cli_fail (g, &err) : 0;
    }
  if (argc == 0)
    return cli_failf (g, "exec: a command is required without --process");
  if (envrun_container_config (o->state_root, o->id, &cfg, &err) < 0)
    return cli_fail (g, &err);
  if (cfg->process == NULL)
    {
      envrun_config_free (cfg);
      return cli_failf (g, "exec: container `%s` has no process", o->id);
    }
  *out = cfg->process;
  cfg->process = NULL;
  envrun_config_free (cfg);
  return apply_flags (g, *out, f, argc, argv);
}

static int
parse_flags (struct cli_global *g, int argc, char **argv,
             struct envrun_run_options *o, struct exec_flags *f)
{
  static const struct option opts[]
      = { { "process", required_argument, NULL, 'p' },
          { "console-socket", required_argument, NULL, 'S' },
          { "cwd", required_argument, NULL, 'w' },
          { "env", required_argument, NULL, 'e' },
          { "tty", no_argument, NULL, 't' },
          { "user", required_argument, NULL, 'u' },
          { "cap", required_argument, NULL, 'c' },
          { "no-new-privs", no_argument, NULL, 'N' },
          { "detach", no_argument, NULL, 'd' },
          { "pid-file", required_argument, NULL, 'P' },
          { "preserve-fds", required_argument, NULL, 'F' },
          { "process-label", required_argument, NULL, 'L' },
          { "apparmor", required_argument, NULL, 'A' },
          { NULL, 0, NULL, 0 } };
  int c;

  while ((c = getopt_long (argc, argv, "+p:e:tu:c:d", opts, NULL)) != -1)
    switch (c)
      {
      case 'p': f->process_file = optarg; break;
      case 'S': o->console_socket = optarg; break;
      case 'w': f->cwd = optarg; break;
      case 'e':
        if (strchr (optarg, '=') == NULL)
          return cli_failf (g, "exec: --env: expected K=V, got `%s`", optarg);
        if (push (&f->env, &f->n_env, optarg) < 0)
          return 1;
        break;
      case 't': f->tty = true; break;
      case 'u': f->user = optarg; break;
      case 'c':
        if (push (&f->caps, &f->n_caps, optarg) < 0)
          return 1;
        break;
      case 'N': f->no_new_privs = true; break;
      case 'd': o->detach = true; break;
      case 'P': o->pid_file = optarg; break;
      case 'F':
        {
          char *end;
          unsigned long n = strtoul (optarg, &end, 10);
          if (*end || optarg[0] == '-' || n > 65536)
            return cli_failf (g, "exec: --preserve-fds: expected a number");
          o->preserve_fds = (unsigned int) n;
          break;
        }
      case 'L': case 'A': break; /* no LSM support: accepted, ignored */
      default:
        return cli_failf (g, "exec: invalid option (see envrun(8))");
      }
  if (optind >= argc)
    return cli_failf (g, "exec: expected a container id");
  o->id = argv[optind++];
  return 0;
}

CLI_VERB (exec)
{
  struct envrun_run_options o = { .state_root = g->root };
  struct exec_flags f = { 0 };
  struct envrun_process *p = NULL;
  envrun_error_t err = NULL;
  int status = 0, ret;

  if (cli_seal_binary (g, argv) != 0)
    return 1;
  ret = parse_flags (g, argc, argv, &o, &f);
  if (ret == 0 && envrun_validate_id (o.id, &err) < 0)
    ret = cli_fail (g, &err);
  if (ret == 0)
    ret = load_process (g, &o, &f, argc - optind, argv + optind, &p);
  if (ret == 0)
    {
      if (envrun_container_exec (&o, p, &status, &err) < 0)
        ret = cli_fail (g, &err);
      else
        ret = o.detach ? 0 : status;
    }
  envrun_process_free (p);
  free (f.env);
  free (f.caps);
  return ret;
}
