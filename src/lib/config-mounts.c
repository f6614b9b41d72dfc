/* config.json `mounts`: options turned into mount(2) flags the way runc
   reads them, so a bundle mounts the same under both runtimes.  */
#include "config-host.h"

#include "cleanup.h"
#include "config-parse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

/* `clear`: the option removes the flag (rw, suid, …) instead of adding it. */
static const struct
{
  const char *name;
  bool clear;
  unsigned long flag;
} mount_flags[] = {
  { "acl", false, MS_POSIXACL },
  { "async", true, MS_SYNCHRONOUS },
  { "atime", true, MS_NOATIME },
  { "bind", false, MS_BIND },
  { "defaults", false, 0 },
  { "dev", true, MS_NODEV },
  { "diratime", true, MS_NODIRATIME },
  { "dirsync", false, MS_DIRSYNC },
  { "exec", true, MS_NOEXEC },
  { "iversion", false, MS_I_VERSION },
  { "lazytime", false, MS_LAZYTIME },
  { "loud", true, MS_SILENT },
  { "mand", false, MS_MANDLOCK },
  { "noacl", true, MS_POSIXACL },
  { "noatime", false, MS_NOATIME },
  { "nodev", false, MS_NODEV },
  { "nodiratime", false, MS_NODIRATIME },
  { "noexec", false, MS_NOEXEC },
  { "noiversion", true, MS_I_VERSION },
  { "nolazytime", true, MS_LAZYTIME },
  { "nomand", true, MS_MANDLOCK },
  { "norelatime", true, MS_RELATIME },
  { "nostrictatime", true, MS_STRICTATIME },
  { "nosuid", false, MS_NOSUID },
  { "nosymfollow", false, MS_NOSYMFOLLOW },
  { "rbind", false, MS_BIND | MS_REC },
  { "relatime", false, MS_RELATIME },
  { "remount", false, MS_REMOUNT },
  { "ro", false, MS_RDONLY },
  { "rw", true, MS_RDONLY },
  { "silent", false, MS_SILENT },
  { "strictatime", false, MS_STRICTATIME },
  { "suid", true, MS_NOSUID },
  { "symfollow", true, MS_NOSYMFOLLOW },
  { "sync", false, MS_SYNCHRONOUS },
};

