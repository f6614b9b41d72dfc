/* The error object behind include/envrun/error.h.  */
#include "config-host.h"

#include <envrun/error.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
envrun_error_setv (envrun_error_t *err, int errnum, const char *fmt,
                   va_list ap)
{
  int ret = errnum > 0 ? -errnum : -1;
  char *base = NULL, *full = NULL;
  struct envrun_error *e;

  if (err == NULL)
    return ret;
  envrun_error_free (err);
  if (vasprintf (&base, fmt, ap) < 0)
    base = NULL;
  if (base && errnum > 0)
    {
      if (asprintf (&full, "%s: %s", base, strerror (errnum)) < 0)
        full = NULL;
      free (base);
      base = full;
    }
  e = calloc (1, sizeof *e);
  if (e == NULL)
    {
      free (base);
      return ret;
    }
  e->status = errnum;
  e->msg = base ? base : strdup ("out of memory");
  *err = e;
  return ret;
}

int
envrun_error_set (envrun_error_t *err, int errnum, const char *fmt, ...)
{
  va_list ap;
  int ret;

  va_start (ap, fmt);
  ret = envrun_error_setv (err, errnum, fmt, ap);
  va_end (ap);
  return ret;
}

int
envrun_error_prefix (envrun_error_t *err, const char *fmt, ...)
{
  char *ctx = NULL, *joined = NULL;
  va_list ap;

  if (err == NULL || *err == NULL)
    return -1;
  va_start (ap, fmt);
  if (vasprintf (&ctx, fmt, ap) < 0)
    ctx = NULL;
  va_end (ap);
  if (ctx && asprintf (&joined, "%s: %s", ctx, (*err)->msg) >= 0)
    {
      free ((*err)->msg);
      (*err)->msg = joined;
    }
  free (ctx);
  return (*err)->status > 0 ? -(*err)->status : -1;
}

void
envrun_error_free (envrun_error_t *err)
{
  if (err == NULL || *err == NULL)
    return;
  free ((*err)->msg);
  free (*err);
  *err = NULL;
}

const char *
envrun_error_message (const envrun_error_t err)
{
  return err && err->msg ? err->msg : "unknown error";
}
