/* `env run [OPTIONS] NAME [--] CMD [ARG...]`: options to
   struct envrun_env_run_options, exit status as podman/docker: the
   command's, 125 when envrun failed, 126 when the command cannot be
   executed, 127 when it is not found.  */
#include "config-host.h"

#include "env-cli.h"
#include "seal.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum
{
  O_EPHEMERAL = 256, O_KEEP_AS, O_NET, O_BIND, O_ENV_FILE, O_HOSTNAME,
  O_MEMORY, O_CPUS, O_PIDS, O_SHM, O_DEVICE, O_GPUS, O_READ_ONLY, O_NO_CWD,
  O_WAIT, O_STORE
};

static const struct option run_opts[] = {
  { "ephemeral", no_argument, NULL, O_EPHEMERAL },
  { "keep-as", required_argument, NULL, O_KEEP_AS },
  { "net", required_argument, NULL, O_NET },
  { "bind", required_argument, NULL, O_BIND },
  { "workdir", required_argument, NULL, 'w' },
  { "env", required_argument, NULL, 'e' },
  { "env-file", required_argument, NULL, O_ENV_FILE },
  { "user", required_argument, NULL, 'u' },
  { "hostname", required_argument, NULL, O_HOSTNAME },
  { "memory", required_argument, NULL, O_MEMORY },
  { "cpus", required_argument, NULL, O_CPUS },
  { "pids", required_argument, NULL, O_PIDS },
  { "shm-size", required_argument, NULL, O_SHM },
  { "device", required_argument, NULL, O_DEVICE },
  { "gpus", required_argument, NULL, O_GPUS },
  { "read-only", no_argument, NULL, O_READ_ONLY },
  { "tty", no_argument, NULL, 't' },
  { "no-cwd", no_argument, NULL, O_NO_CWD },
  { "wait", no_argument, NULL, O_WAIT },
  { "store", required_argument, NULL, O_STORE },
  { NULL, 0, NULL, 0 }
};

/* "512m", "2G", "1048576": bytes, binary suffixes.  */
static int
parse_size (const char *s, uint64_t *out)
{
  char *end;
  unsigned long long v;
  int shift = 0;

  errno = 0;
  v = strtoull (s, &end, 10);
  if (errno || end == s || *s == '-')
    return -1;
  switch (*end)
    {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    case 't': case 'T': shift = 40; end++; break;
    default: break;
    }
  if (*end == 'b' || *end == 'B')
    end++;
  if (*end || v == 0 || v > (UINT64_MAX >> 1) >> shift)
    return -1;
  *out = (uint64_t) v << shift;
  return 0;
}

static int
parse_bind (const char *arg, struct envrun_env_run_options *o)
{
  struct envrun_env_bind *n = realloc (o->binds, (o->n_binds + 1) * sizeof *n);
  char *copy = strdup (arg), *dst, *mode;

  if (n == NULL || copy == NULL)
    return -1;
  o->binds = n;
  dst = strchr (copy, ':');
  if (dst == NULL)
    dst = copy;
  else
    *dst++ = '\0';
  mode = strchr (dst, ':');
  if (mode)
    *mode++ = '\0';
  if (copy[0] != '/' || dst[0] != '/' || (mode && strcmp (mode, "ro") != 0
                                          && strcmp (mode, "rw") != 0))
    {
      free (copy);
      return -2;
    }
  n[o->n_binds].source = copy;
  n[o->n_binds].destination = strdup (dst);
  n[o->n_binds].readonly = mode && strcmp (mode, "ro") == 0;
  o->n_binds++;
  return 0;
}

/* -e K=V, or -e K: the caller's value of K (docker's convention).  */
static int
add_env (struct envrun_env_run_options *o, const char *kv)
{
  char **n = realloc (o->env, (o->n_env + 2) * sizeof *n);
  char *v;

  if (n == NULL)
    return -1;
  o->env = n;
  if (strchr (kv, '='))
    v = strdup (kv);
  else
    {
      const char *val = getenv (kv);
      if (val == NULL)
        return 0;
      if (asprintf (&v, "%s=%s", kv, val) < 0)
        v = NULL;
    }
  if (v == NULL)
    return -1;
  n[o->n_env++] = v;
  n[o->n_env] = NULL;
  return 0;
}

static int
read_env_file (struct cli_global *g, const char *path,
               struct envrun_env_run_options *o)
{
  envrun_error_t err = NULL;
  char *text = NULL, *line, *save = NULL;
  size_t len;

  if (cli_read_file (path, 1 << 20, &text, &len, &err) < 0)
    return cli_fail (g, &err);
  for (line = strtok_r (text, "\n", &save); line;
       line = strtok_r (NULL, "\n", &save))
    {
      line += strspn (line, " \t");
      if (*line == '\0' || *line == '#')
        continue;
      if (add_env (o, line) < 0)
        {
          free (text);
          return cli_failf (g, "%s: out of memory", path);
        }
    }
  free (text);
  return 0;
}

