/* cgroup layer: the effective device rule list (shared by v1 and the v2
   eBPF program) and its v1 form, devices.allow / devices.deny.  */
#include "config-host.h"

#include "cgroup.h"
#include "cleanup.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What every container needs, as runc allows them: mknod of any device
   (creating a node is harmless, using it is what the rules guard), the
   standard character devices, the pty multiplexer and its slaves.  */
static const struct cgroup_device_rule required_rules[] = {
  { true, 'c', -1, -1, CGROUP_DEV_MKNOD },
  { true, 'b', -1, -1, CGROUP_DEV_MKNOD },
  { true, 'c', 1, 3, CGROUP_DEV_ALL },    /* /dev/null */
  { true, 'c', 1, 5, CGROUP_DEV_ALL },    /* /dev/zero */
  { true, 'c', 1, 7, CGROUP_DEV_ALL },    /* /dev/full */
  { true, 'c', 1, 8, CGROUP_DEV_ALL },    /* /dev/random */
  { true, 'c', 1, 9, CGROUP_DEV_ALL },    /* /dev/urandom */
  { true, 'c', 5, 0, CGROUP_DEV_ALL },    /* /dev/tty */
  { true, 'c', 5, 1, CGROUP_DEV_ALL },    /* /dev/console */
  { true, 'c', 5, 2, CGROUP_DEV_ALL },    /* /dev/ptmx */
  { true, 'c', 136, -1, CGROUP_DEV_ALL }, /* /dev/pts/N */
  { true, 'c', 10, 200, CGROUP_DEV_ALL }, /* /dev/net/tun */
};

struct rule_list
{
  struct cgroup_device_rule *v;
  size_t n, cap;
};

static int
rule_add (struct rule_list *l, const struct cgroup_device_rule *r,
          envrun_error_t *err)
{
  if (l->n == l->cap)
    {
      size_t cap = l->cap ? l->cap * 2 : 32;
      struct cgroup_device_rule *v = realloc (l->v, cap * sizeof *v);

      if (v == NULL)
        return envrun_error_set (err, ENOMEM, "cgroup: device rules");
      l->v = v;
      l->cap = cap;
    }
  l->v[l->n++] = *r;
  return 0;
}

static int
parse_access (const char *s, size_t i, unsigned *out, envrun_error_t *err)
{
  *out = 0;
  if (s == NULL)
    {
      *out = CGROUP_DEV_ALL;
      return 0;
    }
  for (const char *p = s; *p; p++)
    switch (*p)
      {
      case 'r':
        *out |= CGROUP_DEV_READ;
        break;
      case 'w':
        *out |= CGROUP_DEV_WRITE;
        break;
      case 'm':
        *out |= CGROUP_DEV_MKNOD;
        break;
      default:
        return envrun_error_set (err, EINVAL,
                                 "linux.resources.devices[%zu].access: `%s`:"
                                 " expected letters of \"rwm\"",
                                 i, s);
      }
  return 0;
}

/* The base every list starts from and every blanket deny returns to.  */
static int
rules_base (struct rule_list *l, const struct envrun_config *cfg,
            envrun_error_t *err)
{
  struct cgroup_device_rule deny_all = { false, 'a', -1, -1, CGROUP_DEV_ALL };
  const struct envrun_linux *lx = cfg ? cfg->linux_ : NULL;
  int ret = rule_add (l, &deny_all, err);

  for (size_t i = 0;
       ret == 0 && i < sizeof required_rules / sizeof *required_rules; i++)
    ret = rule_add (l, &required_rules[i], err);
  /* linux.devices must be usable: the spec says they are made available */
  for (size_t i = 0; ret == 0 && lx && i < lx->n_devices; i++)
    {
      const struct envrun_device *d = &lx->devices[i];
      struct cgroup_device_rule r = { true, d->type == 'b' ? 'b' : 'c',
                                      d->major, d->minor, CGROUP_DEV_ALL };

      if (d->type == 'p') /* fifos need no device access */
        continue;
      ret = rule_add (l, &r, err);
    }
  return ret;
}

static bool
is_blanket_deny (const struct cgroup_device_rule *r)
{
  return !r->allow && r->type == 'a' && r->major == -1 && r->minor == -1
         && r->access == CGROUP_DEV_ALL;
}

int
cgroup_device_rules (const struct envrun_config *cfg,
                     const struct envrun_resources *res,
                     struct cgroup_device_rule **out, size_t *n,
                     envrun_error_t *err)
{
  struct rule_list l = { 0 };
  size_t base;
  int ret = rules_base (&l, cfg, err);

  base = l.n;
  for (size_t i = 0; ret == 0 && res && i < res->n_devices; i++)
    {
      const struct envrun_device_rule *d = &res->devices[i];
      struct cgroup_device_rule r
          = { d->allow, d->type ? d->type : 'a', d->major, d->minor, 0 };

      if (r.type != 'a' && r.type != 'b' && r.type != 'c')
        ret = envrun_error_set (err, EINVAL,
                                "linux.resources.devices[%zu].type: `%c`:"
                                " expected a, b or c",
                                i, r.type);
      if (ret == 0)
        ret = parse_access (d->access, i, &r.access, err);
      if (ret == 0 && is_blanket_deny (&r))
        l.n = base; /* "deny all" keeps what every container needs */
      else if (ret == 0 && r.access)
        ret = rule_add (&l, &r, err);
    }
  if (ret < 0)
    {
      free (l.v);
      return ret;
    }
  *out = l.v;
  *n = l.n;
  return 0;
}

static void
format_rule (const struct cgroup_device_rule *r, char *buf, size_t size)
{
  char maj[24] = "*", min[24] = "*", acc[4];
  size_t a = 0;

  if (r->type == 'a')
    {
      /* the kernel takes "a" as everything, whatever follows */
      snprintf (buf, size, "a");
      return;
    }
  if (r->major >= 0)
    snprintf (maj, sizeof maj, "%" PRId64, r->major);
  if (r->minor >= 0)
    snprintf (min, sizeof min, "%" PRId64, r->minor);
  if (r->access & CGROUP_DEV_READ)
    acc[a++] = 'r';
  if (r->access & CGROUP_DEV_WRITE)
    acc[a++] = 'w';
  if (r->access & CGROUP_DEV_MKNOD)
    acc[a++] = 'm';
  acc[a] = '\0';
  snprintf (buf, size, "%c %s:%s %s", r->type, maj, min, acc);
}

int
cgroup_v1_devices_apply (const char *dir,
                         const struct cgroup_device_rule *rules, size_t n,
                         envrun_error_t *err)
{
  for (size_t i = 0; i < n; i++)
    {
      char buf[80];
      int ret;

      format_rule (&rules[i], buf, sizeof buf);
      ret = cgroup_write (
          dir, rules[i].allow ? "devices.allow" : "devices.deny", buf, err);
      if (ret < 0)
        return ret;
    }
  return 0;
}
