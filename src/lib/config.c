/* config.json → struct envrun_config: the entry points, the top level and
   the destructor.  Sections live in config-*.c.  Unknown fields are ignored
   (the spec requires it); wrong types and impossible values are refused
   with "<name>: <.path>: <problem>".  */
#include "config-host.h"

#include "cleanup.h"
#include "config-parse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int
parse_root (struct cfg_ctx *ctx, json_node *top, struct envrun_config *c)
{
  json_node *root = cfg_get (top, "root");
  int ret;

  if (root == NULL)
    return 0;
  ret = cfg_expect (ctx, root, ".root", JSON_OBJECT);
  if (ret == 0)
    ret = cfg_req_string (ctx, root, ".root", "path", &c->root_path);
  if (ret == 0 && *c->root_path == '\0')
    ret = cfg_error (ctx, ".root.path", "must not be empty");
  if (ret == 0)
    ret = cfg_opt_bool (ctx, root, ".root", "readonly", &c->root_readonly,
                        NULL);
  return ret;
}

static int
parse_sections (struct cfg_ctx *ctx, json_node *top, struct envrun_config *c)
{
  json_node *n;
  int ret = 0;

  if ((n = cfg_get (top, "mounts")))
    ret = cfg_parse_mounts (ctx, n, ".mounts", &c->mounts, &c->n_mounts);
  if (ret == 0 && (n = cfg_get (top, "process")))
    ret = cfg_parse_process (ctx, n, ".process", &c->process);
  if (ret == 0 && (n = cfg_get (top, "hooks")))
    ret = cfg_parse_hooks (ctx, n, ".hooks", &c->hooks);
  if (ret == 0 && (n = cfg_get (top, "linux")))
    ret = cfg_parse_linux (ctx, n, ".linux", &c->linux_);
  return ret;
}

static int
parse_config (struct cfg_ctx *ctx, json_node *top, struct envrun_config *c)
{
  int ret = cfg_expect (ctx, top, "", JSON_OBJECT);

  if (ret == 0)
    ret = cfg_req_string (ctx, top, "", "ociVersion", &c->oci_version);
  if (ret == 0 && *c->oci_version == '\0')
    ret = cfg_error (ctx, ".ociVersion", "must not be empty");
  if (ret == 0)
    ret = parse_root (ctx, top, c);
  if (ret == 0)
    ret = cfg_opt_string (ctx, top, "", "hostname", &c->hostname);
  if (ret == 0)
    ret = cfg_opt_string (ctx, top, "", "domainname", &c->domainname);
  if (ret == 0)
    ret = cfg_opt_kv (ctx, top, "", "annotations", &c->annotations,
                      &c->n_annotations);
  if (ret == 0)
    ret = parse_sections (ctx, top, c);
  return ret;
}

int
envrun_config_parse_string (const char *text, size_t len, const char *name,
                            struct envrun_config **out, envrun_error_t *err)
{
  struct json_doc *doc = NULL;
  struct envrun_config *c;
  struct cfg_ctx ctx = { NULL, err };
  int ret = json_parse (text, len, name, &doc, err);

  if (ret < 0)
    return ret;
  ctx.doc = doc;
  c = calloc (1, sizeof *c);
  if (c == NULL)
    ret = envrun_error_set (err, ENOMEM, "%s", json_doc_name (doc));
  else
    ret = parse_config (&ctx, json_doc_root (doc), c);
  json_doc_free (doc);
  if (ret < 0)
    {
      envrun_config_free (c);
      return ret;
    }
  *out = c;
  return 0;
}

int
envrun_config_parse_file (const char *path, struct envrun_config **out,
                          envrun_error_t *err)
{
  cleanup_free char *text = NULL;
  size_t len = 0;
  int ret = json_read_file (path, &text, &len, err);

  if (ret < 0)
    return ret;
  return envrun_config_parse_string (text, len, path, out, err);
}

/* The standalone documents share one shape: parse, hand the root to a
   section parser with an empty base path, free the tree.  */
typedef int (*section_parser) (struct cfg_ctx *, json_node *, const char *,
                               void *);

static int
parse_standalone (const char *text, size_t len, const char *name,
                  section_parser parse, void *out, envrun_error_t *err)
{
  struct json_doc *doc = NULL;
  struct cfg_ctx ctx = { NULL, err };
  int ret = json_parse (text, len, name, &doc, err);

  if (ret < 0)
    return ret;
  ctx.doc = doc;
  ret = parse (&ctx, json_doc_root (doc), "", out);
  json_doc_free (doc);
  return ret;
}

static int
process_section (struct cfg_ctx *ctx, json_node *n, const char *path,
                 void *out)
{
  return cfg_parse_process (ctx, n, path, out);
}

static int
resources_section (struct cfg_ctx *ctx, json_node *n, const char *path,
                   void *out)
{
  return cfg_parse_resources (ctx, n, path, out);
}

static int
seccomp_section (struct cfg_ctx *ctx, json_node *n, const char *path,
                 void *out)
{
  return cfg_parse_seccomp (ctx, n, path, out);
}

int
envrun_process_parse_string (const char *text, size_t len, const char *name,
                             struct envrun_process **out, envrun_error_t *err)
{
  return parse_standalone (text, len, name, process_section, out, err);
}

int
envrun_resources_parse_string (const char *text, size_t len, const char *name,
                               struct envrun_resources **out,
                               envrun_error_t *err)
{
  return parse_standalone (text, len, name, resources_section, out, err);
}

int
envrun_seccomp_parse_string (const char *text, size_t len, const char *name,
                             struct envrun_seccomp **out, envrun_error_t *err)
{
  return parse_standalone (text, len, name, seccomp_section, out, err);
}

void
envrun_config_free (struct envrun_config *c)
{
  if (c == NULL)
    return;
  free (c->oci_version);
  free (c->root_path);
  cfg_mounts_free (c->mounts, c->n_mounts);
  envrun_process_free (c->process);
  free (c->hostname);
  free (c->domainname);
  cfg_kv_free (c->annotations, c->n_annotations);
  cfg_hooks_free (&c->hooks);
  cfg_linux_free (c->linux_);
  free (c);
}

const struct envrun_namespace *
envrun_config_namespace (const struct envrun_config *c,
                         enum envrun_ns_type type)
{
  if (c == NULL || c->linux_ == NULL)
    return NULL;
  for (size_t i = 0; i < c->linux_->n_namespaces; i++)
    if (c->linux_->namespaces[i].type == type)
      return &c->linux_->namespaces[i];
  return NULL;
}
