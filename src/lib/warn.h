/* Warnings: the library never prints; it hands a warning to the handler
   the CLI installed (include/envrun/warn.h), or drops it.  */
#ifndef ENVRUN_WARN_INTERNAL_H
#define ENVRUN_WARN_INTERNAL_H

#include <envrun/warn.h>

void envrun_warn (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

#endif
