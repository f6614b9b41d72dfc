/* CVE-2019-5736: the runtime binary must not be writable from a container.
   A process of the container that reaches /proc/<pid>/exe of a runtime
   process (one setting up `create`, `run`, `exec` or `env run`, or one
   that execs /proc/self/exe) would otherwise hold the host binary and
   could rewrite it once the runtime exits.  */
#ifndef ENVRUN_CLI_SEAL_H
#define ENVRUN_CLI_SEAL_H

#include "cli.h"

/* Make sure the running binary is a sealed copy.  Returns 0 at once when
   /proc/self/exe is already a memfd carrying every write seal, or lives on
   a read-only filesystem.  Otherwise copies the binary into a sealed
   memfd and re-executes that with the original command line (read back
   from /proc/self/cmdline, since a verb only sees its tail of argv) and
   the same environment: on success it does not return.  On failure prints
   the error (cli_fail) and returns 1.  `argv` is the verb's argv; it is
   used only to check that the command line read back is this one.

   The caller, at the top of a verb that spawns container processes:
     if (cli_seal_binary (g, argv) != 0) return 1;

   Tests only: ENVRUN_TEST_UNSAFE_NO_SEAL=1 in the environment (read with
   secure_getenv) skips the protection, so the escape suite can show that
   its attack works against an unprotected runtime.  */
int cli_seal_binary (struct cli_global *g, char **argv);

#endif
