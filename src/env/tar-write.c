/* Writing a tree as a tar stream (ustar headers, pax records for long
   names, large values and xattrs; hard links kept), entries sorted so the
   same tree always gives the same bytes.  */
#include "config-host.h"

#include "env-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

struct twriter
{
  env_write_fn wr;
  void *ctx;
  int root;
  struct
  {
    dev_t dev;
    ino_t ino;
    char *path;
  } *links;
  size_t n_links;
};

/* len-1 octal digits and a NUL; callers keep v within the field.  */
static void
octal (char *f, size_t len, uint64_t v)
{
  f[len - 1] = '\0';
  for (size_t i = len - 1; i-- > 0; v >>= 3)
    f[i] = '0' + (v & 7);
}

static int
emit_header (struct twriter *w, const char *name, const char *link, char type,
             const struct stat *st, uint64_t size, envrun_error_t *err)
{
  unsigned char h[512] = { 0 };
  unsigned long sum = 0;

  snprintf ((char *) h, 100, "%s", name);
  octal ((char *) h + 100, 8, st->st_mode & 07777);
  octal ((char *) h + 108, 8, st->st_uid <= 07777777 ? st->st_uid : 0);
  octal ((char *) h + 116, 8, st->st_gid <= 07777777 ? st->st_gid : 0);
  octal ((char *) h + 124, 12, size <= 077777777777ull ? size : 0);
  octal ((char *) h + 136, 12, st->st_mtim.tv_sec > 0 ? st->st_mtim.tv_sec : 0);
  h[156] = type;
  if (link)
    snprintf ((char *) h + 157, 100, "%s", link);
  memcpy (h + 257, "ustar\0" "00", 8);
  if (type == '3' || type == '4')
    {
      octal ((char *) h + 329, 8, major (st->st_rdev));
      octal ((char *) h + 337, 8, minor (st->st_rdev));
    }
  memset (h + 148, ' ', 8);
  for (int i = 0; i < 512; i++)
    sum += h[i];
  snprintf ((char *) h + 148, 8, "%06lo", sum);
  return w->wr (w->ctx, h, 512) < 0 ? envrun_error_set (err, errno, "write")
                                    : 0;
}

static int
pax_record (FILE *f, const char *key, const char *val, size_t vlen)
{
  size_t base = strlen (key) + vlen + 3, len = base, digits;

  /* The length counts its own digits.  */
  for (;;)
    {
      digits = snprintf (NULL, 0, "%zu", len);
      if (base + digits == len)
        break;
      len = base + digits;
    }
  fprintf (f, "%zu %s=", len, key);
  fwrite (val, 1, vlen, f);
  fputc ('\n', f);
  return 0;
}

static int
emit_padded (struct twriter *w, const void *data, size_t len,
             envrun_error_t *err)
{
  static const char zero[512];

  if (data && len && w->wr (w->ctx, data, len) < 0)
    return envrun_error_set (err, errno, "write");
  if (len % 512 && w->wr (w->ctx, zero, 512 - len % 512) < 0)
    return envrun_error_set (err, errno, "write");
  return 0;
}

/* A pax header when ustar cannot hold the entry.  */
static int
maybe_pax (struct twriter *w, int fd, const char *name, const char *link,
           const struct stat *st, uint64_t size, envrun_error_t *err)
{
  char *buf = NULL, names[65536], value[65536], proc[32];
  size_t len = 0;
  ssize_t nl = -1;
  FILE *f;
  int ret = 0;

  snprintf (proc, sizeof proc, "/proc/self/fd/%d", fd);
  if (fd >= 0 && !S_ISLNK (st->st_mode))
    nl = listxattr (proc, names, sizeof names);
  f = open_memstream (&buf, &len);
  if (f == NULL)
    return envrun_error_set (err, ENOMEM, "pax");
  if (strlen (name) >= 100)
    pax_record (f, "path", name, strlen (name));
  if (link && strlen (link) >= 100)
    pax_record (f, "linkpath", link, strlen (link));
  if (size > 077777777777ull)
    {
      char num[32];
      snprintf (num, sizeof num, "%" PRIu64, size);
      pax_record (f, "size", num, strlen (num));
    }
  for (char *k = names; nl > 0 && k < names + nl; k += strlen (k) + 1)
    {
      cleanup_free char *key = NULL;
      ssize_t v = getxattr (proc, k, value, sizeof value);
      if (v < 0 || strncmp (k, "trusted.overlay.", 16) == 0
          || asprintf (&key, "SCHILY.xattr.%s", k) < 0)
        continue;
      pax_record (f, key, value, v);
    }
  fclose (f);
  if (len > 0)
    {
      struct stat pst = *st;
      pst.st_mode = 0644;
      ret = emit_header (w, "PaxHeader", NULL, 'x', &pst, len, err);
      if (ret == 0)
        ret = emit_padded (w, buf, len, err);
    }
  free (buf);
  return ret;
}

static int write_dir (struct twriter *w, int dfd, const char *rel, int depth,
                      envrun_error_t *err);

