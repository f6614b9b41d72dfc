/* Messages and logging of the command line (see cli.h).  */
#include "config-host.h"

#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void
json_escape (FILE *f, const char *s)
{
  for (; *s; s++)
    {
      unsigned char c = (unsigned char) *s;
      if (c == '"' || c == '\\')
        fprintf (f, "\\%c", c);
      else if (c < 0x20)
        fprintf (f, "\\u%04x", c);
      else
        fputc (c, f);
    }
}

static void
log_line (struct cli_global *g, const char *level, const char *msg)
{
  FILE *f;
  char ts[64];
  time_t now = time (NULL);
  struct tm tm;

  if (g == NULL || g->log_path == NULL)
    return;
  f = fopen (g->log_path, "ae");
  if (f == NULL)
    return;
  gmtime_r (&now, &tm);
  strftime (ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (g->log_json)
    {
      fprintf (f, "{\"level\":\"%s\",\"msg\":\"", level);
      json_escape (f, msg);
      fprintf (f, "\",\"time\":\"%s\"}\n", ts);
    }
  else
    fprintf (f, "%s %s: %s\n", ts, level, msg);
  fclose (f);
}

static void
report (struct cli_global *g, const char *level, const char *msg)
{
  /* With --log, containerd reads the error from the log; stderr still
     gets the one line for humans.  */
  if (strcmp (level, "debug") != 0 || (g && g->debug))
    fprintf (stderr, "envrun: %s%s\n",
             strcmp (level, "warning") == 0 ? "warning: " : "", msg);
  log_line (g, level, msg);
}

int
cli_fail (struct cli_global *g, envrun_error_t *err)
{
  report (g, "error", envrun_error_message (*err));
  envrun_error_free (err);
  return 1;
}

int
cli_failf (struct cli_global *g, const char *fmt, ...)
{
  char *msg = NULL;
  va_list ap;

  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  report (g, "error", msg ? msg : fmt);
  free (msg);
  return 1;
}

void
cli_warnf (struct cli_global *g, const char *fmt, ...)
{
  char *msg = NULL;
  va_list ap;

  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) >= 0)
    report (g, "warning", msg);
  va_end (ap);
  free (msg);
}

void
cli_debugf (struct cli_global *g, const char *fmt, ...)
{
  char *msg = NULL;
  va_list ap;

  if (g == NULL || !g->debug)
    return;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) >= 0)
    report (g, "debug", msg);
  va_end (ap);
  free (msg);
}

int
cli_read_file (const char *path, size_t max, char **out, size_t *len,
               envrun_error_t *err)
{
  int fd = strcmp (path, "-") == 0 ? 0 : open (path, O_RDONLY | O_CLOEXEC);
  size_t cap = 65536, n = 0;
  char *buf;

  if (fd < 0)
    return envrun_error_set (err, errno, "%s", path);
  buf = malloc (cap + 1);
  while (buf)
    {
      if (n == cap)
        {
          if (cap > max)
            break;
          char *nb = realloc (buf, cap * 2 + 1);
          if (nb == NULL)
            break;
          buf = nb;
          cap *= 2;
        }
      ssize_t r = read (fd, buf + n, cap - n);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          int e = errno;
          free (buf);
          if (fd)
            close (fd);
          return envrun_error_set (err, e, "read %s", path);
        }
      if (r == 0)
        break;
      n += (size_t) r;
    }
  if (fd)
    close (fd);
  if (buf == NULL)
    return envrun_error_set (err, ENOMEM, "%s", path);
  if (n > max)
    {
      free (buf);
      return envrun_error_set (err, EFBIG, "%s: larger than %zu bytes", path,
                               max);
    }
  buf[n] = '\0';
  *out = buf;
  *len = n;
  return 0;
}

const char *
cli_seccomp_cache (const struct cli_global *g)
{
  static char path[4096];

  /* The cache lives in the state root, which is ours and 0700.  */
  if (mkdir (g->root, 0700) < 0 && errno != EEXIST)
    return NULL;
  snprintf (path, sizeof path, "%s/.seccomp-cache", g->root);
  return path;
}
