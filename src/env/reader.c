/* A byte stream over an fd that inflates gzip transparently (tarballs and
   OCI layers are usually gzip) and hashes what it reads from the fd, so
   the digest of a tarball or blob comes for free.  */
#include "config-host.h"

#include "env-internal.h"
#include "sha256.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

struct env_reader
{
  int fd;
  bool gz, z_ready, in_eof, z_end;
  z_stream z;
  unsigned char in[65536];
  size_t in_len; /* raw bytes waiting in `in` (not gzip) */
  size_t in_off;
  struct sha256 h;
};

static ssize_t
raw_fill (struct env_reader *r)
{
  ssize_t n;

  do
    n = read (r->fd, r->in, sizeof r->in);
  while (n < 0 && errno == EINTR);
  if (n > 0)
    sha256_update (&r->h, r->in, n);
  if (n == 0)
    r->in_eof = true;
  return n;
}

int
env_reader_open_fd (int fd, struct env_reader **out, envrun_error_t *err)
{
  struct env_reader *r = calloc (1, sizeof *r);
  ssize_t n;

  if (r == NULL)
    return envrun_error_set (err, ENOMEM, "reader");
  r->fd = fd;
  sha256_init (&r->h);
  n = raw_fill (r);
  if (n < 0)
    {
      free (r);
      return envrun_error_set (err, errno, "read");
    }
  r->in_len = n;
  r->gz = n >= 2 && r->in[0] == 0x1f && r->in[1] == 0x8b;
  if (r->gz)
    {
      if (inflateInit2 (&r->z, 15 + 32) != Z_OK)
        {
          free (r);
          return envrun_error_set (err, ENOMEM, "zlib");
        }
      r->z_ready = true;
      r->z.next_in = r->in;
      r->z.avail_in = n;
    }
  *out = r;
  return 0;
}

static ssize_t
gz_read (struct env_reader *r, void *buf, size_t len)
{
  r->z.next_out = buf;
  r->z.avail_out = len;
  while (r->z.avail_out == len)
    {
      int zr;
      if (r->z.avail_in == 0 && !r->in_eof)
        {
          ssize_t n = raw_fill (r);
          if (n < 0)
            return -1;
          r->z.next_in = r->in;
          r->z.avail_in = n;
        }
      if (r->z.avail_in == 0 && r->in_eof)
        {
          if (!r->z_end)
            {
              errno = EPIPE; /* truncated gzip stream */
              return -1;
            }
          return 0;
        }
      if (r->z_end)
        {
          /* Another gzip member follows (concatenated streams).  */
          inflateReset (&r->z);
          r->z_end = false;
        }
      zr = inflate (&r->z, Z_NO_FLUSH);
      if (zr == Z_STREAM_END)
        r->z_end = true;
      else if (zr != Z_OK && zr != Z_BUF_ERROR)
        {
          errno = EILSEQ;
          return -1;
        }
    }
  return len - r->z.avail_out;
}

ssize_t
env_reader_read (void *ctx, void *buf, size_t len)
{
  struct env_reader *r = ctx;

  if (r->gz)
    return gz_read (r, buf, len);
  if (r->in_off == r->in_len)
    {
      ssize_t n;
      if (r->in_eof)
        return 0;
      n = raw_fill (r);
      if (n <= 0)
        return n;
      r->in_len = n;
      r->in_off = 0;
    }
  if (len > r->in_len - r->in_off)
    len = r->in_len - r->in_off;
  memcpy (buf, r->in + r->in_off, len);
  r->in_off += len;
  return len;
}

char *
env_reader_digest (struct env_reader *r)
{
  char hex[65], *out = NULL;
  struct sha256 copy = r->h;
  unsigned char buf[65536];
  ssize_t n;

  /* Hash what remains unread too: the digest is the file's.  */
  while (!r->in_eof && (n = read (r->fd, buf, sizeof buf)) > 0)
    sha256_update (&copy, buf, n);
  sha256_final_hex (&copy, hex);
  if (asprintf (&out, "sha256:%s", hex) < 0)
    return NULL;
  return out;
}

void
env_reader_free (struct env_reader *r)
{
  if (r == NULL)
    return;
  if (r->z_ready)
    inflateEnd (&r->z);
  free (r);
}
