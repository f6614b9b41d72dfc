/* envrun — the library's error contract.
 *
 * Every fallible library function returns a negative value on failure and,
 * when it is given a non-NULL `envrun_error_t *err`, fills it with an errno
 * and a message.  Callers propagate with `if (ret < 0) return ret;` and may
 * prepend context on the way up with envrun_error_prefix().  The library
 * never prints and never exits: only src/cli/ does.
 */
#ifndef ENVRUN_ERROR_H
#define ENVRUN_ERROR_H

#include <stdarg.h>

struct envrun_error
{
  int status; /* errno value, 0 when the failure is not a system error */
  char *msg;  /* owned, NUL-terminated, never NULL once set */
};

typedef struct envrun_error *envrun_error_t;

/* Fill *err with a message built from fmt; append ": strerror(errnum)" when
   errnum != 0.  Always returns -1 (or -errnum when errnum > 0) so it can be
   used as `return envrun_error_set (err, errno, "...")`.  If *err is already
   set, the old error is freed first.  err may be NULL.  */
int envrun_error_set (envrun_error_t *err, int errnum, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
int envrun_error_setv (envrun_error_t *err, int errnum, const char *fmt,
                       va_list ap) __attribute__ ((format (printf, 3, 0)));

/* Prepend "context: " to an existing error.  Returns -1.  */
int envrun_error_prefix (envrun_error_t *err, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/* Free and reset to NULL.  Accepts NULL and an unset error.  */
void envrun_error_free (envrun_error_t *err);

/* Message of a set error, or "unknown error".  */
const char *envrun_error_message (const envrun_error_t err);

#endif
