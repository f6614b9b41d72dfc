/* Tar header parsing: every field of an untrusted archive is range checked
   before use; pax records and GNU long names are size capped.  */
#include "config-host.h"

#include "tar.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAX_MAX (1u << 20)

static int
read_exact (env_read_fn rd, void *ctx, void *buf, size_t len, bool *eof,
            envrun_error_t *err)
{
  for (size_t off = 0; off < len;)
    {
      ssize_t n = rd (ctx, (char *) buf + off, len - off);
      if (n < 0)
        return envrun_error_set (err, errno, "read");
      if (n == 0)
        {
          if (off == 0 && eof)
            {
              *eof = true;
              return 0;
            }
          return envrun_error_set (err, 0, "unexpected end of archive");
        }
      off += n;
    }
  return 0;
}

/* Octal (NUL/space terminated) or GNU base-256.  */
static int
parse_num (const char *f, size_t len, uint64_t max, uint64_t *out)
{
  uint64_t v = 0;
  size_t i = 0;

  if ((unsigned char) f[0] & 0x80)
    {
      if ((unsigned char) f[0] & 0x40)
        return -1; /* negative */
      v = (unsigned char) f[0] & 0x3f;
      for (i = 1; i < len; i++)
        {
          if (v > (UINT64_MAX >> 8))
            return -1;
          v = v << 8 | (unsigned char) f[i];
        }
      goto check;
    }
  while (i < len && f[i] == ' ')
    i++;
  for (; i < len && f[i] >= '0' && f[i] <= '7'; i++)
    {
      if (v > (UINT64_MAX >> 3))
        return -1;
      v = v << 3 | (uint64_t) (f[i] - '0');
    }
  if (i < len && f[i] != '\0' && f[i] != ' ')
    return -1;
check:
  if (v > max)
    return -1;
  *out = v;
  return 0;
}

int
tar_normalize_path (const char *in, char **out, envrun_error_t *err)
{
  size_t len = strlen (in), depth = 0;
  char *buf, *w;

  if (len > ENV_MAX_PATH)
    return envrun_error_set (err, ENAMETOOLONG, "path `%.40s...`: longer "
                             "than %d bytes", in, ENV_MAX_PATH);
  if (in[0] == '/')
    return envrun_error_set (err, EINVAL, "absolute path `%s` refused", in);
  buf = w = malloc (len + 1);
  if (buf == NULL)
    return envrun_error_set (err, ENOMEM, "path");
  for (const char *p = in; *p;)
    {
      size_t c = strcspn (p, "/");
      if (c == 2 && p[0] == '.' && p[1] == '.')
        {
          free (buf);
          return envrun_error_set (err, EINVAL, "path `%s`: `..` refused", in);
        }
      if (c > 0 && !(c == 1 && p[0] == '.'))
        {
          if (w != buf)
            *w++ = '/';
          memcpy (w, p, c);
          w += c;
          if (++depth > ENV_MAX_DEPTH)
            {
              free (buf);
              return envrun_error_set (err, ELOOP, "path `%.40s...`: more "
                                       "than %d components", in,
                                       ENV_MAX_DEPTH);
            }
        }
      p += c;
      while (*p == '/')
        p++;
    }
  *w = '\0';
  *out = buf;
  return 0;
}

static int
pax_apply (struct tar_entry *e, const char *key, const char *val, size_t vlen,
           char **path, char **link, envrun_error_t *err)
{
  uint64_t v;
  char num[32];

  if (strcmp (key, "path") == 0 || strcmp (key, "linkpath") == 0)
    {
      char **dst = key[0] == 'p' ? path : link;
      if (vlen > ENV_MAX_PATH)
        return envrun_error_set (err, ENAMETOOLONG, "pax %s: longer than %d "
                                 "bytes", key, ENV_MAX_PATH);
      if (memchr (val, '\0', vlen))
        return envrun_error_set (err, 0, "pax %s: contains NUL", key);
      free (*dst);
      *dst = strndup (val, vlen);
      return *dst ? 0 : envrun_error_set (err, ENOMEM, "pax");
    }
  if (strncmp (key, "SCHILY.xattr.", 13) == 0)
    {
      struct tar_xattr *n = realloc (e->xattrs, (e->n_xattrs + 1) * sizeof *n);
      if (n == NULL || e->n_xattrs >= 128)
        return envrun_error_set (err, ENOMEM, "pax: too many xattrs");
      e->xattrs = n;
      n[e->n_xattrs].name = strdup (key + 13);
      n[e->n_xattrs].value = malloc (vlen + 1);
      n[e->n_xattrs].len = vlen;
      if (!n[e->n_xattrs].name || !n[e->n_xattrs].value)
        return envrun_error_set (err, ENOMEM, "pax");
      memcpy (n[e->n_xattrs].value, val, vlen);
      e->n_xattrs++;
      return 0;
    }
  if (vlen >= sizeof num)
    return 0;
  memcpy (num, val, vlen);
  num[vlen] = '\0';
  if (strcmp (key, "size") == 0 || strcmp (key, "uid") == 0
      || strcmp (key, "gid") == 0 || strcmp (key, "mtime") == 0)
    {
      char *end;
      errno = 0;
      v = strtoull (num, &end, 10);
      if (errno || end == num || (*end && *end != '.'))
        return envrun_error_set (err, 0, "pax %s: not a number", key);
      if (key[0] == 's')
        e->size = v;
      else if (key[0] == 'u' && v <= UINT32_MAX - 1)
        e->uid = v;
      else if (key[0] == 'g' && v <= UINT32_MAX - 1)
        e->gid = v;
      else if (key[0] == 'm')
        e->mtime = v;
      else
        return envrun_error_set (err, 0, "pax %s: out of range", key);
    }
  return 0;
}

