/* libFuzzer target: every config entry point on the same input.  Beyond
   "no crash, no leak": a failure always carries a message naming the
   document, a success always returns an object, and the out-parameter is
   left untouched on failure.  */
#include "config-host.h"

#include <envrun/config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SENTINEL ((void *)0x1)

static void
check_failure (int ret, void *out, envrun_error_t *err, const char *name)
{
  if (ret == 0)
    {
      if (out == NULL || out == SENTINEL || *err != NULL)
        abort ();
      return;
    }
  if (out != SENTINEL || *err == NULL
      || strncmp ((*err)->msg, name, strlen (name)) != 0)
    abort ();
  envrun_error_free (err);
}

static void
fuzz_config (const char *text, size_t size)
{
  struct envrun_config *c = SENTINEL;
  envrun_error_t err = NULL;
  int ret = envrun_config_parse_string (text, size, "config.json", &c, &err);

  check_failure (ret, c, &err, "config.json: ");
  if (ret < 0)
    return;
  for (int t = 0; t < ENVRUN_NS_COUNT; t++)
    {
      const struct envrun_namespace *ns = envrun_config_namespace (c, t);
      if (ns && (ns->type != (enum envrun_ns_type)t || ns->clone_flag == 0))
        abort ();
    }
  if (c->process
      && (c->process->n_args == 0 || c->process->args[0] == NULL
          || c->process->cwd[0] != '/'))
    abort ();
  envrun_config_free (c);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *text = (const char *)data;
  struct envrun_process *p = SENTINEL;
  struct envrun_resources *r = SENTINEL;
  struct envrun_seccomp *s = SENTINEL;
  envrun_error_t err = NULL;
  int ret;

  fuzz_config (text, size);
  ret = envrun_process_parse_string (text, size, "process.json", &p, &err);
  check_failure (ret, p, &err, "process.json: ");
  if (ret == 0)
    envrun_process_free (p);
  ret = envrun_resources_parse_string (text, size, "resources.json", &r, &err);
  check_failure (ret, r, &err, "resources.json: ");
  if (ret == 0)
    envrun_resources_free (r);
  ret = envrun_seccomp_parse_string (text, size, "seccomp.json", &s, &err);
  check_failure (ret, s, &err, "seccomp.json: ");
  if (ret == 0)
    envrun_seccomp_free (s);
  return 0;
}
