/* envrun update [--resources FILE|-] [--memory N] ... ID: change the
   resources of a container, with runc's flags.  Flags override the values
   of a --resources document.  */
#include "config-host.h"

#include "cgroup-verbs.h"
#include "cleanup.h"
#include "cli.h"

#include <envrun/config.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum
{
  OPT_RESOURCES = 'r',
  OPT_MEMORY = 256,
  OPT_MEMORY_SWAP,
  OPT_MEMORY_RESERVATION,
  OPT_CPU_SHARES,
  OPT_CPU_QUOTA,
  OPT_CPU_PERIOD,
  OPT_CPU_BURST,
  OPT_CPU_RT_PERIOD,
  OPT_CPU_RT_RUNTIME,
  OPT_CPU_IDLE,
  OPT_CPUSET_CPUS,
  OPT_CPUSET_MEMS,
  OPT_PIDS_LIMIT,
  OPT_BLKIO_WEIGHT,
};

static const struct option update_opts[] = {
  { "resources", required_argument, NULL, OPT_RESOURCES },
  { "memory", required_argument, NULL, OPT_MEMORY },
  { "memory-swap", required_argument, NULL, OPT_MEMORY_SWAP },
  { "memory-reservation", required_argument, NULL, OPT_MEMORY_RESERVATION },
  { "cpu-shares", required_argument, NULL, OPT_CPU_SHARES },
  { "cpu-share", required_argument, NULL, OPT_CPU_SHARES }, /* runc */
  { "cpu-quota", required_argument, NULL, OPT_CPU_QUOTA },
  { "cpu-period", required_argument, NULL, OPT_CPU_PERIOD },
  { "cpu-burst", required_argument, NULL, OPT_CPU_BURST },
  { "cpu-rt-period", required_argument, NULL, OPT_CPU_RT_PERIOD },
  { "cpu-rt-runtime", required_argument, NULL, OPT_CPU_RT_RUNTIME },
  { "cpu-idle", required_argument, NULL, OPT_CPU_IDLE },
  { "cpuset-cpus", required_argument, NULL, OPT_CPUSET_CPUS },
  { "cpuset-mems", required_argument, NULL, OPT_CPUSET_MEMS },
  { "pids-limit", required_argument, NULL, OPT_PIDS_LIMIT },
  { "blkio-weight", required_argument, NULL, OPT_BLKIO_WEIGHT },
  { NULL, 0, NULL, 0 },
};

/* A byte size as runc takes it: an integer with an optional binary unit
   (k, m, g, t; "b"/"ib" suffixes allowed), or -1 for unlimited.  */
static int
parse_bytes (const char *flag, const char *s, int64_t *out,
             envrun_error_t *err)
{
  char *end;
  long long v;
  int shift = 0;

  errno = 0;
  v = strtoll (s, &end, 10);
  if (errno || end == s)
    goto bad;
  if (v == -1 && *end == '\0')
    {
      *out = -1;
      return 0;
    }
  switch (*end | 0x20)
    {
    case 'k':
      shift = 10, end++;
      break;
    case 'm':
      shift = 20, end++;
      break;
    case 'g':
      shift = 30, end++;
      break;
    case 't':
      shift = 40, end++;
      break;
    default:
      break;
    }
  if (*end && strcasecmp (end, "b") != 0 && strcasecmp (end, "ib") != 0)
    goto bad;
  if (v < 0 || (shift && v > (INT64_MAX >> shift)))
    goto bad;
  *out = (int64_t)v << shift;
  return 0;
bad:
  return envrun_error_set (err, EINVAL,
                           "update: --%s: `%s`: expected a "
                           "size in bytes (k, m, g suffixes) or -1",
                           flag, s);
}

static int
parse_int (const char *flag, const char *s, int64_t min, int64_t max,
           int64_t *out, envrun_error_t *err)
{
  char *end;
  long long v;

  errno = 0;
  v = strtoll (s, &end, 10);
  if (errno || end == s || *end || v < min || v > max)
    return envrun_error_set (err, EINVAL,
                             "update: --%s: `%s`: expected an "
                             "integer in %" PRId64 "..%" PRId64,
                             flag, s, min, max);
  *out = v;
  return 0;
}

static int
replace_string (char **field, const char *v, envrun_error_t *err)
{
  char *copy = strdup (v);

  if (copy == NULL)
    return envrun_error_set (err, ENOMEM, "update");
  free (*field);
  *field = copy;
  return 0;
}

