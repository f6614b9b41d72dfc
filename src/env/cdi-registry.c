/* CDI: the spec directories, resolving device names, what a run asks
   for (--device, --gpus, NVIDIA_VISIBLE_DEVICES) and device nodes.  */
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

/* ---- the spec directories ---------------------------------------------- */

static bool
spec_file_name (const char *name, bool *yaml)
{
  size_t len = strlen (name);

  if (name[0] == '.')
    return false;
  *yaml = (len > 5 && strcmp (name + len - 5, ".yaml") == 0)
          || (len > 4 && strcmp (name + len - 4, ".yml") == 0);
  return *yaml || (len > 5 && strcmp (name + len - 5, ".json") == 0);
}

/* Read one spec file.  Specs steer device nodes, mounts and hooks run as
   root: one that someone other than root or the caller could have written
   is refused.  */
static int
read_spec_at (int dirfd, const char *file, const char *name, char **text,
              size_t *len, envrun_error_t *err)
{
  cleanup_close int fd
      = openat (dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  cleanup_free char *buf = NULL;
  struct stat st;
  size_t got = 0;

  if (fd < 0 || fstat (fd, &st) < 0)
    return envrun_error_set (err, errno, "%s", file);
  if (!S_ISREG (st.st_mode))
    return envrun_error_set (err, 0, "%s: not a regular file", file);
  if (st.st_size > (off_t)CDI_SPEC_MAX)
    return envrun_error_set (err, EFBIG, "%s: larger than %u bytes", file,
                             CDI_SPEC_MAX);
  if ((st.st_uid != 0 && st.st_uid != geteuid ()) || (st.st_mode & 0002))
    return envrun_error_set (err, EPERM,
                             "%s: refusing a CDI spec that "
                             "others can write (owner %u, mode %04o)",
                             file, (unsigned)st.st_uid,
                             (unsigned)(st.st_mode & 07777));
  buf = malloc ((size_t)st.st_size + 1);
  if (buf == NULL)
    return envrun_error_set (err, ENOMEM, "%s", file);
  while (got < (size_t)st.st_size)
    {
      ssize_t r = read (fd, buf + got, (size_t)st.st_size - got);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return envrun_error_set (err, errno, "%s", file);
      if (r == 0)
        break;
      got += (size_t)r;
    }
  buf[got] = '\0';
  *len = got;
  *text = steal_pointer (&buf);
  return 0;
}

static int
registry_add (struct cdi_registry *r, int dirfd, const char *dir,
              const char *name, bool yaml, unsigned priority,
              envrun_error_t *err)
{
  cleanup_free char *file = NULL;
  cleanup_free char *text = NULL;
  struct cdi_spec **n, *s = NULL;
  size_t len = 0;

  if (r->n_specs >= CDI_MAX_SPECS)
    return envrun_error_set (err, E2BIG, "%s: more than %u CDI spec files",
                             dir, CDI_MAX_SPECS);
  if (asprintf (&file, "%s/%s", dir, name) < 0)
    return envrun_error_set (err, ENOMEM, "%s", dir);
  if (read_spec_at (dirfd, file, name, &text, &len, err) < 0
      || cdi_spec_parse (text, len, file, yaml, &s, err) < 0)
    return -1;
  n = realloc (r->specs, (r->n_specs + 1) * sizeof *n);
  if (n == NULL)
    {
      cdi_spec_free (s);
      return envrun_error_set (err, ENOMEM, "%s", file);
    }
  s->priority = priority;
  r->specs = n;
  r->specs[r->n_specs++] = s;
  return 0;
}

static int
compare_names (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

static int
load_dir (struct cdi_registry *r, const char *dir, unsigned priority,
          envrun_error_t *err)
{
  cleanup_close int fd = -1;
  cleanup_strv char **names = NULL;
  size_t n = 0;
  struct dirent *de;
  DIR *d;

  if (dir[0] != '/')
    return envrun_error_set (err, EINVAL,
                             "CDI directory %s: must be an "
                             "absolute path",
                             dir);
  fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT || errno == ENOTDIR
               ? 0
               : envrun_error_set (err, errno, "CDI directory %s", dir);
  d = fdopendir (dup (fd));
  if (d == NULL)
    return envrun_error_set (err, errno, "CDI directory %s", dir);
  while ((de = readdir (d)))
    {
      bool yaml;
      if (spec_file_name (de->d_name, &yaml) && n < CDI_MAX_SPECS + 1
          && cdi_strv_push (&names, &n, de->d_name) < 0)
        {
          closedir (d);
          return envrun_error_set (err, ENOMEM, "%s", dir);
        }
    }
  closedir (d);
  if (n)
    qsort (names, n, sizeof *names, compare_names);
  for (size_t i = 0; i < n; i++)
    {
      bool yaml;
      spec_file_name (names[i], &yaml);
      if (registry_add (r, fd, dir, names[i], yaml, priority, err) < 0)
        return -1;
    }
  return 0;
}

void
cdi_registry_free (struct cdi_registry *r)
{
  if (r == NULL)
    return;
  for (size_t i = 0; i < r->n_specs; i++)
    cdi_spec_free (r->specs[i]);
  free (r->specs);
  free (r->dirs);
  free (r);
}

int
cdi_registry_load (const char *dirs, struct cdi_registry **out,
                   envrun_error_t *err)
{
  struct cdi_registry *r = calloc (1, sizeof *r);
  cleanup_free char *copy = strdup (dirs ? dirs : CDI_DEFAULT_DIRS);
  char *save = NULL;
  unsigned priority = 0;

  if (r == NULL || copy == NULL || (r->dirs = strdup ("")) == NULL)
    {
      cdi_registry_free (r);
      return envrun_error_set (err, ENOMEM, "CDI");
    }
  for (char *dir = strtok_r (copy, ":", &save); dir;
       dir = strtok_r (NULL, ":", &save), priority++)
    {
      char *list;
      if (asprintf (&list, "%s%s%s", r->dirs, *r->dirs ? ", " : "", dir) < 0)
        list = NULL;
      free (r->dirs);
      r->dirs = list;
      if (list == NULL || load_dir (r, dir, priority, err) < 0)
        {
          if (list == NULL)
            envrun_error_set (err, ENOMEM, "CDI");
          cdi_registry_free (r);
          return -1;
        }
    }
  *out = r;
  return 0;
}

/* ---- resolving names -----------------------------------------------------
 */

struct resolution
{
  const struct cdi_edits **edits;
  size_t n;
};

static int
add_edits (struct resolution *res, const struct cdi_edits *e)
{
  const struct cdi_edits **n;

  for (size_t i = 0; i < res->n; i++)
    if (res->edits[i] == e)
      return 0;
  n = realloc (res->edits, (res->n + 1) * sizeof *n);
  if (n == NULL)
    return -1;
  res->edits = n;
  res->edits[res->n++] = e;
  return 0;
}

/* The winning definition of kind=name: the highest-priority directory's.
   0 found, 1 none, -1 error (two files of one directory define it).  */
static int
find_device (const struct cdi_registry *r, const char *kind, const char *name,
             const struct cdi_spec **spec, const struct cdi_device **dev,
             envrun_error_t *err)
{
  *spec = NULL;
  *dev = NULL;
  for (size_t i = 0; i < r->n_specs; i++)
    {
      const struct cdi_spec *s = r->specs[i];
      if (strcmp (s->kind, kind) != 0)
        continue;
      for (size_t j = 0; j < s->n_devices; j++)
        {
          if (strcmp (s->devices[j].name, name) != 0)
            continue;
          if (*spec && (*spec)->priority == s->priority)
            return envrun_error_set (err, 0,
                                     "%s=%s: defined by both %s "
                                     "and %s",
                                     kind, name, (*spec)->file, s->file);
          if (*spec == NULL || s->priority > (*spec)->priority)
            *spec = s, *dev = &s->devices[j];
        }
    }
  return *spec ? 0 : 1;
}

static int
use_device (struct resolution *res, const struct cdi_spec *s,
            const struct cdi_device *d, envrun_error_t *err)
{
  if (add_edits (res, &s->edits) < 0 || add_edits (res, &d->edits) < 0)
    return envrun_error_set (err, ENOMEM, "CDI");
  return 0;
}

/* kind=all without a device named "all": every device of the kind.  */
static int
use_all (const struct cdi_registry *r, struct resolution *res,
         const char *kind, envrun_error_t *err)
{
  for (size_t i = 0; i < r->n_specs; i++)
    for (size_t j = 0;
         strcmp (r->specs[i]->kind, kind) == 0 && j < r->specs[i]->n_devices;
         j++)
      {
        const struct cdi_spec *s;
        const struct cdi_device *d;
        if (find_device (r, kind, r->specs[i]->devices[j].name, &s, &d, err)
            < 0)
          return -1;
        if (d == &r->specs[i]->devices[j] && use_device (res, s, d, err) < 0)
          return -1;
      }
  return 0;
}

static bool
kind_known (const struct cdi_registry *r, const char *kind)
{
  for (size_t i = 0; i < r->n_specs; i++)
    if (strcmp (r->specs[i]->kind, kind) == 0)
      return true;
  return false;
}

static int
resolve_one (const struct cdi_registry *r, struct resolution *res,
             const char *qualified, envrun_error_t *err)
{
  cleanup_free char *kind = strdup (qualified);
  const struct cdi_spec *s;
  const struct cdi_device *d;
  char *name;
  int found;

  if (kind == NULL)
    return envrun_error_set (err, ENOMEM, "CDI");
  name = strchr (kind, '=');
  if (name)
    *name++ = '\0';
  if (name == NULL || !cdi_valid_kind (kind) || !cdi_valid_device_name (name))
    return envrun_error_set (err, 0,
                             "%s: expected a CDI device name "
                             "vendor.com/class=name",
                             qualified);
  if (!kind_known (r, kind))
    return envrun_error_set (err, 0, "%s: no CDI spec for %s in %s", qualified,
                             kind, *r->dirs ? r->dirs : "(none)");
  found = find_device (r, kind, name, &s, &d, err);
  if (found < 0)
    return -1;
  if (found == 0)
    return use_device (res, s, d, err);
  if (strcmp (name, "all") == 0)
    return use_all (r, res, kind, err);
  return envrun_error_set (err, 0,
                           "%s: no device %s in the CDI specs "
                           "for %s in %s",
                           qualified, name, kind, r->dirs);
}

int
cdi_resolve (const struct cdi_registry *r, char *const *names, size_t n,
             const struct cdi_edits ***out, size_t *n_out, envrun_error_t *err)
{
  struct resolution res = { NULL, 0 };

  if (n > CDI_MAX_REQUESTS)
    return envrun_error_set (err, E2BIG, "more than %u CDI devices",
                             CDI_MAX_REQUESTS);
  for (size_t i = 0; i < n; i++)
    if (resolve_one (r, &res, names[i], err) < 0)
      {
        free (res.edits);
        return -1;
      }
  *out = res.edits;
  *n_out = res.n;
  return 0;
}

/* ---- what a run asks for ---------------------------------------------------
 */

/* --gpus / NVIDIA_VISIBLE_DEVICES: "all", "none"/"void"/"" (no GPU), or
   "0,1" / "GPU-<uuid>,…" (docker's "device=" prefix accepted).  */
static int
gpu_names (const char *gpus, char ***names, size_t *n, envrun_error_t *err)
{
  cleanup_free char *copy = NULL;
  char *save = NULL;

  if (strncmp (gpus, "device=", 7) == 0)
    gpus += 7;
  if (*gpus == '\0' || strcmp (gpus, "none") == 0
      || strcmp (gpus, "void") == 0)
    return 0;
  copy = strdup (gpus);
  if (copy == NULL)
    return envrun_error_set (err, ENOMEM, "--gpus");
  for (char *g = strtok_r (copy, ",", &save); g;
       g = strtok_r (NULL, ",", &save))
    {
      char buf[300];
      if (!cdi_valid_device_name (g) || strlen (g) > 255)
        return envrun_error_set (err, 0,
                                 "--gpus %s: `%s` is not a GPU "
                                 "index or UUID",
                                 gpus, g);
      snprintf (buf, sizeof buf, "nvidia.com/gpu=%s", g);
      if (cdi_strv_push (names, n, buf) < 0)
        return envrun_error_set (err, ENOMEM, "--gpus");
    }
  return 0;
}

int
cdi_requested_names (const struct envrun_env_run_options *o, char ***names,
                     size_t *n, envrun_error_t *err)
{
  cleanup_strv char **v = NULL;
  size_t count = 0;

  for (size_t i = 0; i < o->n_devices; i++)
    if (cdi_is_name (o->devices[i])
        && cdi_strv_push (&v, &count, o->devices[i]) < 0)
      return envrun_error_set (err, ENOMEM, "--device");
  if (o->gpus && gpu_names (o->gpus, &v, &count, err) < 0)
    return o->gpus_from_env
               ? envrun_error_prefix (err, "NVIDIA_VISIBLE_DEVICES")
               : -1;
  *names = steal_pointer (&v);
  *n = count;
  return 0;
}

/* ---- device nodes ---------------------------------------------------------
 */

static char
stat_type (mode_t m)
{
  return S_ISCHR (m) ? 'c' : S_ISBLK (m) ? 'b' : S_ISFIFO (m) ? 'p' : 0;
}

int
cdi_node_complete (const struct cdi_device_node *in, struct cdi_node_info *out,
                   envrun_error_t *err)
{
  const char *host = in->host_path ? in->host_path : in->path;
  bool need = in->type == 0 || !in->has_file_mode
              || (in->type != 'p' && !in->has_major && !in->has_minor);
  struct stat st;

  *out = (struct cdi_node_info){ .path = in->path,
                                 .type = in->type,
                                 .major = in->major,
                                 .minor = in->minor,
                                 .has_file_mode = in->has_file_mode,
                                 .file_mode = in->file_mode,
                                 .has_uid = in->has_uid,
                                 .uid = in->uid,
                                 .has_gid = in->has_gid,
                                 .gid = in->gid,
                                 .access
                                 = in->permissions ? in->permissions : "rwm" };
  if (!need)
    return 0;
  if (stat (host, &st) < 0)
    {
      /* The mode alone can default; the device number cannot.  */
      if (in->type && (in->type == 'p' || in->has_major || in->has_minor))
        return 0;
      return envrun_error_set (err, errno, "CDI device node %s: %s", in->path,
                               host);
    }
  if (stat_type (st.st_mode) == 0)
    return envrun_error_set (err, 0,
                             "CDI device node %s: %s is not a "
                             "device node",
                             in->path, host);
  if (in->type && in->type != 'u' && in->type != stat_type (st.st_mode))
    return envrun_error_set (err, 0,
                             "CDI device node %s: type %c, but %s "
                             "is of type %c",
                             in->path, in->type, host, stat_type (st.st_mode));
  if (out->type == 0)
    out->type = stat_type (st.st_mode);
  if (!in->has_major && !in->has_minor)
    out->major = major (st.st_rdev), out->minor = minor (st.st_rdev);
  if (!in->has_file_mode)
    out->has_file_mode = true, out->file_mode = st.st_mode & 0777;
  return 0;
}
