/* libFuzzer target: a linux.seccomp object through the parser and then the
   libseccomp translation (never loaded).  Beyond "no crash, no leak": a
   failure always carries a message and leaves the out-parameter alone; a
   success is a program the kernel could take (1..BPF_MAXINSNS
   instructions).  */
#include "config-host.h"

#include "seccomp.h"

#include <linux/filter.h>
#include <stdint.h>
#include <stdlib.h>

#define SENTINEL ((void *)0x1)

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct envrun_seccomp *s = NULL;
  struct seccomp_program *p = SENTINEL;
  envrun_error_t err = NULL;
  int ret;

  if (envrun_seccomp_parse_string ((const char *)data, size, "fuzz", &s, &err)
      < 0)
    {
      envrun_error_free (&err);
      return 0;
    }
  ret = seccomp_program_build (s, &p, &err);
  if (ret < 0)
    {
      if (p != SENTINEL || err == NULL || err->msg == NULL)
        abort ();
      envrun_error_free (&err);
    }
  else
    {
      if (p == NULL || p == SENTINEL || err != NULL
          || seccomp_program_size (p) == 0
          || seccomp_program_size (p) > BPF_MAXINSNS)
        abort ();
      seccomp_program_free (p);
    }
  envrun_seccomp_free (s);
  return 0;
}
