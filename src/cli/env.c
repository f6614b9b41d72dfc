/* `envrun env`: named environments.  Thin: parses argv, calls the store in
   src/env/, prints results.  `env run` lives in env-run.c.  */
#include "config-host.h"

#include "cli.h"
#include "env-cli.h"
#include "json.h"

#include <envrun/env.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char env_usage[]
    = "usage: envrun env [--store DIR] COMMAND ...\n"
      "  create NAME (--from-dir DIR | --from-tar FILE|- | --from-oci "
      "LAYOUT[:REF]\n"
      "               | --from ENV | --bootstrap [SUITE] [--include PKG,...])\n"
      "  list [--json]          show NAME [--json]\n"
      "  clone SRC DST          rm NAME\n"
      "  run [OPTIONS] NAME [--] CMD [ARG...]\n"
      "  diff NAME [--json]     commit NAME\n"
      "  export NAME (--bundle DIR | --tar FILE|- | --oci LAYOUT[:REF])\n";

int
env_cli_open_store (struct cli_global *g, struct envrun_store **s)
{
  envrun_error_t err = NULL;

  if (envrun_store_open (g->store, s, &err) < 0)
    return cli_fail (g, &err);
  return 0;
}

/* Options every env command takes: --store DIR, --wait, --json.  Returns
   the getopt result for the caller's own options.  */
static const struct option common_opts[] = {
  { "store", required_argument, NULL, 'S' },
  { "wait", no_argument, NULL, 'w' },
  { "json", no_argument, NULL, 'j' },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 }
};

struct simple_args
{
  bool wait, json;
};

static int
parse_simple (struct cli_global *g, int argc, char **argv, int nargs,
              struct simple_args *a)
{
  int c;

  optind = 0;
  while ((c = getopt_long (argc, argv, "", common_opts, NULL)) != -1)
    switch (c)
      {
      case 'S':
        g->store = optarg;
        break;
      case 'w':
        a->wait = true;
        break;
      case 'j':
        a->json = true;
        break;
      case 'h':
        fputs (env_usage, stdout);
        return 2;
      default:
        return cli_failf (g, "env %s: unknown option (see envrun env --help)",
                          argv[0]);
      }
  if (argc - optind != nargs)
    return cli_failf (g, "env %s: expected %d argument%s, got %d", argv[0],
                      nargs, nargs == 1 ? "" : "s", argc - optind);
  return 0;
}

static void
gen_meta (struct json_gen *j, const struct envrun_env_meta *m, bool full)
{
  json_gen_object_open (j);
  json_gen_kv_string (j, "name", m->name);
  json_gen_kv_string (j, "parent", m->parent);
  json_gen_kv_string (j, "created", m->created);
  json_gen_key (j, "layers");
  json_gen_array_open (j);
  for (size_t i = 0; i < m->n_layers; i++)
    json_gen_string (j, m->layers[i]);
  json_gen_array_close (j);
  if (full)
    {
      json_gen_kv_string (j, "sourceType", m->source_type);
      json_gen_kv_string (j, "source", m->source);
      json_gen_kv_string (j, "sourceDigest", m->source_digest);
      json_gen_key (j, "packages");
      json_gen_array_open (j);
      for (size_t i = 0; i < m->n_packages; i++)
        json_gen_string (j, m->packages[i]);
      json_gen_array_close (j);
      json_gen_key (j, "env");
      json_gen_array_open (j);
      for (size_t i = 0; i < m->n_env; i++)
        json_gen_string (j, m->env[i]);
      json_gen_array_close (j);
      json_gen_kv_string (j, "workdir", m->workdir);
      json_gen_kv_string (j, "user", m->user);
      json_gen_kv_string (j, "notes", m->notes);
    }
  json_gen_object_close (j);
}

static int
print_json (struct cli_global *g, struct json_gen *j)
{
  envrun_error_t err = NULL;
  char *text = NULL;
  size_t len;

  if (json_gen_finish (j, &text, &len, &err) < 0)
    {
      json_gen_free (j);
      return cli_fail (g, &err);
    }
  json_gen_free (j);
  printf ("%s\n", text);
  free (text);
  return 0;
}

static int
env_list (struct cli_global *g, int argc, char **argv)
{
  struct simple_args a = { 0 };
  struct envrun_store *s = NULL;
  envrun_error_t err = NULL;
  char **names = NULL;
  struct json_gen *j = NULL;
  size_t n;
  int ret = parse_simple (g, argc, argv, 0, &a);

  if (ret || (ret = env_cli_open_store (g, &s)))
    return ret == 2 ? 0 : ret;
  if (envrun_env_list (s, &names, &n, &err) < 0)
    {
      envrun_store_close (s);
      return cli_fail (g, &err);
    }
  if (a.json)
    {
      j = json_gen_new (true);
      json_gen_array_open (j);
    }
  else
    printf ("%-24s %-24s %-32s %s\n", "NAME", "PARENT", "CREATED", "LAYERS");
  for (size_t i = 0; i < n; i++)
    {
      struct envrun_env_meta *m = NULL;
      if (envrun_env_load (s, names[i], &m, &err) < 0)
        {
          cli_warnf (g, "%s", envrun_error_message (err));
          envrun_error_free (&err);
          continue;
        }
      if (j)
        gen_meta (j, m, false);
      else
        printf ("%-24s %-24s %-32s %zu\n", m->name,
                m->parent ? m->parent : "-", m->created ? m->created : "-",
                m->n_layers);
      envrun_env_meta_free (m);
    }
  for (size_t i = 0; i < n; i++)
    free (names[i]);
  free (names);
  envrun_store_close (s);
  if (j)
    {
      json_gen_array_close (j);
      return print_json (g, j);
    }
  return 0;
}

