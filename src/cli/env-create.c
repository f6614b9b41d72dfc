/* `env create` and `env export`: argv to options, one library call.  */
#include "config-host.h"

#include "env-cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

enum
{
  OPT_FROM_DIR = 256,
  OPT_FROM_TAR,
  OPT_FROM_OCI,
  OPT_FROM,
  OPT_BOOTSTRAP,
  OPT_INCLUDE,
  OPT_MIRROR,
  OPT_NOTES,
  OPT_STORE,
  OPT_WAIT,
  OPT_BUNDLE,
  OPT_TAR,
  OPT_OCI
};

static const struct option create_opts[] = {
  { "from-dir", required_argument, NULL, OPT_FROM_DIR },
  { "from-tar", required_argument, NULL, OPT_FROM_TAR },
  { "from-oci", required_argument, NULL, OPT_FROM_OCI },
  { "from", required_argument, NULL, OPT_FROM },
  { "bootstrap", optional_argument, NULL, OPT_BOOTSTRAP },
  { "include", required_argument, NULL, OPT_INCLUDE },
  { "mirror", required_argument, NULL, OPT_MIRROR },
  { "notes", required_argument, NULL, OPT_NOTES },
  { "store", required_argument, NULL, OPT_STORE },
  { "wait", no_argument, NULL, OPT_WAIT },
  { NULL, 0, NULL, 0 }
};

static int
set_source (struct cli_global *g, struct envrun_env_create_options *o,
            int *n_sources, enum envrun_env_source src, const char *path)
{
  if ((*n_sources)++)
    return cli_failf (g, "env create: give exactly one of --from-dir, "
                      "--from-tar, --from-oci, --from, --bootstrap");
  o->source = src;
  o->path = path;
  return 0;
}

int
env_cli_create (struct cli_global *g, int argc, char **argv)
{
  struct envrun_env_create_options o = { 0 };
  struct envrun_store *s = NULL;
  envrun_error_t err = NULL;
  const char *name = NULL;
  int c, n_sources = 0, ret;

  optind = 0;
  /* Permuting getopt: NAME may come before or after the options, and the
     optional SUITE of --bootstrap is the next non-option after NAME.  */
  while ((c = getopt_long (argc, argv, "-", create_opts, NULL)) != -1)
    {
      ret = 0;
      switch (c)
        {
        case 1:
          if (name == NULL)
            name = optarg;
          else if (o.source == ENVRUN_ENV_FROM_BOOTSTRAP && o.suite == NULL
                   && n_sources)
            o.suite = optarg;
          else
            return cli_failf (g, "env create: unexpected argument `%s`",
                              optarg);
          break;
        case OPT_FROM_DIR:
          ret = set_source (g, &o, &n_sources, ENVRUN_ENV_FROM_DIR, optarg);
          break;
        case OPT_FROM_TAR:
          ret = set_source (g, &o, &n_sources, ENVRUN_ENV_FROM_TAR, optarg);
          break;
        case OPT_FROM_OCI:
          ret = set_source (g, &o, &n_sources, ENVRUN_ENV_FROM_OCI, optarg);
          break;
        case OPT_FROM:
          ret = set_source (g, &o, &n_sources, ENVRUN_ENV_FROM_ENV, optarg);
          break;
        case OPT_BOOTSTRAP:
          ret = set_source (g, &o, &n_sources, ENVRUN_ENV_FROM_BOOTSTRAP,
                            NULL);
          o.suite = optarg;
          break;
        case OPT_INCLUDE:
          o.include = optarg;
          break;
        case OPT_MIRROR:
          o.mirror = optarg;
          break;
        case OPT_NOTES:
          o.notes = optarg;
          break;
        case OPT_STORE:
          g->store = optarg;
          break;
        case OPT_WAIT:
          o.wait = true;
          break;
        default:
          return cli_failf (g, "env create: unknown option (see envrun env "
                            "--help)");
        }
      if (ret)
        return ret;
    }
  if (name == NULL || n_sources != 1)
    return cli_failf (g, "env create: usage: env create NAME (--from-dir DIR "
                      "| --from-tar FILE|- | --from-oci LAYOUT[:REF] | --from "
                      "ENV | --bootstrap [SUITE] [--include PKG,...])");
  if (o.include && o.source != ENVRUN_ENV_FROM_BOOTSTRAP)
    return cli_failf (g, "env create: --include needs --bootstrap");
  if ((ret = env_cli_open_store (g, &s)))
    return ret;
  ret = envrun_env_create (s, name, &o, &err);
  envrun_store_close (s);
  return ret < 0 ? cli_fail (g, &err) : 0;
}

static const struct option export_opts[] = {
  { "bundle", required_argument, NULL, OPT_BUNDLE },
  { "tar", required_argument, NULL, OPT_TAR },
  { "oci", required_argument, NULL, OPT_OCI },
  { "store", required_argument, NULL, OPT_STORE },
  { NULL, 0, NULL, 0 }
};

int
env_cli_export (struct cli_global *g, int argc, char **argv)
{
  enum envrun_env_export_kind kind = ENVRUN_ENV_EXPORT_BUNDLE;
  struct envrun_store *s = NULL;
  envrun_error_t err = NULL;
  const char *dest = NULL;
  int c, n = 0, ret;

  optind = 0;
  while ((c = getopt_long (argc, argv, "", export_opts, NULL)) != -1)
    switch (c)
      {
      case OPT_BUNDLE:
      case OPT_TAR:
      case OPT_OCI:
        kind = c == OPT_BUNDLE ? ENVRUN_ENV_EXPORT_BUNDLE
               : c == OPT_TAR  ? ENVRUN_ENV_EXPORT_TAR
                               : ENVRUN_ENV_EXPORT_OCI;
        dest = optarg;
        n++;
        break;
      case OPT_STORE:
        g->store = optarg;
        break;
      default:
        return cli_failf (g, "env export: unknown option");
      }
  if (argc - optind != 1 || n != 1)
    return cli_failf (g, "env export: usage: env export NAME (--bundle DIR | "
                      "--tar FILE|- | --oci LAYOUT[:REF])");
  if ((ret = env_cli_open_store (g, &s)))
    return ret;
  ret = envrun_env_export (s, argv[optind], kind, dest, &err);
  envrun_store_close (s);
  return ret < 0 ? cli_fail (g, &err) : 0;
}