static const struct
{
  const char *name;
  unsigned long flags;
} propagation_flags[] = {
  { "private", MS_PRIVATE },       { "rprivate", MS_PRIVATE | MS_REC },
  { "shared", MS_SHARED },         { "rshared", MS_SHARED | MS_REC },
  { "slave", MS_SLAVE },           { "rslave", MS_SLAVE | MS_REC },
  { "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
};

/* Recursive mount attributes (mount_setattr) that the config structure has
   no room for: refused rather than silently dropped, since dropping
   "rnosuid" would weaken the mount.  */
static const char *const unsupported_recursive[] = { "rnosuid",
                                                     "rsuid",
                                                     "rnodev",
                                                     "rdev",
                                                     "rnoexec",
                                                     "rexec",
                                                     "rnodiratime",
                                                     "rdiratime",
                                                     "rrelatime",
                                                     "rnorelatime",
                                                     "rnoatime",
                                                     "ratime",
                                                     "rstrictatime",
                                                     "rnostrictatime",
                                                     "rnosymfollow",
                                                     "rsymfollow",
                                                     NULL };

unsigned long
cfg_propagation_flags (const char *name)
{
  for (size_t i = 0; i < sizeof propagation_flags / sizeof *propagation_flags;
       i++)
    if (strcmp (propagation_flags[i].name, name) == 0)
      return propagation_flags[i].flags;
  return 0;
}

static bool
apply_flag_option (struct envrun_mount *m, const char *opt)
{
  for (size_t i = 0; i < sizeof mount_flags / sizeof *mount_flags; i++)
    {
      if (strcmp (mount_flags[i].name, opt) != 0)
        continue;
      if (mount_flags[i].clear)
        {
          m->flags &= ~mount_flags[i].flag;
          m->clear_flags |= mount_flags[i].flag;
        }
      else
        {
          m->flags |= mount_flags[i].flag;
          m->clear_flags &= ~mount_flags[i].flag;
        }
      return true;
    }
  return false;
}

static int
append_data (struct envrun_mount *m, const char *opt)
{
  char *joined;

  if (m->data == NULL)
    joined = strdup (opt);
  else if (asprintf (&joined, "%s,%s", m->data, opt) < 0)
    joined = NULL;
  if (joined == NULL)
    return -1;
  free (m->data);
  m->data = joined;
  return 0;
}

static int
apply_options (struct cfg_ctx *ctx, const char *path, struct envrun_mount *m)
{
  char item[CFG_PATH_MAX];

  for (size_t i = 0; i < m->n_options; i++)
    {
      const char *opt = m->options[i];
      unsigned long prop = cfg_propagation_flags (opt);

      cfg_path_index (item, path, i);
      if (prop)
        m->propagation = prop;
      else if (apply_flag_option (m, opt))
        ;
      else if (strcmp (opt, "rro") == 0)
        m->recursive_ro = true;
      else if (strcmp (opt, "rrw") == 0)
        m->recursive_ro = false;
      else if (strcmp (opt, "idmap") == 0 || strcmp (opt, "ridmap") == 0)
        m->idmap = true;
      else if (strcmp (opt, "tmpcopyup") == 0)
        ; /* a Solaris/crun-ism; nothing to do */
      else if (cfg_name_index (unsupported_recursive, opt) >= 0)
        return cfg_error (
            ctx, item, "recursive mount option \"%s\" is not supported", opt);
      else if (*opt == '\0')
        return cfg_error (ctx, item, "must not be empty");
      else if (append_data (m, opt) < 0)
        return envrun_error_set (ctx->err, ENOMEM, "%s: %s",
                                 json_doc_name (ctx->doc), item);
    }
  if (m->type && strcmp (m->type, "bind") == 0)
    m->flags |= MS_BIND;
  return 0;
}

static int
parse_mount (struct cfg_ctx *ctx, json_node *n, const char *path,
             struct envrun_mount *m)
{
  char field[CFG_PATH_MAX];
  int ret = cfg_expect (ctx, n, path, JSON_OBJECT);

  if (ret == 0)
    ret = cfg_req_string (ctx, n, path, "destination", &m->destination);
  if (ret < 0)
    return ret;
  cfg_path_key (field, path, "destination");
  if (!cfg_is_absolute (m->destination))
    return cfg_error (ctx, field, "must be an absolute path");
  ret = cfg_opt_string (ctx, n, path, "source", &m->source);
  if (ret == 0)
    ret = cfg_opt_string (ctx, n, path, "type", &m->type);
  if (ret == 0)
    ret = cfg_opt_strv (ctx, n, path, "options", &m->options, &m->n_options);
  if (ret == 0)
    ret = cfg_id_mappings (ctx, n, path, "uidMappings", &m->uid_mappings,
                           &m->n_uid_mappings);
  if (ret == 0)
    ret = cfg_id_mappings (ctx, n, path, "gidMappings", &m->gid_mappings,
                           &m->n_gid_mappings);
  if (ret < 0)
    return ret;
  cfg_path_key (field, path, "options");
  return apply_options (ctx, field, m);
}

int
cfg_parse_mounts (struct cfg_ctx *ctx, json_node *n, const char *path,
                  struct envrun_mount **out, size_t *count)
{
  char item[CFG_PATH_MAX];
  int ret = cfg_expect (ctx, n, path, JSON_ARRAY);
  size_t len;

  if (ret < 0)
    return ret;
  len = json_array_size (n);
  *out = calloc (len ? len : 1, sizeof **out);
  if (*out == NULL)
    return envrun_error_set (ctx->err, ENOMEM, "%s: %s",
                             json_doc_name (ctx->doc), path);
  *count = len;
  for (size_t i = 0; i < len; i++)
    {
      cfg_path_index (item, path, i);
      ret = parse_mount (ctx, json_array_at (n, i), item, &(*out)[i]);
      if (ret < 0)
        return ret;
    }
  return 0;
}

void
cfg_mounts_free (struct envrun_mount *m, size_t n)
{
  if (m == NULL)
    return;
  for (size_t i = 0; i < n; i++)
    {
      free (m[i].destination);
      free (m[i].source);
      free (m[i].type);
      cfg_strv_free (m[i].options);
      free (m[i].data);
      free (m[i].uid_mappings);
      free (m[i].gid_mappings);
    }
  free (m);
}
