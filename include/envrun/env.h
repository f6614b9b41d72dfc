/* envrun — named environments: the store behind `envrun env`.
 *
 * A store is a directory:
 *   layers/<sha256>/        immutable, content-addressed layers (overlayfs
 *                           lower directories, whiteouts as char 0/0)
 *   envs/<name>/meta.json   what the environment is made of and came from
 *   envs/<name>/upper-<id>  its writable top layer (+ work-<id>)
 *   locks/<name>.lock       flock: shared for ephemeral readers, exclusive
 *                           for writers (persistent run, commit, clone, rm)
 *   tmp/<entry> + .lock     work in progress; an entry whose lock is free
 *                           belongs to a dead process and is removed
 * Every create, clone and commit builds in tmp/ and becomes visible by one
 * rename(), so SIGKILL at any instant leaves an environment whole or absent.
 */
#ifndef ENVRUN_ENV_H
#define ENVRUN_ENV_H

#include <envrun/error.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ENVRUN_ENV_NAME_MAX 64

struct envrun_store; /* an open store */

struct envrun_env_meta
{
  char *name;
  char *created;  /* RFC 3339, UTC */
  char *parent;   /* environment it was cloned from, or NULL */
  char **layers;  /* "sha256:<hex>", bottom first; NULL-terminated */
  size_t n_layers;
  size_t base_layers; /* layers inherited at creation: diff starts here */
  char *upper;        /* directory names inside envs/<name>/ */
  char *work;
  char **env; /* defaults "K=V", NULL-terminated (may be NULL) */
  size_t n_env;
  char *workdir;     /* default working directory or NULL */
  char *user;        /* default "uid[:gid]" or NULL */
  char **entrypoint; /* image Entrypoint + Cmd, NULL-terminated or NULL */
  size_t n_entrypoint;
  char **cmd;
  size_t n_cmd;
  char *notes;
  /* Provenance, for audit.  */
  char *source_type; /* "dir", "tar", "oci", "bootstrap", "clone", "run" */
  char *source;      /* path, layout:ref, suite, environment name */
  char *source_digest; /* sha256 of the tarball / image manifest */
  char **packages;     /* debootstrap --include list */
  size_t n_packages;
  /* A freeze interrupted after meta.json was written: upper directory
     `freeze_upper` still has to be renamed to the layer `freeze_layer`.  */
  char *freeze_upper;
  char *freeze_layer;
};

/* Store paths.  root NULL: $ENVRUN_STORE, else /var/lib/envs (root) or
   $XDG_DATA_HOME/envrun/envs.  Creates the layout, removes stale tmp work
   and unreferenced layers when no one else is busy.  */
int envrun_store_open (const char *root, struct envrun_store **out,
                       envrun_error_t *err);
void envrun_store_close (struct envrun_store *s);
const char *envrun_store_root (const struct envrun_store *s);
/* Resolve the default store path (no I/O).  Caller frees.  */
int envrun_store_default_path (char **out, envrun_error_t *err);

/* [A-Za-z0-9][A-Za-z0-9_.-]{0,63}, no "..".  */
int envrun_env_validate_name (const char *name, envrun_error_t *err);

/* Metadata.  */
int envrun_env_meta_parse (const char *text, size_t len, const char *docname,
                           struct envrun_env_meta **out, envrun_error_t *err);
int envrun_env_meta_to_json (const struct envrun_env_meta *m, bool pretty,
                             char **out, envrun_error_t *err);
void envrun_env_meta_free (struct envrun_env_meta *m);
int envrun_env_load (struct envrun_store *s, const char *name,
                     struct envrun_env_meta **out, envrun_error_t *err);
int envrun_env_exists (struct envrun_store *s, const char *name);
/* Names of all environments, sorted; NULL-terminated.  */
int envrun_env_list (struct envrun_store *s, char ***names, size_t *n,
                     envrun_error_t *err);

/* Locks.  */
enum envrun_env_lock_mode
{
  ENVRUN_ENV_LOCK_SHARED,
  ENVRUN_ENV_LOCK_EXCLUSIVE
};
/* Returns an fd holding the lock (close to release), or < 0 with a message
   naming the holder ("environment main is in use by pid 42 (envrun env run
   main ...)").  wait: block instead of failing.  */
int envrun_env_lock (struct envrun_store *s, const char *name,
                     enum envrun_env_lock_mode mode, bool wait,
                     envrun_error_t *err);

/* Creating.  */
enum envrun_env_source
{
  ENVRUN_ENV_FROM_DIR,
  ENVRUN_ENV_FROM_TAR,
  ENVRUN_ENV_FROM_OCI,
  ENVRUN_ENV_FROM_ENV,
  ENVRUN_ENV_FROM_BOOTSTRAP
};

struct envrun_env_create_options
{
  enum envrun_env_source source;
  const char *path;     /* dir, tar file ("-": stdin), LAYOUT[:REF], env */
  const char *suite;    /* bootstrap: default "bookworm" */
  const char *mirror;   /* bootstrap: default deb.debian.org */
  const char *include;  /* bootstrap: "pkg,pkg" or NULL */
  const char *notes;
  bool wait;            /* --wait for the source's lock (clone) */
};