static int
write_file_data (struct twriter *w, int fd, uint64_t size, envrun_error_t *err)
{
  char buf[65536];
  uint64_t done = 0;
  ssize_t n;

  while (done < size && (n = read (fd, buf, sizeof buf)) > 0)
    {
      if ((uint64_t) n > size - done)
        n = size - done;
      if (w->wr (w->ctx, buf, n) < 0)
        return envrun_error_set (err, errno, "write");
      done += n;
    }
  if (done != size)
    return envrun_error_set (err, 0, "file changed size while archiving");
  return emit_padded (w, NULL, size, err);
}

static int
write_entry (struct twriter *w, int dfd, const char *name, const char *rel,
             int depth, envrun_error_t *err)
{
  cleanup_close int fd = openat (dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  char target[ENV_MAX_PATH + 1];
  const char *link = NULL;
  struct stat st;
  char type;
  uint64_t size = 0;

  if (fd < 0 || fstat (fd, &st) < 0)
    return envrun_error_set (err, errno, "%s", rel);
  if (S_ISSOCK (st.st_mode))
    return 0;
  type = S_ISDIR (st.st_mode)    ? '5'
         : S_ISLNK (st.st_mode)  ? '2'
         : S_ISCHR (st.st_mode)  ? '3'
         : S_ISBLK (st.st_mode)  ? '4'
         : S_ISFIFO (st.st_mode) ? '6'
                                 : '0';
  if (type == '0' && st.st_nlink > 1)
    for (size_t i = 0; i < w->n_links && !link; i++)
      if (w->links[i].dev == st.st_dev && w->links[i].ino == st.st_ino)
        link = w->links[i].path, type = '1';
  if (type == '2')
    {
      ssize_t n = readlinkat (dfd, name, target, ENV_MAX_PATH);
      if (n < 0)
        return envrun_error_set (err, errno, "%s", rel);
      target[n] = '\0';
      link = target;
    }
  if (type == '0')
    size = st.st_size;
  if (maybe_pax (w, fd, rel, link, &st, size, err) < 0
      || emit_header (w, rel, link, type, &st, size, err) < 0)
    return -1;
  if (type == '0')
    {
      cleanup_close int rfd = openat (dfd, name, O_RDONLY | O_NOFOLLOW
                                      | O_CLOEXEC);
      if (rfd < 0 || write_file_data (w, rfd, size, err) < 0)
        return rfd < 0 ? envrun_error_set (err, errno, "%s", rel) : -1;
      if (st.st_nlink > 1)
        {
          void *n = realloc (w->links, (w->n_links + 1) * sizeof *w->links);
          if (n == NULL)
            return envrun_error_set (err, ENOMEM, "tar");
          w->links = n;
          w->links[w->n_links].dev = st.st_dev;
          w->links[w->n_links].ino = st.st_ino;
          w->links[w->n_links++].path = strdup (rel);
        }
    }
  if (type == '5')
    {
      cleanup_close int sub = openat (dfd, name, O_RDONLY | O_DIRECTORY
                                      | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0)
        return envrun_error_set (err, errno, "%s", rel);
      if (depth > ENV_MAX_DEPTH)
        return envrun_error_set (err, ELOOP, "%s: too deep", rel);
      return write_dir (w, sub, rel, depth + 1, err);
    }
  return 0;
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static int
write_dir (struct twriter *w, int dfd, const char *rel, int depth,
           envrun_error_t *err)
{
  cleanup_strv char **names = NULL;
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  size_t n = 0;
  int fd = dup (dfd);

  if (fd < 0 || (d = fdopendir (fd)) == NULL)
    {
      if (fd >= 0)
        close (fd);
      return envrun_error_set (err, errno, "%s", rel);
    }
  while ((de = readdir (d)))
    if (strcmp (de->d_name, ".") && strcmp (de->d_name, "..")
        && env_strv_push (&names, &n, de->d_name) < 0)
      return envrun_error_set (err, ENOMEM, "tar");
  if (n)
    qsort (names, n, sizeof *names, cmp_str);
  for (size_t i = 0; i < n; i++)
    {
      cleanup_free char *sub = NULL;
      if (asprintf (&sub, "%s%s%s", rel, *rel ? "/" : "", names[i]) < 0)
        return envrun_error_set (err, ENOMEM, "tar");
      if (write_entry (w, dfd, names[i], sub, depth, err) < 0)
        return -1;
    }
  return 0;
}

int
env_tar_write_tree (const char *path, env_write_fn wr, void *ctx,
                    envrun_error_t *err)
{
  struct twriter w = { .wr = wr, .ctx = ctx };
  cleanup_close int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  static const char zero[1024];
  int ret;

  if (fd < 0)
    return envrun_error_set (err, errno, "%s", path);
  ret = write_dir (&w, fd, "", 0, err);
  if (ret == 0 && wr (ctx, zero, sizeof zero) < 0)
    ret = envrun_error_set (err, errno, "write");
  for (size_t i = 0; i < w.n_links; i++)
    free (w.links[i].path);
  free (w.links);
  return ret;
}
