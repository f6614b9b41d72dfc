/* Internal to the config parser (src/lib/config*.c): typed field readers
   that build "<doc>: <.path>: <problem>" messages, and the per-section
   parsers.  Every section parser fills a zeroed struct in place; on failure
   the caller frees the partly filled struct with the matching *_free, so
   arrays are allocated zeroed and their counts set before they are filled.
 */
#ifndef ENVRUN_CONFIG_PARSE_H
#define ENVRUN_CONFIG_PARSE_H

#include <envrun/config.h>

#include "json.h"

#include <stdbool.h>
#include <stdint.h>

/* Long enough for every fixed path of the spec; user-chosen map keys
   (annotations, sysctl) are cut, which only shortens a message.  */
#define CFG_PATH_MAX 512
/* uid_map/gid_map hold at most 340 extents since Linux 4.15.  */
#define CFG_MAX_ID_MAPPINGS 340u

struct cfg_ctx
{
  const struct json_doc *doc;
  envrun_error_t *err;
};

/* base + "." + key, and base + "[i]".  */
void cfg_path_key (char *buf, const char *base, const char *key);
void cfg_path_index (char *buf, const char *base, size_t i);

/* The member `key` of obj, or NULL when it is absent or JSON null (Go's
   encoding/json, and so runc, reads null as absent).  */
json_node *cfg_get (json_node *obj, const char *key);

int cfg_error (struct cfg_ctx *ctx, const char *path, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
/* obj[key] of JSON type t, its field path in `path` (CFG_PATH_MAX): 0 with
   *out NULL when absent, 0 with *out set, or the type error.  */
int cfg_member (struct cfg_ctx *ctx, json_node *obj, const char *base,
                const char *key, enum json_type t, char *path,
                json_node **out);
int cfg_expect (struct cfg_ctx *ctx, json_node *n, const char *path,
                enum json_type t);
bool cfg_is_absolute (const char *p);

/* Copy a string node (n non-NULL).  */
int cfg_dup_string (struct cfg_ctx *ctx, json_node *n, const char *path,
                    char **out);

/* Optional fields leave *out (and *has) untouched when absent; `has` may be
   NULL.  Required ones fail "<path>: is required".  */
int cfg_opt_string (struct cfg_ctx *ctx, json_node *obj, const char *base,
                    const char *key, char **out);
int cfg_req_string (struct cfg_ctx *ctx, json_node *obj, const char *base,
                    const char *key, char **out);
int cfg_opt_bool (struct cfg_ctx *ctx, json_node *obj, const char *base,
                  const char *key, bool *out, bool *has);
int cfg_opt_uint (struct cfg_ctx *ctx, json_node *obj, const char *base,
                  const char *key, uint64_t max, uint64_t *out, bool *has);
int cfg_req_uint (struct cfg_ctx *ctx, json_node *obj, const char *base,
                  const char *key, uint64_t max, uint64_t *out);
int cfg_opt_int (struct cfg_ctx *ctx, json_node *obj, const char *base,
                 const char *key, int64_t min, int64_t max, int64_t *out,
                 bool *has);
int cfg_req_int (struct cfg_ctx *ctx, json_node *obj, const char *base,
                 const char *key, int64_t min, int64_t max, int64_t *out);

/* An array of strings into a NULL-terminated vector (NULL when absent).  */
int cfg_opt_strv (struct cfg_ctx *ctx, json_node *obj, const char *base,
                  const char *key, char ***out, size_t *n);
/* An object of strings into key/value pairs.  */
int cfg_opt_kv (struct cfg_ctx *ctx, json_node *obj, const char *base,
                const char *key, struct envrun_kv **out, size_t *n);
/* uidMappings/gidMappings: each range non-empty, inside 32 bits, and
   overlapping no other range on either side.  */
int cfg_id_mappings (struct cfg_ctx *ctx, json_node *obj, const char *base,
                     const char *key, struct envrun_id_mapping **out,
                     size_t *n);

/* MS_* (| MS_REC) for "private", "rslave", …; 0 when not a propagation. */
unsigned long cfg_propagation_flags (const char *name);

/* Look `name` up in a NULL-terminated table of names; index or -1.  */
int cfg_name_index (const char *const *table, const char *name);

void cfg_strv_free (char **v);
void cfg_kv_free (struct envrun_kv *kv, size_t n);

/* Sections.  */
int cfg_parse_process (struct cfg_ctx *ctx, json_node *n, const char *path,
                       struct envrun_process **out);
int cfg_parse_linux (struct cfg_ctx *ctx, json_node *n, const char *path,
                     struct envrun_linux **out);
int cfg_parse_resources (struct cfg_ctx *ctx, json_node *n, const char *path,
                         struct envrun_resources **out);
int cfg_parse_seccomp (struct cfg_ctx *ctx, json_node *n, const char *path,
                       struct envrun_seccomp **out);
int cfg_parse_mounts (struct cfg_ctx *ctx, json_node *n, const char *path,
                      struct envrun_mount **out, size_t *count);
int cfg_parse_hooks (struct cfg_ctx *ctx, json_node *n, const char *path,
                     struct envrun_hooks *hooks);

void cfg_linux_free (struct envrun_linux *l);
void cfg_mounts_free (struct envrun_mount *m, size_t n);
void cfg_hooks_free (struct envrun_hooks *h);

#endif
