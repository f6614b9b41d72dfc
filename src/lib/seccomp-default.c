/* The built-in default profile: data/seccomp-default.json, compiled into
   the library (src/lib/seccomp-default-data.c is generated from it), so a
   runtime copied onto a host without its data files still confines.  */
#include "config-host.h"

#include "seccomp.h"

int
seccomp_default_profile (struct envrun_seccomp **out, envrun_error_t *err)
{
  return envrun_seccomp_parse_string (seccomp_default_json,
                                      seccomp_default_json_len,
                                      "built-in seccomp profile", out, err);
}
