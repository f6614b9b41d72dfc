/* --user (name|uid)[:(group|gid)] for env run: names come from the
   environment's own /etc/passwd and /etc/group, opened through the rootfs
   fd with every symlink resolved inside it (an environment's
   /etc/passwd -> /host/etc/shadow must not read the host's files).  */
#include "config-host.h"

#include "env-internal.h"
#include "safepath.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define USER_DB_MAX (4u << 20) /* bytes of /etc/passwd or /etc/group */
#define USER_GROUPS_MAX 1024   /* supplementary groups kept */
#define ID_MAX 0xfffffffeul    /* (uid_t) -1 means "unchanged" */

/* The whole file, or NULL text when it does not exist.  */
static int
read_db (int rootfd, const char *path, char **text, envrun_error_t *err)
{
  envrun_error_t local = NULL;
  cleanup_close int fd = safe_open_in_root (
      rootfd, path, O_RDONLY | O_NOCTTY | O_NONBLOCK, &local);
  cleanup_free char *buf = NULL;
  struct stat st;
  size_t got = 0;

  *text = NULL;
  if (fd < 0)
    {
      int e = local ? local->status : errno;
      envrun_error_free (&local);
      return e == ENOENT ? 0
                         : envrun_error_set (err, e, "environment's %s", path);
    }
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode)
      || st.st_size > (off_t)USER_DB_MAX)
    return envrun_error_set (err, 0,
                             "environment's %s: not a regular file "
                             "of at most %u bytes",
                             path, USER_DB_MAX);
  buf = malloc ((size_t)st.st_size + 1);
  if (buf == NULL)
    return envrun_error_set (err, ENOMEM, "%s", path);
  while (got < (size_t)st.st_size)
    {
      ssize_t r = read (fd, buf + got, (size_t)st.st_size - got);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        break;
      got += (size_t)r;
    }
  buf[got] = '\0';
  *text = steal_pointer (&buf);
  return 0;
}

/* Split a line into at most n ':'-separated fields in place.  */
static size_t
split_fields (char *line, char **f, size_t n)
{
  size_t i = 0;

  while (i < n)
    {
      f[i++] = line;
      line = strchr (line, ':');
      if (line == NULL)
        break;
      *line++ = '\0';
    }
  return i;
}

static bool
parse_id (const char *s, unsigned long *out)
{
  char *end;

  if (*s < '0' || *s > '9')
    return false;
  errno = 0;
  *out = strtoul (s, &end, 10);
  return errno == 0 && *end == '\0' && *out <= ID_MAX;
}

/* Find the /etc/passwd entry by name or by uid (name NULL).  */
static bool
find_passwd (char *db, const char *name, unsigned long uid,
             struct envrun_env_user *u, char **user_name)
{
  char *save = NULL;

  for (char *line = db ? strtok_r (db, "\n", &save) : NULL; line;
       line = strtok_r (NULL, "\n", &save))
    {
      char *f[7];
      unsigned long id, gid;
      if (split_fields (line, f, 7) < 6 || !parse_id (f[2], &id)
          || !parse_id (f[3], &gid))
        continue;
      if (name ? strcmp (f[0], name) != 0 : id != uid)
        continue;
      u->uid = id;
      u->gid = gid;
      u->home = f[5][0] == '/' ? strdup (f[5]) : NULL;
      *user_name = strdup (f[0]);
      return true;
    }
  return false;
}

static bool
is_member (char *members, const char *name)
{
  char *save = NULL;

  for (char *m = strtok_r (members, ",", &save); m;
       m = strtok_r (NULL, ",", &save))
    if (strcmp (m, name) == 0)
      return true;
  return false;
}

/* Walk /etc/group: the gid of `group` (when not NULL) and the groups that
   list `user` (when not NULL).  */
static int
scan_groups (char *db, const char *group, unsigned long *gid, const char *user,
             struct envrun_env_user *u)
{
  char *save = NULL;
  bool found = group == NULL;

  for (char *line = db ? strtok_r (db, "\n", &save) : NULL; line;
       line = strtok_r (NULL, "\n", &save))
    {
      char *f[4] = { NULL };
      size_t nf = split_fields (line, f, 4);
      unsigned long id;
      if (nf < 3 || !parse_id (f[2], &id))
        continue;
      if (group && !found && strcmp (f[0], group) == 0)
        *gid = id, found = true;
      if (user && nf == 4 && u->n_groups < USER_GROUPS_MAX
          && is_member (f[3], user))
        u->groups[u->n_groups++] = id;
    }
  return found ? 0 : -1;
}

static int
resolve_group (int rootfd, const char *spec, const char *group,
               const char *user, struct envrun_env_user *u,
               envrun_error_t *err)
{
  cleanup_free char *db = NULL;
  unsigned long gid = u->gid;

  if (read_db (rootfd, "/etc/group", &db, err) < 0)
    return -1;
  if (group && parse_id (group, &gid))
    group = NULL;
  else if (group && db == NULL)
    return envrun_error_set (err, 0,
                             "--user %s: the environment has "
                             "no /etc/group",
                             spec);
  if (user)
    {
      u->groups = calloc (USER_GROUPS_MAX, sizeof *u->groups);
      if (u->groups == NULL)
        return envrun_error_set (err, ENOMEM, "--user");
    }
  if (scan_groups (db, group, &gid, user, u) < 0)
    return envrun_error_set (err, 0,
                             "--user %s: no group %s in the "
                             "environment's /etc/group",
                             spec, group);
  u->gid = gid;
  return 0;
}

int
envrun_env_resolve_user (int rootfd, const char *spec,
                         struct envrun_env_user *out, envrun_error_t *err)
{
  struct envrun_env_user u = { 0 };
  cleanup_free char *copy = strdup (spec);
  cleanup_free char *db = NULL;
  cleanup_free char *name = NULL;
  unsigned long uid = 0;
  char *group;
  bool numeric;

  if (copy == NULL)
    return envrun_error_set (err, ENOMEM, "--user");
  group = strchr (copy, ':');
  if (group)
    *group++ = '\0';
  if (copy[0] == '\0' || (group && group[0] == '\0') || strchr (copy, '\n')
      || (group && strchr (group, '\n')))
    return envrun_error_set (err, 0,
                             "--user `%s`: expected "
                             "(name|uid)[:(group|gid)]",
                             spec);
  numeric = parse_id (copy, &uid);
  if (read_db (rootfd, "/etc/passwd", &db, err) < 0)
    return -1;
  u.uid = uid;
  u.gid = uid;
  if (!find_passwd (db, numeric ? NULL : copy, uid, &u, &name) && !numeric)
    return envrun_error_set (err, 0,
                             "--user %s: no user %s in the "
                             "environment's /etc/passwd",
                             spec, copy);
  if (resolve_group (rootfd, spec, group, name, &u, err) < 0)
    {
      envrun_env_user_free (&u);
      return -1;
    }
  *out = u;
  return 0;
}

void
envrun_env_user_free (struct envrun_env_user *u)
{
  if (u == NULL)
    return;
  free (u->groups);
  free (u->home);
  u->groups = NULL;
  u->home = NULL;
  u->n_groups = 0;
}
