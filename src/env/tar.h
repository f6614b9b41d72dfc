/* Tar headers (ustar, pax, GNU long names): reading for the importers,
   writing for `env export`.  */
#ifndef ENVRUN_ENV_TAR_H
#define ENVRUN_ENV_TAR_H

#include "env-internal.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum tar_type
{
  TAR_FILE,
  TAR_HARDLINK,
  TAR_SYMLINK,
  TAR_CHR,
  TAR_BLK,
  TAR_DIR,
  TAR_FIFO,
  TAR_OTHER
};

struct tar_xattr
{
  char *name;
  char *value;
  size_t len;
};

struct tar_entry
{
  char *path;     /* normalised: relative, no "." or ".." components, no
                     trailing slash; "" for the root */
  char *linkpath; /* symlink target as written; hard link target
                     normalised like path */
  enum tar_type type;
  mode_t mode;
  uid_t uid;
  gid_t gid;
  int64_t mtime;
  uint64_t size;
  unsigned int devmajor, devminor;
  struct tar_xattr *xattrs;
  size_t n_xattrs;
  bool data_consumed;
};

/* Read the next entry's header (and any pax / GNU long-name records before
   it).  1: an entry (its data follows in the stream), 0: end of archive,
   < 0: error naming the entry.  */
int tar_next_header (env_read_fn rd, void *ctx, struct tar_entry *e,
                     envrun_error_t *err);
void tar_entry_clear (struct tar_entry *e);
/* Normalise an archive path (exposed for tests).  */
int tar_normalize_path (const char *in, char **out, envrun_error_t *err);

/* A set of strings (paths created by one OCI layer).  */
struct strset
{
  char **slots;
  size_t cap, n;
};
int strset_add (struct strset *s, const char *str);
bool strset_has (const struct strset *s, const char *str);
void strset_free (struct strset *s);

#endif