static int
apply_flag (struct envrun_resources *r, int opt, const char *name,
            const char *arg, envrun_error_t *err)
{
  int64_t v = 0;
  int ret = 0;

  switch (opt)
    {
    case OPT_MEMORY:
      ret = parse_bytes (name, arg, &r->memory_limit, err);
      r->has_memory_limit = true;
      break;
    case OPT_MEMORY_SWAP:
      ret = parse_bytes (name, arg, &r->memory_swap, err);
      r->has_memory_swap = true;
      break;
    case OPT_MEMORY_RESERVATION:
      ret = parse_bytes (name, arg, &r->memory_reservation, err);
      r->has_memory_reservation = true;
      break;
    case OPT_CPU_SHARES:
      ret = parse_int (name, arg, 0, INT64_MAX, &v, err);
      r->cpu_shares = (uint64_t)v, r->has_cpu_shares = true;
      break;
    case OPT_CPU_QUOTA:
      ret = parse_int (name, arg, -1, INT64_MAX, &r->cpu_quota, err);
      r->has_cpu_quota = true;
      break;
    case OPT_CPU_PERIOD:
      ret = parse_int (name, arg, 0, INT64_MAX, &v, err);
      r->cpu_period = (uint64_t)v, r->has_cpu_period = true;
      break;
    case OPT_CPU_BURST:
      ret = parse_int (name, arg, 0, INT64_MAX, &v, err);
      r->cpu_burst = (uint64_t)v, r->has_cpu_burst = true;
      break;
    case OPT_CPU_RT_PERIOD:
      ret = parse_int (name, arg, 0, INT64_MAX, &v, err);
      r->cpu_realtime_period = (uint64_t)v, r->has_cpu_realtime_period = true;
      break;
    case OPT_CPU_RT_RUNTIME:
      ret = parse_int (name, arg, -1, INT64_MAX, &r->cpu_realtime_runtime,
                       err);
      r->has_cpu_realtime_runtime = true;
      break;
    case OPT_CPU_IDLE:
      ret = parse_int (name, arg, 0, 1, &r->cpu_idle, err);
      r->has_cpu_idle = true;
      break;
    case OPT_CPUSET_CPUS:
      return replace_string (&r->cpu_cpus, arg, err);
    case OPT_CPUSET_MEMS:
      return replace_string (&r->cpu_mems, arg, err);
    case OPT_PIDS_LIMIT:
      ret = parse_int (name, arg, -1, INT64_MAX, &r->pids_limit, err);
      r->has_pids_limit = true;
      break;
    case OPT_BLKIO_WEIGHT:
      ret = parse_int (name, arg, 10, 1000, &v, err);
      r->blkio_weight = (uint16_t)v, r->has_blkio_weight = true;
      break;
    default:
      return envrun_error_set (err, EINVAL, "update: invalid option");
    }
  return ret;
}

static int
load_resources (const char *file, struct envrun_resources **out,
                envrun_error_t *err)
{
  cleanup_free char *text = NULL;
  size_t len = 0;

  if (file == NULL)
    {
      *out = calloc (1, sizeof **out);
      return *out ? 0 : envrun_error_set (err, ENOMEM, "update");
    }
  if (cli_read_file (file, 1024 * 1024, &text, &len, err) < 0)
    return -1;
  return envrun_resources_parse_string (
      text, len, strcmp (file, "-") ? file : "stdin", out, err);
}

static int
parse_flags (int argc, char **argv, struct envrun_resources **r,
             envrun_error_t *err)
{
  const char *file = NULL;
  int c, idx;

  /* first pass: the document, so flags override whatever their order */
  while ((c = getopt_long (argc, argv, "r:", update_opts, NULL)) != -1)
    if (c == OPT_RESOURCES)
      file = optarg;
    else if (c == '?')
      return envrun_error_set (err, EINVAL, "update: invalid option");
  if (load_resources (file, r, err) < 0)
    return -1;
  optind = 0;
  while ((c = getopt_long (argc, argv, "r:", update_opts, &idx)) != -1)
    if (c != OPT_RESOURCES
        && apply_flag (*r, c, update_opts[idx].name, optarg, err) < 0)
      return -1;
  return 0;
}

CLI_VERB (update)
{
  struct envrun_resources *r = NULL;
  struct cgverb_target t;
  envrun_error_t err = NULL;
  int ret;

  memset (&t, 0, sizeof t);
  t.dirfd = -1;
  ret = parse_flags (argc, argv, &r, &err);
  if (ret == 0 && optind != argc - 1)
    ret = envrun_error_set (&err, EINVAL,
                            "update: usage: update [OPTIONS]"
                            " ID");
  if (ret == 0)
    ret = cgverb_open (g->root, argv[optind], &t, &err);
  if (ret == 0 && t.status == ENVRUN_STATUS_STOPPED)
    ret = envrun_error_set (&err, EINVAL, "container `%s` is stopped",
                            argv[optind]);
  if (ret == 0)
    ret = cgroup_update (t.cgroup, r, &err);
  cgverb_close (&t);
  envrun_resources_free (r);
  return ret < 0 ? cli_fail (g, &err) : 0;
}