/* Parse "LEN key=value\n" records.  */
static int
pax_parse (struct tar_entry *e, char *buf, size_t len, char **path,
           char **link, envrun_error_t *err)
{
  size_t off = 0;

  while (off < len)
    {
      char *rec = buf + off, *sp, *eq, *end;
      unsigned long rlen = strtoul (rec, &end, 10);
      if (end == rec || *end != ' ' || rlen == 0 || rlen > len - off
          || rec[rlen - 1] != '\n')
        return envrun_error_set (err, 0, "pax header: malformed record");
      sp = end + 1;
      eq = memchr (sp, '=', rec + rlen - sp);
      if (eq == NULL)
        return envrun_error_set (err, 0, "pax header: record without `=`");
      *eq = '\0';
      if (pax_apply (e, sp, eq + 1, rec + rlen - 1 - (eq + 1), path, link,
                     err) < 0)
        return -1;
      off += rlen;
    }
  return 0;
}

static int
read_payload (env_read_fn rd, void *ctx, uint64_t size, uint64_t max,
              char **out, envrun_error_t *err)
{
  uint64_t padded = (size + 511) & ~(uint64_t) 511;
  char *buf;

  if (size > max)
    return envrun_error_set (err, EFBIG, "extended header larger than %"
                             PRIu64 " bytes", max);
  buf = calloc (1, padded + 1);
  if (buf == NULL)
    return envrun_error_set (err, ENOMEM, "extended header");
  if (read_exact (rd, ctx, buf, padded, NULL, err) < 0)
    {
      free (buf);
      return -1;
    }
  buf[size] = '\0';
  *out = buf;
  return 0;
}

static int
check_sum (const unsigned char *h)
{
  uint64_t want;
  unsigned long sum = 0;

  if (parse_num ((const char *) h + 148, 8, 0777777, &want) < 0)
    return -1;
  for (int i = 0; i < 512; i++)
    sum += (i >= 148 && i < 156) ? ' ' : h[i];
  return sum == want ? 0 : -1;
}

static enum tar_type
map_type (char t)
{
  switch (t)
    {
    case '0': case '\0': case '7': return TAR_FILE;
    case '1': return TAR_HARDLINK;
    case '2': return TAR_SYMLINK;
    case '3': return TAR_CHR;
    case '4': return TAR_BLK;
    case '5': return TAR_DIR;
    case '6': return TAR_FIFO;
    default: return TAR_OTHER;
    }
}

static int
fill_entry (const unsigned char *h, struct tar_entry *e, char **path,
            char **link, envrun_error_t *err)
{
  uint64_t v;
  char name[257];

  if (parse_num ((const char *) h + 100, 8, 07777777, &v) < 0)
    return envrun_error_set (err, 0, "header: bad mode");
  e->mode = v & 07777;
  if (e->uid == 0 && parse_num ((const char *) h + 108, 8, UINT32_MAX - 1,
                                &v) == 0)
    e->uid = v;
  if (e->gid == 0 && parse_num ((const char *) h + 116, 8, UINT32_MAX - 1,
                                &v) == 0)
    e->gid = v;
  if (e->size == 0 && parse_num ((const char *) h + 124, 12,
                                 (uint64_t) 1 << 48, &e->size) < 0)
    return envrun_error_set (err, 0, "header: bad size");
  if (e->mtime == 0 && parse_num ((const char *) h + 136, 12, INT64_MAX, &v)
                           == 0)
    e->mtime = v;
  if (parse_num ((const char *) h + 329, 8, 0xfff, &v) == 0)
    e->devmajor = v;
  if (parse_num ((const char *) h + 337, 8, 0xfffff, &v) == 0)
    e->devminor = v;
  e->type = map_type (h[156]);
  if (*path == NULL)
    {
      if (memcmp (h + 257, "ustar", 5) == 0 && h[345])
        snprintf (name, sizeof name, "%.155s/%.100s", h + 345, h);
      else
        snprintf (name, sizeof name, "%.100s", h);
      *path = strdup (name);
    }
  if (*link == NULL)
    {
      snprintf (name, sizeof name, "%.100s", h + 157);
      *link = strdup (name);
    }
  if (*path == NULL || *link == NULL)
    return envrun_error_set (err, ENOMEM, "header");
  return 0;
}

