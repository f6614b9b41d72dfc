/* Shared internals of the environment store (src/env/).  */
#ifndef ENVRUN_ENV_INTERNAL_H
#define ENVRUN_ENV_INTERNAL_H

#include <envrun/env.h>

#include "cleanup.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

struct envrun_store
{
  char *root;
  int rootfd; /* O_PATH|O_DIRECTORY of the store root */
};

/* Limits on user-controllable input.  */
#define ENV_MAX_DEPTH 256       /* directory nesting we copy or extract */
#define ENV_MAX_PATH 4096       /* bytes of one path */
#define ENV_META_MAX (1u << 20) /* meta.json size */

/* A piece of work in tmp/: tmp/<name> plus tmp/<name>.lock held while the
   owner lives.  */
struct env_tmp
{
  char *path; /* absolute path of the entry directory */
  char *name; /* entry name inside tmp/ */
  int lockfd;
};
int env_tmp_new (struct envrun_store *s, const char *kind, struct env_tmp *t,
                 envrun_error_t *err);
/* Remove the entry (best effort) and release the lock.  */
void env_tmp_drop (struct env_tmp *t);
/* The same in a detached process, so the caller need not wait.  */
void env_tmp_drop_async (struct env_tmp *t);
/* Remove entries of tmp/ whose owners died.  */
void env_tmp_clean_stale (struct envrun_store *s);

/* Store-wide lock guarding layer garbage collection against creators that
   have put a layer in layers/ but not yet published the environment.  */
int env_store_gc_lock (struct envrun_store *s, bool exclusive, bool wait,
                       envrun_error_t *err);
void env_store_gc (struct envrun_store *s);

char *env_path (struct envrun_store *s, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
char *env_random_id (void); /* 16 hex chars */
char *env_now_rfc3339 (void);

/* Filesystem helpers.  */
int env_rm_rf (const char *path, envrun_error_t *err);
int env_rm_rf_at (int dirfd, const char *name, envrun_error_t *err);
int env_mkdir_p (const char *path, mode_t mode, envrun_error_t *err);
int env_write_file_atomic (const char *path, const char *data, size_t len,
                           envrun_error_t *err);
int env_fsync_dir (const char *path);
/* Copy the tree under src (a directory) into the existing directory dst,
   preserving owners, modes, timestamps, xattrs, hard links, symlinks,
   devices and fifos.  skip_overlay_xattrs: drop trusted.overlay.* (input
   from outside the store must not steer overlayfs).  */
int env_copy_tree (const char *src, const char *dst, bool skip_overlay_xattrs,
                   envrun_error_t *err);
/* Is the directory empty?  1 yes, 0 no, < 0 error.  */
int env_dir_is_empty (const char *path, envrun_error_t *err);

/* Layers.  */
/* Hash the tree at path (a canonical walk: names sorted, type, mode, owner,
   mtime, size, content, link target, device, xattrs).  digest:
   "sha256:<hex>".  */
int env_layer_hash (const char *path, char **digest, envrun_error_t *err);
/* Path of layers/<hex> for "sha256:<hex>".  */
char *env_layer_path (struct envrun_store *s, const char *digest);
/* Move the directory dir (inside the store) into layers/ under its hash;
   when an identical layer exists, dir is removed instead.  */
int env_layer_store (struct envrun_store *s, const char *dir, char **digest,
                     envrun_error_t *err);

/* Metadata.  */
int env_meta_save (struct envrun_store *s, const char *envdir,
                   const struct envrun_env_meta *m, envrun_error_t *err);
struct envrun_env_meta *env_meta_new (const char *name);
char **env_strv_dup (char *const *v, size_t n);
int env_strv_push (char ***v, size_t *n, const char *s);
/* Finish an interrupted freeze recorded in meta (roll forward).  */
int env_meta_recover (struct envrun_store *s, struct envrun_env_meta *m,
                      envrun_error_t *err);

/* Publish a complete new environment directory (built in tmp/) as
   envs/<name>; fails with EEXIST when the name is taken.  */
int env_publish (struct envrun_store *s, const char *tmpdir, const char *name,
                 envrun_error_t *err);
/* Build envs-style directory (meta.json, upper, work) for m inside dir.  */
int env_make_envdir (struct envrun_store *s, const char *dir,
                     struct envrun_env_meta *m, envrun_error_t *err);

/* Freeze the environment's non-empty writable layer into an immutable one
   (caller holds the exclusive lock).  Updates *m.  */
int env_freeze_upper (struct envrun_store *s, struct envrun_env_meta *m,
                      envrun_error_t *err);

/* Tar.  */
typedef ssize_t (*env_read_fn) (void *ctx, void *buf, size_t len);
struct env_tar_options
{
  bool oci_whiteouts; /* apply .wh. and .wh..wh..opq (OCI layers) */
  const char *name;   /* what messages call the archive */
};
/* Extract a tar stream (plain; gzip is detected by the callers' readers)
   into the directory rootfd refers to.  Refuses absolute and ".." paths,
   links escaping the root, device nodes when not root.  */
int env_tar_extract (env_read_fn rd, void *ctx, int rootfd,
                     const struct env_tar_options *o, envrun_error_t *err);
/* Reader over an fd that inflates gzip when the stream starts with the gzip
   magic.  */
struct env_reader;
int env_reader_open_fd (int fd, struct env_reader **out, envrun_error_t *err);
ssize_t env_reader_read (void *ctx, void *buf, size_t len);
void env_reader_free (struct env_reader *r);
/* Digest of everything read so far ("sha256:<hex>", compressed bytes).  */
char *env_reader_digest (struct env_reader *r);

typedef int (*env_write_fn) (void *ctx, const void *buf, size_t len);
/* Write the tree at path as a tar stream (pax for long names and xattrs).  */
int env_tar_write_tree (const char *path, env_write_fn wr, void *ctx,
                        envrun_error_t *err);

/* Mounting a merged view of an environment.  */
/* The lowerdir= option value for m's layers (top first) or NULL when it
   has none.  */
char *env_lowerdirs (struct envrun_store *s, const struct envrun_env_meta *m);
/* Enter a private mount namespace (once per process).  */
int env_private_mount_ns (envrun_error_t *err);
int env_mount_overlay (const char *lower, const char *upper, const char *work,
                       const char *target, bool readonly,
                       envrun_error_t *err);

/* Run fn in a child process with m's read-only merged view mounted on
   target inside a private mount namespace; fn's error comes back.  */
int env_with_view (struct envrun_store *s, const struct envrun_env_meta *m,
                   const char *target,
                   int (*fn) (const char *root, void *arg,
                              envrun_error_t *err),
                   void *arg, envrun_error_t *err);

int env_import_oci (const char *layout, int rootfd,
                    struct envrun_env_meta *m, envrun_error_t *err);
int env_bootstrap (const struct envrun_env_create_options *o,
                   const char *target, envrun_error_t *err);

#endif