static void
print_strv (const char *label, char **v, size_t n)
{
  printf ("%-10s", label);
  for (size_t i = 0; i < n; i++)
    printf ("%s%s", i ? " " : "", v[i]);
  printf ("%s\n", n ? "" : "-");
}

static int
env_show (struct cli_global *g, int argc, char **argv)
{
  struct simple_args a = { 0 };
  struct envrun_store *s = NULL;
  struct envrun_env_meta *m = NULL;
  envrun_error_t err = NULL;
  int ret = parse_simple (g, argc, argv, 1, &a);

  if (ret || (ret = env_cli_open_store (g, &s)))
    return ret == 2 ? 0 : ret;
  ret = envrun_env_load (s, argv[optind], &m, &err);
  envrun_store_close (s);
  if (ret < 0)
    return cli_fail (g, &err);
  if (a.json)
    {
      struct json_gen *j = json_gen_new (true);
      gen_meta (j, m, true);
      envrun_env_meta_free (m);
      return print_json (g, j);
    }
  printf ("%-10s%s\n%-10s%s\n%-10s%s\n", "name:", m->name, "parent:",
          m->parent ? m->parent : "-", "created:", m->created);
  printf ("%-10s%s %s%s%s\n", "source:", m->source_type ? m->source_type : "-",
          m->source ? m->source : "", m->source_digest ? " " : "",
          m->source_digest ? m->source_digest : "");
  print_strv ("layers:", m->layers, m->n_layers);
  print_strv ("packages:", m->packages, m->n_packages);
  print_strv ("env:", m->env, m->n_env);
  printf ("%-10s%s\n%-10s%s\n", "workdir:", m->workdir ? m->workdir : "-",
          "user:", m->user ? m->user : "-");
  envrun_env_meta_free (m);
  return 0;
}

/* clone SRC DST, rm NAME, commit NAME.  */
static int
env_simple_verb (struct cli_global *g, int argc, char **argv)
{
  bool is_clone = strcmp (argv[0], "clone") == 0;
  struct simple_args a = { 0 };
  struct envrun_store *s = NULL;
  envrun_error_t err = NULL;
  int ret = parse_simple (g, argc, argv, is_clone ? 2 : 1, &a);

  if (ret || (ret = env_cli_open_store (g, &s)))
    return ret == 2 ? 0 : ret;
  if (is_clone)
    ret = envrun_env_clone (s, argv[optind], argv[optind + 1], a.wait, &err);
  else if (strcmp (argv[0], "rm") == 0)
    ret = envrun_env_remove (s, argv[optind], a.wait, &err);
  else
    ret = envrun_env_commit (s, argv[optind], a.wait, &err);
  envrun_store_close (s);
  return ret < 0 ? cli_fail (g, &err) : 0;
}

static int
env_diff (struct cli_global *g, int argc, char **argv)
{
  struct simple_args a = { 0 };
  struct envrun_store *s = NULL;
  struct envrun_env_diff_entry *d = NULL;
  envrun_error_t err = NULL;
  size_t n = 0;
  int ret = parse_simple (g, argc, argv, 1, &a);

  if (ret || (ret = env_cli_open_store (g, &s)))
    return ret == 2 ? 0 : ret;
  ret = envrun_env_diff (s, argv[optind], &d, &n, &err);
  envrun_store_close (s);
  if (ret < 0)
    return cli_fail (g, &err);
  if (a.json)
    {
      struct json_gen *j = json_gen_new (true);
      json_gen_array_open (j);
      for (size_t i = 0; i < n; i++)
        {
          json_gen_object_open (j);
          json_gen_kv_string (j, "path", d[i].path);
          json_gen_kv_string (j, "change", envrun_env_change_name (d[i].change));
          json_gen_object_close (j);
        }
      json_gen_array_close (j);
      envrun_env_diff_free (d, n);
      return print_json (g, j);
    }
  for (size_t i = 0; i < n; i++)
    printf ("%c %s\n", "AMD"[d[i].change], d[i].path);
  envrun_env_diff_free (d, n);
  return 0;
}

static const struct
{
  const char *name;
  int (*fn) (struct cli_global *, int, char **);
} env_verbs[] = {
  { "create", env_cli_create }, { "list", env_list },
  { "ls", env_list },           { "show", env_show },
  { "clone", env_simple_verb }, { "rm", env_simple_verb },
  { "commit", env_simple_verb }, { "diff", env_diff },
  { "export", env_cli_export }, { "run", env_cli_run },
};

int
cli_env (struct cli_global *g, int argc, char **argv)
{
  int i = 1;

  /* --store may come before the command, too.  */
  while (i < argc && argv[i][0] == '-')
    {
      if (strcmp (argv[i], "--store") == 0 && i + 1 < argc)
        g->store = argv[i + 1], i += 2;
      else if (strncmp (argv[i], "--store=", 8) == 0)
        g->store = argv[i] + 8, i++;
      else if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
        {
          fputs (env_usage, stdout);
          return 0;
        }
      else
        return cli_failf (g, "env: unknown option %s (see envrun env --help)",
                          argv[i]);
    }
  if (i >= argc)
    {
      fputs (env_usage, stderr);
      return 1;
    }
  for (size_t v = 0; v < sizeof env_verbs / sizeof *env_verbs; v++)
    if (strcmp (argv[i], env_verbs[v].name) == 0)
      return env_verbs[v].fn (g, argc - i, argv + i);
  return cli_failf (g, "env: unknown command `%s` (see envrun env --help)",
                    argv[i]);
}
