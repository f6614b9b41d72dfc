/* libFuzzer target: the tar extractor on untrusted bytes.  Each input is
   extracted into a fresh directory under a private temporary root, which
   is removed afterwards; the invariant checked is that nothing is ever
   created outside it (the sentinel directory beside it stays empty).  */
#include "config-host.h"

#include "env-internal.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct input
{
  const uint8_t *data;
  size_t len, off;
};

static ssize_t
input_read (void *ctx, void *buf, size_t len)
{
  struct input *in = ctx;

  if (len > in->len - in->off)
    len = in->len - in->off;
  memcpy (buf, in->data + in->off, len);
  in->off += len;
  return len;
}

static char base[64];

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t len)
{
  struct input in = { data, len, 0 };
  struct env_tar_options o = { .name = "fuzz.tar", .oci_whiteouts = len & 1 };
  envrun_error_t err = NULL;
  char root[128], sentinel[128];
  int fd;

  if (base[0] == '\0')
    {
      strcpy (base, "/tmp/fuzz-tar-XXXXXX");
      if (mkdtemp (base) == NULL)
        abort ();
    }
  snprintf (root, sizeof root, "%s/a/b/root", base);
  snprintf (sentinel, sizeof sentinel, "%s/a", base);
  env_mkdir_p (root, 0755, NULL);
  fd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    abort ();
  env_tar_extract (input_read, &in, fd, &o, &err);
  envrun_error_free (&err);
  close (fd);
  env_rm_rf (root, NULL);
  /* Only b/ may exist beside the root's parent chain.  */
  {
    char other[160];
    snprintf (other, sizeof other, "%s/a/b", base);
    if (rmdir (other) < 0 || rmdir (sentinel) < 0)
      abort (); /* something escaped the root */
  }
  return 0;
}
