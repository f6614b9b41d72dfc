#include "config-host.h"

#include "warn.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static envrun_warning_handler handler;

void
envrun_set_warning_handler (envrun_warning_handler fn)
{
  handler = fn;
}

void
envrun_warn (const char *fmt, ...)
{
  char *msg = NULL;
  va_list ap;

  if (handler == NULL)
    return;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) >= 0)
    handler (msg);
  va_end (ap);
  free (msg);
}
