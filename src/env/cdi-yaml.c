/* CDI specs in YAML: converted event by event into JSON text, so the one
   field walk of cdi.c checks both formats.  */
#include "config-host.h"

#include "cdi.h"
#include "cleanup.h"
#include "json.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <yaml.h>

/* ---- YAML to the JSON tree ------------------------------------------------
 */

struct yaml_frame
{
  bool mapping;
  bool want_key;
};

/* A plain scalar's JSON type, as a YAML 1.1 reader (what CDI's reference
   implementation uses) sees it: null, booleans, integers (0x hex, 0/0o
   octal); everything else is a string.  */
static void
gen_plain_scalar (struct json_gen *g, const char *s)
{
  const char *digits = s + (*s == '-' || *s == '+');
  char *end;

  if (*s == '\0' || strcmp (s, "~") == 0 || strcasecmp (s, "null") == 0)
    return json_gen_null (g);
  if (strcasecmp (s, "true") == 0 || strcasecmp (s, "false") == 0)
    return json_gen_bool (g, tolower ((unsigned char)s[0]) == 't');
  if (isdigit ((unsigned char)*digits))
    {
      int base = strncmp (digits, "0o", 2) == 0 ? 8 : 0;
      const char *from = base ? digits + 2 : digits;
      unsigned long long v;
      errno = 0;
      v = strtoull (from, &end, base);
      if (*end == '\0' && errno == 0 && end != from)
        {
          if (*s != '-')
            return json_gen_uint (g, v);
          if (v <= (unsigned long long)INT64_MAX)
            return json_gen_int (g, -(int64_t)v);
        }
    }
  json_gen_string (g, s);
}

static int
yaml_scalar (struct json_gen *g, struct yaml_frame *top,
             const yaml_event_t *ev)
{
  const char *s = (const char *)ev->data.scalar.value;

  if (strlen (s) != ev->data.scalar.length)
    return -1;
  if (top && top->mapping && top->want_key)
    json_gen_key (g, s);
  else if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
    gen_plain_scalar (g, s);
  else
    json_gen_string (g, s);
  if (top && top->mapping)
    top->want_key = !top->want_key;
  return 0;
}

/* One event into the generator.  Returns 1 at the end of the stream.  */
static int
yaml_event (struct json_gen *g, struct yaml_frame *stack, size_t *depth,
            unsigned *docs, const yaml_event_t *ev, const char **why)
{
  struct yaml_frame *top = *depth ? &stack[*depth - 1] : NULL;

  switch (ev->type)
    {
    case YAML_STREAM_END_EVENT:
      return 1;
    case YAML_DOCUMENT_START_EVENT:
      if (++*docs > 1)
        return *why = "more than one YAML document", -1;
      return 0;
    case YAML_ALIAS_EVENT:
      return *why = "YAML aliases are not allowed", -1;
    case YAML_SCALAR_EVENT:
      return yaml_scalar (g, top, ev) < 0 ? (*why = "NUL in a string", -1) : 0;
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
      if (top && top->mapping && top->want_key)
        return *why = "mapping keys must be scalars", -1;
      if (*depth >= JSON_MAX_DEPTH)
        return *why = "nested too deeply", -1;
      stack[(*depth)++]
          = (struct yaml_frame){ ev->type == YAML_MAPPING_START_EVENT, true };
      if (ev->type == YAML_MAPPING_START_EVENT)
        json_gen_object_open (g);
      else
        json_gen_array_open (g);
      return 0;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
      if (stack[--*depth].mapping)
        json_gen_object_close (g);
      else
        json_gen_array_close (g);
      if (*depth && stack[*depth - 1].mapping)
        stack[*depth - 1].want_key = true;
      return 0;
    default:
      return 0;
    }
}

int
cdi_yaml_to_json (const char *text, size_t len, const char *file, char **out,
                  size_t *out_len, envrun_error_t *err)
{
  struct yaml_frame stack[JSON_MAX_DEPTH];
  struct json_gen *g = json_gen_new (false);
  const char *why = NULL;
  unsigned docs = 0;
  size_t depth = 0;
  yaml_parser_t p;
  int r = 0;

  if (g == NULL || !yaml_parser_initialize (&p))
    {
      json_gen_free (g);
      return envrun_error_set (err, ENOMEM, "%s", file);
    }
  yaml_parser_set_input_string (&p, (const unsigned char *)text, len);
  while (r == 0)
    {
      yaml_event_t ev;
      if (!yaml_parser_parse (&p, &ev))
        {
          envrun_error_set (err, 0, "%s: line %zu column %zu: %s", file,
                            p.problem_mark.line + 1, p.problem_mark.column + 1,
                            p.problem ? p.problem : "invalid YAML");
          r = -1;
          break;
        }
      r = yaml_event (g, stack, &depth, &docs, &ev, &why);
      if (r < 0)
        envrun_error_set (err, 0, "%s: line %zu column %zu: %s", file,
                          ev.start_mark.line + 1, ev.start_mark.column + 1,
                          why);
      yaml_event_delete (&ev);
    }
  yaml_parser_delete (&p);
  if (r > 0 && docs == 0)
    r = envrun_error_set (err, 0, "%s: empty document", file);
  if (r > 0)
    r = json_gen_finish (g, out, out_len, err);
  json_gen_free (g);
  return r < 0 ? -1 : 0;
}
