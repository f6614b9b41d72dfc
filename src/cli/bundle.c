/* Options of create and run, and loading a bundle.  */
#include "config-host.h"

#include "bundle.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CONFIG_MAX (16 * 1024 * 1024)

/* systemd socket activation: LISTEN_FDS fds starting at 3 pass through,
   as runc does, and the container sees them as its own.  */
static int
apply_listen_fds (struct bundle_args *b, envrun_error_t *err)
{
  const char *v = getenv ("LISTEN_FDS");
  char *end;
  long n;
  struct envrun_process *p = b->cfg->process;

  if (v == NULL || p == NULL)
    return 0;
  errno = 0;
  n = strtol (v, &end, 10);
  if (errno || *end || n < 0 || n > 1024)
    return envrun_error_set (err, EINVAL, "LISTEN_FDS: invalid `%s`", v);
  if (n == 0)
    return 0;
  char **env = realloc (p->env, (p->n_env + 3) * sizeof *env);
  if (env == NULL)
    return envrun_error_set (err, ENOMEM, "LISTEN_FDS");
  p->env = env;
  if (asprintf (&env[p->n_env], "LISTEN_FDS=%ld", n) < 0
      || (env[p->n_env + 1] = strdup ("LISTEN_PID=1")) == NULL)
    return envrun_error_set (err, ENOMEM, "LISTEN_FDS");
  p->n_env += 2;
  env[p->n_env] = NULL;
  if (b->opts.preserve_fds < (unsigned) n)
    b->opts.preserve_fds = (unsigned) n;
  return 0;
}

static int
load_bundle (struct cli_global *g, struct bundle_args *b, const char *bundle)
{
  envrun_error_t err = NULL;
  char path[PATH_MAX + 16];

  if (realpath (bundle ? bundle : ".", b->bundle) == NULL)
    return cli_failf (g, "--bundle `%s`: %s", bundle ? bundle : ".",
                      strerror (errno));
  snprintf (path, sizeof path, "%s/config.json", b->bundle);
  if (cli_read_file (path, CONFIG_MAX, &b->config_text, &b->config_len, &err)
          < 0
      || envrun_config_parse_string (b->config_text, b->config_len, path,
                                     &b->cfg, &err)
             < 0
      || apply_listen_fds (b, &err) < 0)
    return cli_fail (g, &err);
  b->opts.bundle = b->bundle;
  /* Keep a copy for exec and for hooks that run after this process is
     gone.  */
  b->opts.config_text = b->config_text;
  b->opts.config_len = b->config_len;
  return 0;
}

static int
parse_uint (struct cli_global *g, const char *opt, const char *v,
            unsigned int *out)
{
  char *end;
  unsigned long n;

  errno = 0;
  n = strtoul (v, &end, 10);
  if (errno || *end || v[0] == '-' || n > 65536)
    return cli_failf (g, "%s: expected a number, got `%s`", opt, v);
  *out = (unsigned int) n;
  return 0;
}

int
bundle_parse_args (struct cli_global *g, int argc, char **argv, bool is_run,
                   struct bundle_args *b)
{
  static const struct option opts[]
      = { { "bundle", required_argument, NULL, 'b' },
          { "console-socket", required_argument, NULL, 'c' },
          { "pid-file", required_argument, NULL, 'p' },
          { "preserve-fds", required_argument, NULL, 'P' },
          { "no-pivot", no_argument, NULL, 'N' },
          { "no-new-keyring", no_argument, NULL, 'K' },
          { "detach", no_argument, NULL, 'd' },
          { "keep", no_argument, NULL, 'k' },
          { NULL, 0, NULL, 0 } };
  const char *bundle = NULL;
  int c;

  memset (b, 0, sizeof *b);
  b->opts.state_root = g->root;
  b->opts.seccomp_cache = cli_seccomp_cache (g);
  while ((c = getopt_long (argc, argv, "b:d", opts, NULL)) != -1)
    switch (c)
      {
      case 'b':
        bundle = optarg;
        break;
      case 'c':
        b->opts.console_socket = optarg;
        break;
      case 'p':
        b->opts.pid_file = optarg;
        break;
      case 'P':
        if (parse_uint (g, "--preserve-fds", optarg, &b->opts.preserve_fds))
          return 1;
        break;
      case 'N':
        b->opts.no_pivot = true;
        break;
      case 'K':
        break; /* envrun never joins a session keyring */
      case 'd':
      case 'k':
        if (!is_run)
          return cli_failf (g, "%s: unknown option `%s`", argv[0],
                            c == 'd' ? "--detach" : "--keep");
        if (c == 'd')
          b->opts.detach = true;
        else
          b->opts.keep = true;
        break;
      default:
        return cli_failf (g, "%s: invalid option (see envrun(8))", argv[0]);
      }
  if (optind != argc - 1)
    return cli_failf (g, "%s: expected exactly one container id", argv[0]);
  b->opts.id = argv[optind];
  envrun_error_t err = NULL;
  if (envrun_validate_id (b->opts.id, &err) < 0)
    return cli_fail (g, &err);
  return load_bundle (g, b, bundle);
}

void
bundle_args_release (struct bundle_args *b)
{
  envrun_config_free (b->cfg);
  free (b->config_text);
  b->cfg = NULL;
  b->config_text = NULL;
}