static int
parse_one (struct cli_global *g, int c, struct envrun_env_run_options *o)
{
  uint64_t v;
  char *end;

  switch (c)
    {
    case O_EPHEMERAL: o->ephemeral = true; return 0;
    case O_KEEP_AS: o->keep_as = optarg; return 0;
    case O_NET:
      if (strcmp (optarg, "host") && strcmp (optarg, "none"))
        return cli_failf (g, "env run: --net %s: expected host or none",
                          optarg);
      o->net_none = strcmp (optarg, "none") == 0;
      return 0;
    case O_BIND:
      if (parse_bind (optarg, o) < 0)
        return cli_failf (g, "env run: --bind %s: expected SRC:DST[:ro] with "
                          "absolute paths", optarg);
      return 0;
    case 'w': o->workdir = optarg; return 0;
    case 'e':
      return add_env (o, optarg) < 0 ? cli_failf (g, "out of memory") : 0;
    case O_ENV_FILE: return read_env_file (g, optarg, o);
    case 'u': o->user = optarg; return 0;
    case O_HOSTNAME: o->hostname = optarg; return 0;
    case O_MEMORY:
      if (parse_size (optarg, &v) < 0 || v > INT64_MAX)
        return cli_failf (g, "env run: --memory %s: expected a size like "
                          "512m or 4g", optarg);
      o->has_memory = true, o->memory = v;
      return 0;
    case O_SHM:
      if (parse_size (optarg, &v) < 0)
        return cli_failf (g, "env run: --shm-size %s: expected a size like "
                          "1g", optarg);
      o->has_shm_size = true, o->shm_size = v;
      return 0;
    case O_CPUS:
      errno = 0;
      o->cpus = strtod (optarg, &end);
      if (errno || *end || end == optarg || !(o->cpus > 0 && o->cpus < 4096))
        return cli_failf (g, "env run: --cpus %s: expected a positive number",
                          optarg);
      return 0;
    case O_PIDS:
      errno = 0;
      o->pids = strtoll (optarg, &end, 10);
      if (errno || *end || end == optarg || o->pids <= 0)
        return cli_failf (g, "env run: --pids %s: expected a positive integer",
                          optarg);
      return 0;
    case O_DEVICE:
      {
        char **n = realloc (o->devices, (o->n_devices + 2) * sizeof *n);
        if (n == NULL)
          return cli_failf (g, "out of memory");
        o->devices = n;
        n[o->n_devices++] = optarg;
        n[o->n_devices] = NULL;
        return 0;
      }
    case O_GPUS: o->gpus = optarg; return 0;
    case O_READ_ONLY: o->read_only = true; return 0;
    case 't': o->tty = true; return 0;
    case O_NO_CWD: o->no_cwd = true; return 0;
    case O_WAIT: o->wait = true; return 0;
    case O_STORE: g->store = optarg; return 0;
    default:
      return cli_failf (g, "env run: unknown option (see envrun env --help)");
    }
}

static void
free_options (struct envrun_env_run_options *o)
{
  for (size_t i = 0; i < o->n_binds; i++)
    {
      free (o->binds[i].source);
      free (o->binds[i].destination);
    }
  free (o->binds);
  for (size_t i = 0; i < o->n_env; i++)
    free (o->env[i]);
  free (o->env);
  free (o->devices);
}

int
env_cli_run (struct cli_global *g, int argc, char **argv)
{
  struct envrun_env_run_options o = { 0 };
  struct envrun_store *s = NULL;
  envrun_error_t err = NULL;
  char cwd[4096];
  int c, ret, status = 0;

  if (cli_seal_binary (g, argv) != 0)
    return 1;
  o.tty = isatty (STDIN_FILENO) && isatty (STDOUT_FILENO);
  o.term = getenv ("TERM");
  o.seccomp_cache = cli_seccomp_cache (g);
  o.cwd = getcwd (cwd, sizeof cwd);
  optind = 0;
  while ((c = getopt_long (argc, argv, "+w:e:u:t", run_opts, NULL)) != -1)
    if ((ret = parse_one (g, c, &o)))
      {
        free_options (&o);
        return 125;
      }
  if (optind >= argc)
    {
      free_options (&o);
      cli_failf (g, "env run: usage: env run [OPTIONS] NAME [--] CMD [ARG...]");
      return 125;
    }
  /* Slurm and Kubernetes device plugins hand out GPUs this way.  */
  if (o.gpus == NULL && (o.gpus = getenv ("NVIDIA_VISIBLE_DEVICES")))
    o.gpus_from_env = true;
  o.args = argv + optind + 1;
  if (o.args[0] && strcmp (o.args[0], "--") == 0)
    o.args++;
  if (env_cli_open_store (g, &s))
    {
      free_options (&o);
      return 125;
    }
  ret = envrun_env_run (s, argv[optind], &o, &status, &err);
  envrun_store_close (s);
  free_options (&o);
  if (ret < 0)
    {
      int st = err ? err->status : 0;
      cli_fail (g, &err);
      return st == ENOENT ? 127 : (st == EACCES || st == ENOEXEC) ? 126 : 125;
    }
  return status;
}
