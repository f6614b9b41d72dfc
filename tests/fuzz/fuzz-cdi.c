/* libFuzzer target: CDI spec files, JSON or YAML (the first byte picks),
   are untrusted input.  A spec that parses must hold what the rest of
   envrun relies on: absolute device and mount paths, known hook names;
   and every device of it, and kind=all, must resolve.  Failures must set
   a message naming the file.  */
#include "config-host.h"

#include "cdi.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
check_edits (const struct cdi_edits *e)
{
  for (size_t i = 0; i < e->n_nodes; i++)
    assert (e->nodes[i].path[0] == '/');
  for (size_t i = 0; i < e->n_mounts; i++)
    assert (e->mounts[i].container_path[0] == '/');
  for (size_t i = 0; i < e->n_hooks; i++)
    assert (e->hooks[i].hook_name && e->hooks[i].path[0] == '/');
  for (size_t i = 0; i < e->n_env; i++)
    assert (strchr (e->env[i], '=') && e->env[i][0] != '=');
}

static void
check_resolves (struct cdi_spec *s)
{
  struct cdi_spec *specs[] = { s };
  struct cdi_registry r = { specs, 1, (char *)"fuzz" };
  const struct cdi_edits **edits = NULL;
  char name[600];
  size_t n = 0;

  for (size_t i = 0; i <= s->n_devices; i++)
    {
      char *names[] = { name };
      envrun_error_t err = NULL;
      snprintf (name, sizeof name, "%s=%s", s->kind,
                i < s->n_devices ? s->devices[i].name : "all");
      if (cdi_resolve (&r, names, 1, &edits, &n, &err) < 0)
        {
          /* Only an unusable name may fail ("all" of a kind is fine).  */
          assert (err && err->msg);
          envrun_error_free (&err);
          continue;
        }
      assert (n >= 1 && n <= s->n_devices + 1);
      free (edits);
      edits = NULL;
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t len)
{
  bool yaml = len > 0 && (data[0] & 1);
  char *text = malloc (len + 1);
  struct cdi_spec *s = NULL;
  envrun_error_t err = NULL;

  if (text == NULL)
    return 0;
  memcpy (text, data, len);
  text[len] = '\0';
  if (cdi_spec_parse (text, len, "fuzz.spec", yaml, &s, &err) < 0)
    {
      assert (s == NULL && err && strncmp (err->msg, "fuzz.spec", 9) == 0);
      envrun_error_free (&err);
      free (text);
      return 0;
    }
  check_edits (&s->edits);
  for (size_t i = 0; i < s->n_devices; i++)
    check_edits (&s->devices[i].edits);
  check_resolves (s);
  cdi_spec_free (s);
  free (text);
  return 0;
}
