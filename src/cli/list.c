/* envrun list [--format table|json] [--quiet|-q]  */
#include "config-host.h"

#include "cli.h"

#include <envrun/container.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* runc's JSON shape: id, pid, status, bundle, rootfs, created, owner,
   annotations.  Strings are escaped by hand: the CLI does not include the
   JSON module's generator to keep list cheap... it is small enough.  */
static void
print_json_string (const char *s)
{
  putchar ('"');
  for (; s && *s; s++)
    {
      unsigned char c = (unsigned char) *s;
      if (c == '"' || c == '\\')
        printf ("\\%c", c);
      else if (c < 0x20)
        printf ("\\u%04x", c);
      else
        putchar (c);
    }
  putchar ('"');
}

static void
print_json (struct envrun_container_state **v, size_t n)
{
  putchar ('[');
  for (size_t i = 0; i < n; i++)
    {
      printf ("%s{\"ociVersion\":", i ? "," : "");
      print_json_string (v[i]->oci_version);
      printf (",\"id\":");
      print_json_string (v[i]->id);
      printf (",\"pid\":%d,\"status\":", (int) v[i]->pid);
      print_json_string (envrun_status_name (v[i]->status));
      printf (",\"bundle\":");
      print_json_string (v[i]->bundle);
      printf (",\"rootfs\":");
      print_json_string (v[i]->rootfs);
      printf (",\"created\":");
      print_json_string (v[i]->created);
      printf (",\"owner\":");
      print_json_string (v[i]->owner);
      if (v[i]->n_annotations)
        {
          printf (",\"annotations\":{");
          for (size_t j = 0; j < v[i]->n_annotations; j++)
            {
              printf ("%s", j ? "," : "");
              print_json_string (v[i]->annotations[j].key);
              putchar (':');
              print_json_string (v[i]->annotations[j].value);
            }
          putchar ('}');
        }
      putchar ('}');
    }
  printf ("]\n");
}

static void
print_table (struct envrun_container_state **v, size_t n)
{
  printf ("%-12s %-8s %-10s %-40s %-31s %s\n", "ID", "PID", "STATUS",
          "BUNDLE", "CREATED", "OWNER");
  for (size_t i = 0; i < n; i++)
    printf ("%-12s %-8d %-10s %-40s %-31s %s\n", v[i]->id, (int) v[i]->pid,
            envrun_status_name (v[i]->status), v[i]->bundle,
            v[i]->created ? v[i]->created : "",
            v[i]->owner && v[i]->owner[0] ? v[i]->owner : "root");
}

CLI_VERB (list)
{
  static const struct option opts[]
      = { { "format", required_argument, NULL, 'f' },
          { "quiet", no_argument, NULL, 'q' },
          { NULL, 0, NULL, 0 } };
  envrun_error_t err = NULL;
  struct envrun_container_state **v = NULL;
  size_t n = 0;
  bool quiet = false, json = false;
  int c;

  while ((c = getopt_long (argc, argv, "f:q", opts, NULL)) != -1)
    if (c == 'q')
      quiet = true;
    else if (c == 'f' && (strcmp (optarg, "json") == 0
                          || strcmp (optarg, "table") == 0))
      json = strcmp (optarg, "json") == 0;
    else
      return cli_failf (g, "list: invalid option (--format table|json, -q)");
  if (optind != argc)
    return cli_failf (g, "list: takes no arguments");
  if (envrun_container_list (g->root, &v, &n, &err) < 0)
    return cli_fail (g, &err);
  if (quiet)
    for (size_t i = 0; i < n; i++)
      puts (v[i]->id);
  else if (json)
    print_json (v, n);
  else
    print_table (v, n);
  for (size_t i = 0; i < n; i++)
    envrun_container_state_free (v[i]);
  free (v);
  return 0;
}
