/* The command line: argv, messages, exit codes and logging live here and
   only here.  Each verb is one file src/cli/<verb>.c exporting
   `int cli_<verb> (struct cli_global *g, int argc, char **argv)`, where
   argv[0] is the verb's name and options are parsed with getopt_long.
   A verb returns the process exit status: 0 on success, 1 on error (after
   cli_fail), or the container's status for run/exec.  */
#ifndef ENVRUN_CLI_H
#define ENVRUN_CLI_H

#include <envrun/error.h>

#include <stdbool.h>
#include <stddef.h>

struct cli_global
{
  const char *root;     /* --root, resolved to its default when absent */
  const char *log_path; /* --log or NULL */
  bool log_json;        /* --log-format json */
  bool debug;           /* --debug */
  bool systemd_cgroup;  /* --systemd-cgroup (refused by verbs that care) */
  const char *store;    /* env --store, or NULL for the default */
};

/* Print "envrun: <message>" to stderr once and, with --log, append a log
   line (JSON with --log-format json).  Frees *err.  Returns 1.  */
int cli_fail (struct cli_global *g, envrun_error_t *err);
/* Same with a formatted message (usage errors and the like).  */
int cli_failf (struct cli_global *g, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
/* Debug / warning lines (stderr and the log).  */
void cli_warnf (struct cli_global *g, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
void cli_debugf (struct cli_global *g, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/* <root>/.seccomp-cache: compiled seccomp filters, shared by both faces.
   Static storage.  */
const char *cli_seccomp_cache (const struct cli_global *g);

/* Read a whole file ("-" for stdin) with a size cap; sets err naming the
   file.  */
int cli_read_file (const char *path, size_t max, char **out, size_t *len,
                   envrun_error_t *err);

#define CLI_VERB(name) int cli_##name (struct cli_global *g, int argc, char **argv)
CLI_VERB (create);
CLI_VERB (start);
CLI_VERB (run);
CLI_VERB (exec);
CLI_VERB (state);
CLI_VERB (kill);
CLI_VERB (delete);
CLI_VERB (list);
CLI_VERB (ps);
CLI_VERB (pause);
CLI_VERB (resume);
CLI_VERB (update);
CLI_VERB (events);
CLI_VERB (spec);
CLI_VERB (features);
CLI_VERB (env);

#endif