static int
finish_entry (struct tar_entry *e, char *path, char *link,
              envrun_error_t *err)
{
  size_t len = strlen (path);

  if (e->type == TAR_DIR || (len && path[len - 1] == '/'
                             && e->type == TAR_FILE))
    e->type = TAR_DIR;
  if (tar_normalize_path (path, &e->path, err) < 0)
    return -1;
  if (e->type == TAR_HARDLINK)
    {
      if (tar_normalize_path (link, &e->linkpath, err) < 0)
        return envrun_error_prefix (err, "%s: hard link", e->path);
      if (e->linkpath[0] == '\0')
        return envrun_error_set (err, 0, "%s: hard link to the root",
                                 e->path);
      return 0;
    }
  if (e->type == TAR_SYMLINK && link[0] == '\0')
    return envrun_error_set (err, 0, "%s: empty symlink target", e->path);
  e->linkpath = strdup (link);
  return e->linkpath ? 0 : envrun_error_set (err, ENOMEM, "header");
}

int
tar_next_header (env_read_fn rd, void *ctx, struct tar_entry *e,
                 envrun_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_free char *link = NULL;
  unsigned char h[512];
  bool eof = false;

  for (;;)
    {
      cleanup_free char *payload = NULL;
      uint64_t size;

      if (read_exact (rd, ctx, h, sizeof h, &eof, err) < 0)
        return -1;
      if (eof || memcmp (h, (char[512]){ 0 }, 512) == 0)
        return 0; /* end (the second zero block is not required) */
      if (check_sum (h) < 0)
        return envrun_error_set (err, 0, "header checksum mismatch (not a "
                                 "tar archive, or a damaged one)");
      if (h[156] != 'x' && h[156] != 'g' && h[156] != 'L' && h[156] != 'K')
        break;
      if (parse_num ((const char *) h + 124, 12, PAX_MAX, &size) < 0)
        return envrun_error_set (err, EFBIG, "extended header too large");
      if ((h[156] == 'L' || h[156] == 'K') && size > ENV_MAX_PATH + 1)
        return envrun_error_set (err, ENAMETOOLONG, "GNU long name longer "
                                 "than %d bytes", ENV_MAX_PATH);
      if (read_payload (rd, ctx, size, h[156] == 'x' || h[156] == 'g'
                        ? PAX_MAX : ENV_MAX_PATH + 1, &payload, err) < 0)
        return -1;
      if (h[156] == 'x' && pax_parse (e, payload, size, &path, &link, err) < 0)
        return -1;
      if (h[156] == 'L' || h[156] == 'K')
        {
          char **dst = h[156] == 'L' ? &path : &link;
          free (*dst);
          *dst = steal_pointer (&payload);
          if (strlen (*dst) > ENV_MAX_PATH)
            return envrun_error_set (err, ENAMETOOLONG, "long name longer "
                                     "than %d bytes", ENV_MAX_PATH);
        }
    }
  if (fill_entry (h, e, &path, &link, err) < 0
      || finish_entry (e, path, link, err) < 0)
    {
      tar_entry_clear (e);
      return -1;
    }
  return 1;
}

void
tar_entry_clear (struct tar_entry *e)
{
  free (e->path);
  free (e->linkpath);
  for (size_t i = 0; i < e->n_xattrs; i++)
    {
      free (e->xattrs[i].name);
      free (e->xattrs[i].value);
    }
  free (e->xattrs);
  memset (e, 0, sizeof *e);
}

static size_t
str_hash (const char *s)
{
  size_t h = 1469598103934665603ull;
  for (; *s; s++)
    h = (h ^ (unsigned char) *s) * 1099511628211ull;
  return h;
}

bool
strset_has (const struct strset *s, const char *str)
{
  if (s->cap == 0)
    return false;
  for (size_t i = str_hash (str) & (s->cap - 1); s->slots[i];
       i = (i + 1) & (s->cap - 1))
    if (strcmp (s->slots[i], str) == 0)
      return true;
  return false;
}

int
strset_add (struct strset *s, const char *str)
{
  if (strset_has (s, str))
    return 0;
  if ((s->n + 1) * 2 > s->cap)
    {
      struct strset bigger = { .cap = s->cap ? s->cap * 2 : 64 };
      bigger.slots = calloc (bigger.cap, sizeof *bigger.slots);
      if (bigger.slots == NULL)
        return -1;
      for (size_t i = 0; i < s->cap; i++)
        if (s->slots[i])
          {
            size_t j = str_hash (s->slots[i]) & (bigger.cap - 1);
            while (bigger.slots[j])
              j = (j + 1) & (bigger.cap - 1);
            bigger.slots[j] = s->slots[i];
          }
      free (s->slots);
      bigger.n = s->n;
      *s = bigger;
    }
  size_t i = str_hash (str) & (s->cap - 1);
  while (s->slots[i])
    i = (i + 1) & (s->cap - 1);
  if ((s->slots[i] = strdup (str)) == NULL)
    return -1;
  s->n++;
  return 0;
}

void
strset_free (struct strset *s)
{
  for (size_t i = 0; i < s->cap; i++)
    free (s->slots[i]);
  free (s->slots);
  memset (s, 0, sizeof *s);
}
