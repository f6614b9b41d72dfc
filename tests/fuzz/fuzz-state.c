/* libFuzzer target: state_parse, the reader of <root>/<id>/state.json.
   A state file is written by envrun but lives in a directory other root
   processes can reach, so a torn, truncated or hostile one must give an
   error with a message, never a crash, a leak or a half-filled state.
   Invariants checked beyond "no crash, no leak": failure sets a message
   and leaves *out untouched; success yields the required fields, a pid
   within range, and OCI state JSON (every status) that parses again and
   carries the same id.  */
#include "config-host.h"

#include "json.h"
#include "state.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void
check_oci_json (const struct container_state *s, enum envrun_status st)
{
  envrun_error_t err = NULL;
  struct json_doc *doc = NULL;
  char *out = NULL;
  const char *id = NULL;

  if (state_oci_json (s, st, st == ENVRUN_STATUS_RUNNING, &out, &err) < 0)
    {
      /* only a string the generator refuses (invalid UTF-8) may fail */
      if (err == NULL)
        abort ();
      envrun_error_free (&err);
      return;
    }
  if (json_parse (out, strlen (out), "oci-state", &doc, &err) < 0)
    abort ();
  if (json_get_string (doc, json_object_get (json_doc_root (doc), "id"),
                       ".id", &id, &err)
          < 0
      || strcmp (id, s->id) != 0)
    abort ();
  json_doc_free (doc);
  free (out);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct container_state *s = (struct container_state *) 0x1;
  envrun_error_t err = NULL;

  if (state_parse ((const char *) data, size, "state.json", &s, &err) < 0)
    {
      if (err == NULL || envrun_error_message (err) == NULL
          || s != (struct container_state *) 0x1)
        abort ();
      envrun_error_free (&err);
      return 0;
    }
  if (err != NULL || s == NULL || s->id == NULL || s->bundle == NULL
      || s->oci_version == NULL || s->pid < 0)
    abort ();
  for (size_t i = 0; i < s->n_annotations; i++)
    if (s->annotations[i].key == NULL || s->annotations[i].value == NULL)
      abort ();
  check_oci_json (s, ENVRUN_STATUS_CREATED);
  check_oci_json (s, ENVRUN_STATUS_RUNNING);
  check_oci_json (s, ENVRUN_STATUS_STOPPED);
  container_state_free (s);
  return 0;
}
