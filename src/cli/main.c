/* envrun: global options, then one verb.  */
#include "config-host.h"

#include "cli.h"

#include <envrun/version.h>
#include <envrun/warn.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct verb
{
  const char *name;
  int (*fn) (struct cli_global *, int, char **);
  const char *summary;
};

static const struct verb verbs[] = {
  { "create", cli_create, "create a container" },
  { "start", cli_start, "start a created container" },
  { "run", cli_run, "create and start a container" },
  { "state", cli_state, "print the state of a container" },
  { "kill", cli_kill, "send a signal to a container" },
  { "delete", cli_delete, "delete a container" },
  { "list", cli_list, "list containers" },
  { "spec", cli_spec, "write a default config.json" },
  { "features", cli_features, "print the features this build supports" },
  { "exec", cli_exec, "run a process in a running container" },
  { "ps", cli_ps, "list the processes of a container" },
  { "pause", cli_pause, "freeze a container" },
  { "resume", cli_resume, "thaw a paused container" },
  { "update", cli_update, "change the resources of a container" },
  { "events", cli_events, "print stats and OOM events" },
  { "env", cli_env, "named environments (see envrun-env(1))" },
};

static struct cli_global *warning_target;

static void
print_warning (const char *msg)
{
  cli_warnf (warning_target, "%s", msg);
}

static void
usage (FILE *f)
{
  fprintf (f, "usage: envrun [--root DIR] [--log FILE] [--log-format "
              "text|json] [--debug] COMMAND ...\n\ncommands:\n");
  for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
    fprintf (f, "  %-9s %s\n", verbs[i].name, verbs[i].summary);
  fprintf (f, "\nSee envrun(8) and envrun-env(1).\n");
}

static void
print_version (void)
{
  puts (envrun_version_text ());
}

static const char *
default_root (void)
{
  static char buf[4096];
  const char *xdg;

  if (geteuid () == 0)
    return "/run/envrun";
  xdg = secure_getenv ("XDG_RUNTIME_DIR");
  if (xdg == NULL || xdg[0] != '/')
    return "/run/envrun";
  snprintf (buf, sizeof buf, "%s/envrun", xdg);
  return buf;
}

enum
{
  OPT_ROOT = 256,
  OPT_LOG,
  OPT_LOG_FORMAT,
  OPT_DEBUG,
  OPT_SYSTEMD_CGROUP,
  OPT_CRIU,
  OPT_ROOTLESS,
};

static int
parse_global (struct cli_global *g, int argc, char **argv)
{
  static const struct option opts[]
      = { { "root", required_argument, NULL, OPT_ROOT },
          { "log", required_argument, NULL, OPT_LOG },
          { "log-format", required_argument, NULL, OPT_LOG_FORMAT },
          { "debug", no_argument, NULL, OPT_DEBUG },
          { "systemd-cgroup", no_argument, NULL, OPT_SYSTEMD_CGROUP },
          { "criu", required_argument, NULL, OPT_CRIU },
          { "rootless", required_argument, NULL, OPT_ROOTLESS },
          { "help", no_argument, NULL, 'h' },
          { "version", no_argument, NULL, 'v' },
          { NULL, 0, NULL, 0 } };
  int c;

  while ((c = getopt_long (argc, argv, "+hv", opts, NULL)) != -1)
    switch (c)
      {
      case OPT_ROOT:
        g->root = optarg;
        break;
      case OPT_LOG:
        g->log_path = optarg;
        break;
      case OPT_LOG_FORMAT:
        if (strcmp (optarg, "json") != 0 && strcmp (optarg, "text") != 0)
          return cli_failf (g, "--log-format: expected text or json, got "
                               "`%s`", optarg) ? -1 : -1;
        g->log_json = strcmp (optarg, "json") == 0;
        break;
      case OPT_DEBUG:
        g->debug = true;
        break;
      case OPT_SYSTEMD_CGROUP:
        g->systemd_cgroup = true;
        break;
      case OPT_CRIU:
      case OPT_ROOTLESS:
        break; /* accepted for runc compatibility; nothing to do */
      case 'h':
        usage (stdout);
        exit (0);
      case 'v':
        print_version ();
        exit (0);
      default:
        usage (stderr);
        return -1;
      }
  return optind;
}

int
main (int argc, char **argv)
{
  struct cli_global g = { 0 };
  int first = parse_global (&g, argc, argv);

  if (first < 0)
    return 1;
  if (g.root == NULL)
    g.root = default_root ();
  warning_target = &g;
  envrun_set_warning_handler (print_warning);
  if (first >= argc)
    {
      usage (stderr);
      return 1;
    }
  if (g.systemd_cgroup)
    return cli_failf (&g, "--systemd-cgroup is not supported: envrun "
                          "manages cgroups through cgroupfs");
  for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
    if (strcmp (argv[first], verbs[i].name) == 0)
      {
        optind = 0; /* full getopt reinitialisation for the verb */
        return verbs[i].fn (&g, argc - first, argv + first);
      }
  return cli_failf (&g, "unknown command `%s` (see envrun --help)",
                    argv[first]);
}
