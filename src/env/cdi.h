/* CDI, the Container Device Interface (specs 0.3.0 to 0.8.0): vendor spec
   files in JSON or YAML under /etc/cdi and /var/run/cdi describe devices
   by fully qualified name ("vendor.com/class=name") and the edits a
   container needs to use them: device nodes, environment, mounts, hooks,
   additional groups.  This module reads the specs, resolves names, and
   hands the edits to the env run configuration generator.  */
#ifndef ENVRUN_CDI_H
#define ENVRUN_CDI_H

#include <envrun/env.h>
#include <envrun/error.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Searched in this order; a device in a later directory overrides the
   same device in an earlier one.  */
#define CDI_DEFAULT_DIRS "/etc/cdi:/var/run/cdi"
/* Limits on what a spec directory can make us read.  */
#define CDI_SPEC_MAX (1u << 20) /* bytes of one spec file */
#define CDI_MAX_SPECS 512       /* spec files in all directories */
#define CDI_MAX_REQUESTS 256    /* device names in one run */

struct cdi_device_node
{
  char *path;      /* in the container, absolute */
  char *host_path; /* NULL: path */
  char type;       /* 'c', 'b', 'u', 'p'; 0: from stat */
  bool has_major, has_minor, has_file_mode, has_uid, has_gid;
  int64_t major, minor;
  uint32_t file_mode;
  uint32_t uid, gid;
  char *permissions; /* cgroup access "rwm" subset; NULL: "rwm" */
};

struct cdi_mount
{
  char *host_path;
  char *container_path; /* absolute, no ".." */
  char *type;           /* NULL: bind */
  char **options;       /* NULL-terminated, may be NULL */
};

struct cdi_hook
{
  const char *hook_name; /* the OCI hooks key (static) */
  char *path;
  char **args; /* NULL-terminated, may be NULL */
  char **env;
  bool has_timeout;
  int64_t timeout;
};

struct cdi_edits
{
  char **env; /* "K=V" */
  size_t n_env;
  struct cdi_device_node *nodes;
  size_t n_nodes;
  struct cdi_mount *mounts;
  size_t n_mounts;
  struct cdi_hook *hooks;
  size_t n_hooks;
  uint32_t *gids; /* additionalGids */
  size_t n_gids;
};

struct cdi_device
{
  char *name;
  struct cdi_edits edits;
};

struct cdi_spec
{
  char *file; /* as read, for messages */
  char *version;
  char *kind; /* "vendor/class" */
  struct cdi_device *devices;
  size_t n_devices;
  struct cdi_edits edits; /* applied once when any device is used */
  unsigned priority;      /* index of its directory */
};

/* Parse one spec; `file` names it in messages ("<file>: .devices[0].name:
   expected a string").  yaml: the text is YAML (a JSON text is valid YAML
   too).  */
int cdi_spec_parse (const char *text, size_t len, const char *file, bool yaml,
                    struct cdi_spec **out, envrun_error_t *err);
void cdi_spec_free (struct cdi_spec *s);

/* Shared by cdi.c, cdi-yaml.c and cdi-registry.c.  */
int cdi_strv_push (char ***v, size_t *n, const char *s);
bool cdi_valid_kind (const char *kind); /* "vendor/class" */
bool cdi_valid_device_name (const char *name);
/* A YAML spec as JSON text for the field walk (cdi-yaml.c).  */
int cdi_yaml_to_json (const char *text, size_t len, const char *file,
                      char **out, size_t *out_len, envrun_error_t *err);

struct cdi_registry
{
  struct cdi_spec **specs;
  size_t n_specs;
  char *dirs; /* as searched, "a, b", for messages */
};

/* Read every *.json, *.yaml and *.yml file of the ':'-separated absolute
   directories (missing ones are skipped).  A malformed spec, or one that
   someone other than root or the caller could have written, fails the
   load.  */
int cdi_registry_load (const char *dirs, struct cdi_registry **out,
                       envrun_error_t *err);
void cdi_registry_free (struct cdi_registry *r);

/* Resolve fully qualified names ("vendor.com/class=name"; "=all": every
   device of the kind unless the kind defines a device named "all").
   *out: the edits to apply, in order, each once: a spec's own edits
   before its first device's.  The pointers are borrowed from r.  */
int cdi_resolve (const struct cdi_registry *r, char *const *names, size_t n,
                 const struct cdi_edits ***out, size_t *n_out,
                 envrun_error_t *err);

/* Is s a CDI name rather than a path?  (It contains '='.)  */
bool cdi_is_name (const char *s);

/* The CDI names a run asks for: --device NAMEs and --gpus (all, none,
   void or a comma list of indexes or UUIDs, as NVIDIA_VISIBLE_DEVICES
   holds them), NULL-terminated.  */
int cdi_requested_names (const struct envrun_env_run_options *o, char ***names,
                         size_t *n, envrun_error_t *err);

/* A device node with everything the OCI config needs: what the spec left
   out comes from stat of the host path (or of path).  Strings are
   borrowed.  */
struct cdi_node_info
{
  const char *path;
  char type;
  int64_t major, minor;
  bool has_file_mode, has_uid, has_gid;
  uint32_t file_mode, uid, gid;
  const char *access;
};
int cdi_node_complete (const struct cdi_device_node *in,
                       struct cdi_node_info *out, envrun_error_t *err);

#endif