int envrun_env_create (struct envrun_store *s, const char *name,
                       const struct envrun_env_create_options *o,
                       envrun_error_t *err);
int envrun_env_clone (struct envrun_store *s, const char *src,
                      const char *dst, bool wait, envrun_error_t *err);
int envrun_env_commit (struct envrun_store *s, const char *name, bool wait,
                       envrun_error_t *err);
int envrun_env_remove (struct envrun_store *s, const char *name, bool wait,
                       envrun_error_t *err);

/* Diff: what the environment's own layers (above base_layers, plus the
   writable top) changed.  */
enum envrun_env_change
{
  ENVRUN_ENV_ADDED,
  ENVRUN_ENV_MODIFIED,
  ENVRUN_ENV_DELETED
};
struct envrun_env_diff_entry
{
  char *path; /* absolute inside the environment */
  enum envrun_env_change change;
};
int envrun_env_diff (struct envrun_store *s, const char *name,
                     struct envrun_env_diff_entry **out, size_t *n,
                     envrun_error_t *err);
void envrun_env_diff_free (struct envrun_env_diff_entry *d, size_t n);
const char *envrun_env_change_name (enum envrun_env_change c);

/* Export.  */
enum envrun_env_export_kind
{
  ENVRUN_ENV_EXPORT_BUNDLE,
  ENVRUN_ENV_EXPORT_TAR,
  ENVRUN_ENV_EXPORT_OCI
};
int envrun_env_export (struct envrun_store *s, const char *name,
                       enum envrun_env_export_kind kind, const char *dest,
                       envrun_error_t *err);

/* Run.  */
struct envrun_env_bind
{
  char *source;
  char *destination;
  bool readonly;
};

struct envrun_env_run_options
{
  char **args; /* NULL-terminated; empty: the environment's entrypoint+cmd
                  or /bin/sh */
  bool ephemeral;
  const char *keep_as; /* with ephemeral */
  bool net_none;
  struct envrun_env_bind *binds;
  size_t n_binds;
  const char *workdir;
  char **env; /* -e / --env-file, in order, "K=V" */
  size_t n_env;
  const char *user;     /* (name|uid)[:(group|gid)], names looked up in the
                           environment's /etc/passwd and /etc/group */
  const char *hostname;
  bool has_memory;
  int64_t memory; /* bytes */
  double cpus;    /* 0: no limit */
  int64_t pids;   /* 0: no limit */
  bool has_shm_size;
  uint64_t shm_size;
  char **devices; /* host paths or CDI names ("vendor.com/class=name") */
  size_t n_devices;
  const char *gpus; /* "all", "0,1", "GPU-<uuid>", "none", "void": the CDI
                       devices nvidia.com/gpu=… */
  bool gpus_from_env; /* gpus came from NVIDIA_VISIBLE_DEVICES (messages) */
  const char *cdi_dirs; /* ':'-separated CDI spec directories; NULL:
                           $ENVRUN_CDI_DIRS (secure_getenv), else
                           /etc/cdi:/var/run/cdi */
  const char *user_root; /* where user names are looked up when the rootfs
                            given to envrun_env_build_config is not a
                            directory here (export's "rootfs"); NULL: the
                            rootfs */
  bool read_only;
  bool tty;
  bool no_cwd;
  const char *cwd; /* caller's working directory (NULL: getcwd) */
  const char *term; /* caller's TERM */
  bool wait;
  const char *seccomp_cache; /* compiled-filter cache dir, or NULL */
};

/* A user of an environment: --user (name|uid)[:(group|gid)] resolved
   against the environment's /etc/passwd and /etc/group, read through
   rootfd without ever leaving it (symlinks resolve inside the rootfs).
   A numeric uid not in /etc/passwd keeps gid = uid unless a group is
   given.  groups: the supplementary groups /etc/group lists the user in.  */
struct envrun_env_user
{
  uint32_t uid, gid;
  uint32_t *groups;
  size_t n_groups;
  char *home; /* from /etc/passwd, or NULL */
};
int envrun_env_resolve_user (int rootfd, const char *spec,
                             struct envrun_env_user *out, envrun_error_t *err);
void envrun_env_user_free (struct envrun_env_user *u);

/* Build the OCI config.json text for a run of `meta` with rootfs `rootfs`
   (I/O: sysinfo, stat of devices, the CDI spec directories when a CDI
   device is asked for, the rootfs's /etc/passwd and /etc/group for
   --user).  */
int envrun_env_build_config (const struct envrun_env_meta *meta,
                             const struct envrun_env_run_options *o,
                             const char *rootfs, char **out,
                             envrun_error_t *err);

/* Run a command.  Changes the calling process's mount namespace (the
   overlay lives in a private one, so it vanishes with the process): call it
   from a process dedicated to the run.  *status: the command's exit status
   (128+N when killed by signal N).  On failure err->status is ENOENT,
   EACCES or ENOEXEC only when the command itself could not be executed
   (found / executable), 0 for every other failure.  */
int envrun_env_run (struct envrun_store *s, const char *name,
                    const struct envrun_env_run_options *o, int *status,
                    envrun_error_t *err);

#endif
