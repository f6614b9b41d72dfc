/* linux.seccomp → a BPF program, compiled with libseccomp in the runtime
   and loaded by the container process right before execve.  */
#include "config-host.h"

#include "cleanup.h"
#include "sha256.h"
/* Ours (src/lib/seccomp.h, through -I src/lib) and, after it, libseccomp's
   own <seccomp.h>: see the end of src/lib/seccomp.h.  */
#define SECCOMP_WANT_LIBSECCOMP 1
#include <seccomp.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

/* The kernel passes at most six syscall arguments.  */
#define SECCOMP_MAX_ARGS 6

struct seccomp_program
{
  struct sock_filter *insns;
  unsigned short n_insns;
  unsigned int flags; /* SECCOMP_FILTER_FLAG_* to load with */
  bool needs_listener;
};

const char *const seccomp_action_names[] = {
  "SCMP_ACT_ALLOW",       "SCMP_ACT_ERRNO",
  "SCMP_ACT_KILL",        "SCMP_ACT_KILL_PROCESS",
  "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",
  "SCMP_ACT_NOTIFY",      "SCMP_ACT_TRACE",
  "SCMP_ACT_TRAP",        NULL,
};

const char *const seccomp_operator_names[] = {
  "SCMP_CMP_EQ", "SCMP_CMP_GE",        "SCMP_CMP_GT", "SCMP_CMP_LE",
  "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE", NULL,
};

/* The architectures libseccomp 2.5 knows; the part after SCMP_ARCH_,
   lower-cased, is libseccomp's own name for each.  */
const char *const seccomp_arch_names[] = {
  "SCMP_ARCH_AARCH64",   "SCMP_ARCH_ARM",
  "SCMP_ARCH_MIPS",      "SCMP_ARCH_MIPS64",
  "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL",
  "SCMP_ARCH_MIPSEL64",  "SCMP_ARCH_MIPSEL64N32",
  "SCMP_ARCH_PARISC",    "SCMP_ARCH_PARISC64",
  "SCMP_ARCH_PPC",       "SCMP_ARCH_PPC64",
  "SCMP_ARCH_PPC64LE",   "SCMP_ARCH_RISCV64",
  "SCMP_ARCH_S390",      "SCMP_ARCH_S390X",
  "SCMP_ARCH_X32",       "SCMP_ARCH_X86",
  "SCMP_ARCH_X86_64",    NULL,
};

struct seccomp_flag
{
  const char *name;
  unsigned long value;
};

/* TSYNC is accepted and ignored, as runc does: the container process is
   single-threaded when the filter is loaded.  */
static const struct seccomp_flag seccomp_flags[] = {
  { "SECCOMP_FILTER_FLAG_TSYNC", 0 },
  { "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
  { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
  { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
    SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV },
};

const char *const seccomp_flag_names[] = {
  "SECCOMP_FILTER_FLAG_TSYNC",
  "SECCOMP_FILTER_FLAG_LOG",
  "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
  "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
  NULL,
};

static void
cleanup_scmp_ctx (scmp_filter_ctx *ctx)
{
  if (*ctx)
    seccomp_release (*ctx);
}
#define cleanup_scmp __attribute__ ((cleanup (cleanup_scmp_ctx)))

static void
cleanup_programp (struct seccomp_program **p)
{
  seccomp_program_free (*p);
}
#define cleanup_program __attribute__ ((cleanup (cleanup_programp)))

void
seccomp_program_free (struct seccomp_program *p)
{
  if (p == NULL)
    return;
  free (p->insns);
  free (p);
}

bool
seccomp_program_needs_listener (const struct seccomp_program *p)
{
  return p && p->needs_listener;
}

size_t
seccomp_program_size (const struct seccomp_program *p)
{
  return p ? p->n_insns : 0;
}

/* Probe a filter flag the way runc and crun do: the kernel validates the
   flags before it copies the program, so a NULL program gives EFAULT for
   a known flag and EINVAL for an unknown one.  */
static bool
seccomp_kernel_has_flag (unsigned long flag)
{
  if (syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, flag, NULL) == 0)
    return true; /* cannot happen with a NULL program */
  return errno == EFAULT;
}

static const struct seccomp_flag *
seccomp_flag_lookup (const char *name)
{
  for (size_t i = 0; i < sizeof seccomp_flags / sizeof seccomp_flags[0]; i++)
    if (strcmp (seccomp_flags[i].name, name) == 0)
      return &seccomp_flags[i];
  return NULL;
}

bool
seccomp_flag_supported (const char *name)
{
  const struct seccomp_flag *f = seccomp_flag_lookup (name);

  if (f == NULL)
    return false;
  if (f->value == 0)
    return true;
  /* WAIT_KILLABLE_RECV is only valid together with NEW_LISTENER.  */
  if (f->value == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
    return seccomp_kernel_has_flag (f->value
                                    | SECCOMP_FILTER_FLAG_NEW_LISTENER);
  return seccomp_kernel_has_flag (f->value);
}

/* "SCMP_ACT_ERRNO" + errnoRet → libseccomp action.  `path` names the
   field in messages.  */
static int
seccomp_parse_action (const char *name, bool has_errno, unsigned int errno_ret,
                      const char *path, uint32_t *out, envrun_error_t *err)
{
  if (name == NULL)
    return envrun_error_set (err, 0, "%s: missing action", path);
  if (strcmp (name, "SCMP_ACT_ERRNO") == 0
      || strcmp (name, "SCMP_ACT_TRACE") == 0)
    {
      /* Both default to EPERM when no errnoRet is given, as in runc.  */
      unsigned int e = has_errno ? errno_ret : EPERM;
      if (e > 0xffff)
        return envrun_error_set (err, 0, "%s: errno %u out of range", path, e);
      *out = name[9] == 'E' ? SCMP_ACT_ERRNO (e) : SCMP_ACT_TRACE (e);
      return 0;
    }
  if (strcmp (name, "SCMP_ACT_KILL") == 0
      || strcmp (name, "SCMP_ACT_KILL_THREAD") == 0)
    *out = SCMP_ACT_KILL_THREAD;
  else if (strcmp (name, "SCMP_ACT_KILL_PROCESS") == 0)
    *out = SCMP_ACT_KILL_PROCESS;
  else if (strcmp (name, "SCMP_ACT_TRAP") == 0)
    *out = SCMP_ACT_TRAP;
  else if (strcmp (name, "SCMP_ACT_ALLOW") == 0)
    *out = SCMP_ACT_ALLOW;
  else if (strcmp (name, "SCMP_ACT_LOG") == 0)
    *out = SCMP_ACT_LOG;
  else if (strcmp (name, "SCMP_ACT_NOTIFY") == 0)
    *out = SCMP_ACT_NOTIFY;
  else
    return envrun_error_set (err, 0, "%s: unknown action \"%s\"", path, name);
  /* The spec: an errnoRet on an action that returns no errno is an
     error, not something to ignore silently.  */
  if (has_errno)
    return envrun_error_set (err, 0,
                             "%s: errnoRet is only valid with "
                             "SCMP_ACT_ERRNO and SCMP_ACT_TRACE",
                             path);
  return 0;
}

static int
seccomp_parse_op (enum envrun_seccomp_op op, enum scmp_compare *out)
{
  switch (op)
    {
    case ENVRUN_SCMP_NE:
      *out = SCMP_CMP_NE;
      return 0;
    case ENVRUN_SCMP_LT:
      *out = SCMP_CMP_LT;
      return 0;
    case ENVRUN_SCMP_LE:
      *out = SCMP_CMP_LE;
      return 0;
    case ENVRUN_SCMP_EQ:
      *out = SCMP_CMP_EQ;
      return 0;
    case ENVRUN_SCMP_GE:
      *out = SCMP_CMP_GE;
      return 0;
    case ENVRUN_SCMP_GT:
      *out = SCMP_CMP_GT;
      return 0;
    case ENVRUN_SCMP_MASKED_EQ:
      *out = SCMP_CMP_MASKED_EQ;
      return 0;
    }
  return -1;
}

static int
seccomp_add_archs (scmp_filter_ctx ctx, const struct envrun_seccomp *s,
                   envrun_error_t *err)
{
  for (size_t i = 0; i < s->n_architectures; i++)
    {
      const char *name = s->architectures[i];
      char lower[32];
      uint32_t arch;
      size_t j;
      int ret;

      if (name == NULL || strncmp (name, "SCMP_ARCH_", 10) != 0
          || strlen (name + 10) >= sizeof lower)
        goto unknown;
      for (j = 0; name[10 + j]; j++)
        lower[j] = tolower ((unsigned char)name[10 + j]);
      lower[j] = '\0';
      arch = seccomp_arch_resolve_name (lower);
      if (arch == 0)
        goto unknown;
      ret = seccomp_arch_add (ctx, arch);
      if (ret < 0 && ret != -EEXIST)
        return envrun_error_set (err, -ret,
                                 ".linux.seccomp.architectures[%zu]: "
                                 "adding %s",
                                 i, name);
      continue;
    unknown:
      return envrun_error_set (err, 0,
                               ".linux.seccomp.architectures[%zu]: unknown "
                               "architecture \"%s\"",
                               i, name ? name : "(null)");
    }
  return 0;
}

static int
seccomp_parse_flags (const struct envrun_seccomp *s, unsigned int *out,
                     envrun_error_t *err)
{
  unsigned int flags = 0;

  for (size_t i = 0; i < s->n_flags; i++)
    {
      const struct seccomp_flag *f
          = s->flags[i] ? seccomp_flag_lookup (s->flags[i]) : NULL;

      if (f == NULL)
        return envrun_error_set (err, 0,
                                 ".linux.seccomp.flags[%zu]: unknown flag "
                                 "\"%s\"",
                                 i, s->flags[i] ? s->flags[i] : "(null)");
      if (!seccomp_flag_supported (f->name))
        return envrun_error_set (err, EINVAL,
                                 ".linux.seccomp.flags[%zu]: %s is not "
                                 "supported by this kernel",
                                 i, f->name);
      flags |= f->value;
    }
  *out = flags;
  return 0;
}

/* runc's semantics for several conditions: when every condition tests a
   different argument they are ANDed in one rule; when two test the same
   argument, each condition becomes a rule of its own (ORed), since one
   libseccomp rule cannot compare an argument twice.  */
static int
seccomp_add_syscall (scmp_filter_ctx ctx, int nr, uint32_t action,
                     const struct scmp_arg_cmp *cmps, size_t n_cmps,
                     bool separate)
{
  if (n_cmps == 0 || !separate)
    return seccomp_rule_add_array (ctx, action, nr, n_cmps, cmps);
  for (size_t i = 0; i < n_cmps; i++)
    {
      int ret = seccomp_rule_add_array (ctx, action, nr, 1, &cmps[i]);
      if (ret < 0)
        return ret;
    }
  return 0;
}

static int
seccomp_rule_conditions (const struct envrun_seccomp_rule *r, size_t ri,
                         struct scmp_arg_cmp **out, bool *separate,
                         envrun_error_t *err)
{
  cleanup_free struct scmp_arg_cmp *cmps = NULL;
  unsigned int seen[SECCOMP_MAX_ARGS] = { 0 };

  *separate = false;
  if (r->n_args == 0)
    {
      *out = NULL;
      return 0;
    }
  cmps = calloc (r->n_args, sizeof *cmps);
  if (cmps == NULL)
    return envrun_error_set (err, ENOMEM, "seccomp rule");
  for (size_t i = 0; i < r->n_args; i++)
    {
      const struct envrun_seccomp_arg *a = &r->args[i];
      enum scmp_compare op;

      if (a->index >= SECCOMP_MAX_ARGS)
        return envrun_error_set (err, 0,
                                 ".linux.seccomp.syscalls[%zu].args[%zu]."
                                 "index: must be below %d",
                                 ri, i, SECCOMP_MAX_ARGS);
      if (seccomp_parse_op (a->op, &op) < 0)
        return envrun_error_set (err, 0,
                                 ".linux.seccomp.syscalls[%zu].args[%zu].op: "
                                 "unknown operator",
                                 ri, i);
      if (seen[a->index]++)
        *separate = true;
      cmps[i].arg = a->index;
      cmps[i].op = op;
      cmps[i].datum_a = a->value;
      cmps[i].datum_b = a->value_two;
    }
  *out = steal_pointer (&cmps);
  return 0;
}

static int
seccomp_add_rule (scmp_filter_ctx ctx, const struct envrun_seccomp_rule *r,
                  size_t ri, uint32_t default_action, bool *notify,
                  envrun_error_t *err)
{
  cleanup_free struct scmp_arg_cmp *cmps = NULL;
  char path[64];
  uint32_t action;
  bool separate;
  int ret;

  snprintf (path, sizeof path, ".linux.seccomp.syscalls[%zu].action", ri);
  ret = seccomp_parse_action (r->action, r->has_errno_ret, r->errno_ret, path,
                              &action, err);
  if (ret < 0)
    return ret;
  ret = seccomp_rule_conditions (r, ri, &cmps, &separate, err);
  if (ret < 0)
    return ret;
  /* libseccomp refuses a rule that repeats the default action; runc skips
     it, and so do we: it would change nothing.  */
  if (action == default_action)
    return 0;
  for (size_t i = 0; i < r->n_names; i++)
    {
      int nr = r->names[i] ? seccomp_syscall_resolve_name (r->names[i])
                           : __NR_SCMP_ERROR;

      /* Unknown to this architecture (or to this libseccomp): skipped,
         as runc does, so one profile serves old and new kernels.  */
      if (nr == __NR_SCMP_ERROR)
        continue;
      ret = seccomp_add_syscall (ctx, nr, action, cmps, r->n_args, separate);
      if (ret < 0)
        return envrun_error_set (err, -ret,
                                 ".linux.seccomp.syscalls[%zu].names[%zu]: "
                                 "adding a rule for \"%s\"",
                                 ri, i, r->names[i]);
    }
  if (action == SCMP_ACT_NOTIFY && r->n_names > 0)
    *notify = true;
  return 0;
}

/* libseccomp 2.5 can only export to an fd; a memfd keeps it in memory.  */
static int
seccomp_export (scmp_filter_ctx ctx, struct seccomp_program *p,
                envrun_error_t *err)
{
  cleanup_close int fd = memfd_create ("envrun-seccomp", MFD_CLOEXEC);
  struct stat st;
  ssize_t n;
  int ret;

  if (fd < 0)
    return envrun_error_set (err, errno, "seccomp: memfd_create");
  ret = seccomp_export_bpf (ctx, fd);
  if (ret < 0)
    return envrun_error_set (err, -ret, "seccomp: exporting the filter");
  if (fstat (fd, &st) < 0)
    return envrun_error_set (err, errno, "seccomp: fstat");
  if (st.st_size <= 0 || st.st_size % sizeof (struct sock_filter) != 0
      || st.st_size / sizeof (struct sock_filter) > BPF_MAXINSNS)
    return envrun_error_set (err, E2BIG,
                             "seccomp: the filter has %lld bytes, more than "
                             "the kernel's %d instructions",
                             (long long)st.st_size, BPF_MAXINSNS);
  p->insns = malloc (st.st_size);
  if (p->insns == NULL)
    return envrun_error_set (err, ENOMEM, "seccomp: filter");
  n = pread (fd, p->insns, st.st_size, 0);
  if (n != st.st_size)
    return envrun_error_set (err, n < 0 ? errno : EIO,
                             "seccomp: reading the exported filter");
  p->n_insns = st.st_size / sizeof (struct sock_filter);
  return 0;
}

static int
seccomp_new_context (const struct envrun_seccomp *s, uint32_t *default_action,
                     scmp_filter_ctx *out, envrun_error_t *err)
{
  scmp_filter_ctx ctx;
  int ret;

  ret = seccomp_parse_action (
      s->default_action, s->has_default_errno_ret, s->default_errno_ret,
      ".linux.seccomp.defaultAction", default_action, err);
  if (ret < 0)
    return ret;
  if (*default_action == SCMP_ACT_NOTIFY)
    return envrun_error_set (err, 0,
                             ".linux.seccomp.defaultAction: SCMP_ACT_NOTIFY "
                             "cannot be the default action");
  ctx = seccomp_init (*default_action);
  if (ctx == NULL)
    return envrun_error_set (err, EINVAL,
                             ".linux.seccomp.defaultAction: %s is not "
                             "supported by this kernel",
                             s->default_action);
  /* We load the program ourselves: no_new_privs is the core's business.
     libseccomp's binary-tree optimisation (SCMP_FLTATR_CTL_OPTIMIZE 2) is
     left off: it made compiling the default profile 50% slower (13 ms vs
     9 ms for three architectures), paid on every container start.  */
  seccomp_attr_set (ctx, SCMP_FLTATR_CTL_NNP, 0);
  *out = ctx;
  return 0;
}

int
seccomp_program_build (const struct envrun_seccomp *s,
                       struct seccomp_program **out, envrun_error_t *err)
{
  cleanup_scmp scmp_filter_ctx ctx = NULL;
  cleanup_program struct seccomp_program *p = NULL;
  uint32_t default_action;
  int ret;

  p = calloc (1, sizeof *p);
  if (p == NULL)
    return envrun_error_set (err, ENOMEM, "seccomp");
  ret = seccomp_new_context (s, &default_action, &ctx, err);
  if (ret < 0)
    return ret;
  ret = seccomp_parse_flags (s, &p->flags, err);
  if (ret < 0)
    return ret;
  ret = seccomp_add_archs (ctx, s, err);
  if (ret < 0)
    return ret;
  for (size_t i = 0; i < s->n_syscalls; i++)
    {
      ret = seccomp_add_rule (ctx, &s->syscalls[i], i, default_action,
                              &p->needs_listener, err);
      if (ret < 0)
        return ret;
    }
  ret = seccomp_export (ctx, p, err);
  if (ret < 0)
    return ret;
  /* WAIT_KILLABLE_RECV only means something for a listener, and the
     kernel refuses it without one.  */
  if (!p->needs_listener)
    p->flags &= ~SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
  *out = steal_pointer (&p);
  return 0;
}

int
seccomp_program_install (const struct seccomp_program *p, int *listener_fd,
                         envrun_error_t *err)
{
  struct sock_fprog prog = { .len = p->n_insns, .filter = p->insns };
  unsigned long flags = p->flags;
  long ret;

  if (listener_fd)
    *listener_fd = -1;
  if (p->needs_listener)
    {
      if (listener_fd == NULL)
        return envrun_error_set (err, EINVAL,
                                 "seccomp: the profile has SCMP_ACT_NOTIFY "
                                 "rules but nobody takes the listener");
      flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    }
  ret = syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
  if (ret < 0)
    return envrun_error_set (err, errno, "seccomp: loading the filter");
  if (p->needs_listener)
    *listener_fd = (int)ret;
  return 0;
}

/* ---- The compiled-filter cache ----------------------------------------
   libseccomp needs about 10 ms for Docker's profile on three
   architectures; the BPF it produces depends only on the profile, the
   libseccomp version and the kernel (flag probing), so it is kept under a
   root-only directory keyed by a hash of those.  A cache entry is trusted
   only if the directory and the file are owned by us and not writable by
   others: a planted filter would silently weaken the sandbox.  */

#define CACHE_MAGIC 0x45525343u /* "ERSC" */

struct cache_header
{
  uint32_t magic;
  uint32_t flags;
  uint32_t needs_listener;
  uint32_t n_insns;
};

static void
hash_str (struct sha256 *h, const char *s)
{
  uint32_t len = s ? (uint32_t) strlen (s) + 1 : 0;
  sha256_update (h, &len, sizeof len);
  if (s)
    sha256_update (h, s, len);
}

static void
hash_strv (struct sha256 *h, char *const *v, size_t n)
{
  sha256_update (h, &n, sizeof n);
  for (size_t i = 0; i < n; i++)
    hash_str (h, v[i]);
}

static void
hash_profile (const struct envrun_seccomp *s, char hex[65])
{
  struct sha256 h;
  struct utsname u;
  const struct scmp_version *v = seccomp_version ();

  sha256_init (&h);
  hash_str (&h, "envrun-seccomp-cache-1");
  if (v)
    sha256_update (&h, v, sizeof *v);
  if (uname (&u) == 0)
    hash_str (&h, u.release);
  hash_str (&h, s->default_action);
  sha256_update (&h, &s->has_default_errno_ret, sizeof (bool));
  sha256_update (&h, &s->default_errno_ret, sizeof (unsigned int));
  hash_strv (&h, s->architectures, s->n_architectures);
  hash_strv (&h, s->flags, s->n_flags);
  hash_str (&h, s->listener_path);
  sha256_update (&h, &s->n_syscalls, sizeof s->n_syscalls);
  for (size_t i = 0; i < s->n_syscalls; i++)
    {
      const struct envrun_seccomp_rule *r = &s->syscalls[i];
      hash_strv (&h, r->names, r->n_names);
      hash_str (&h, r->action);
      sha256_update (&h, &r->has_errno_ret, sizeof (bool));
      sha256_update (&h, &r->errno_ret, sizeof (unsigned int));
      sha256_update (&h, &r->n_args, sizeof r->n_args);
      for (size_t j = 0; j < r->n_args; j++)
        {
          const struct envrun_seccomp_arg *a = &r->args[j];
          sha256_update (&h, &a->index, sizeof a->index);
          sha256_update (&h, &a->value, sizeof a->value);
          sha256_update (&h, &a->value_two, sizeof a->value_two);
          sha256_update (&h, &a->op, sizeof a->op);
        }
    }
  sha256_final_hex (&h, hex);
}

static bool
trusted (int fd)
{
  struct stat st;
  return fstat (fd, &st) == 0 && st.st_uid == geteuid ()
         && (st.st_mode & 022) == 0;
}

static int
cache_load (int dirfd, const char *name, struct seccomp_program **out)
{
  cleanup_close int fd = openat (dirfd, name, O_RDONLY | O_CLOEXEC
                                                  | O_NOFOLLOW);
  struct cache_header hd;
  struct seccomp_program *p;

  if (fd < 0 || !trusted (fd) || read (fd, &hd, sizeof hd) != sizeof hd
      || hd.magic != CACHE_MAGIC || hd.n_insns == 0
      || hd.n_insns > BPF_MAXINSNS)
    return -1;
  p = calloc (1, sizeof *p);
  if (p == NULL)
    return -1;
  p->insns = calloc (hd.n_insns, sizeof *p->insns);
  size_t len = hd.n_insns * sizeof *p->insns;
  if (p->insns == NULL || read (fd, p->insns, len) != (ssize_t) len)
    {
      seccomp_program_free (p);
      return -1;
    }
  p->n_insns = (unsigned short) hd.n_insns;
  p->flags = hd.flags;
  p->needs_listener = hd.needs_listener != 0;
  *out = p;
  return 0;
}

static void
cache_store (int dirfd, const char *name, const struct seccomp_program *p)
{
  struct cache_header hd = { CACHE_MAGIC, p->flags, p->needs_listener,
                             p->n_insns };
  char tmp[96];
  size_t len = p->n_insns * sizeof *p->insns;

  snprintf (tmp, sizeof tmp, ".%s.%d", name, (int) getpid ());
  cleanup_close int fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL
                                                 | O_CLOEXEC | O_NOFOLLOW,
                                 0600);
  if (fd < 0)
    return;
  if (write (fd, &hd, sizeof hd) != sizeof hd
      || write (fd, p->insns, len) != (ssize_t) len
      || renameat (dirfd, tmp, dirfd, name) < 0)
    unlinkat (dirfd, tmp, 0);
}

int
seccomp_program_build_cached (const struct envrun_seccomp *s,
                              const char *cache_dir,
                              struct seccomp_program **out,
                              envrun_error_t *err)
{
  char name[65];
  cleanup_close int dirfd = -1;

  if (cache_dir == NULL)
    return seccomp_program_build (s, out, err);
  if (mkdir (cache_dir, 0700) < 0 && errno != EEXIST)
    return seccomp_program_build (s, out, err);
  dirfd = open (cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (dirfd < 0 || !trusted (dirfd))
    return seccomp_program_build (s, out, err);
  hash_profile (s, name);
  if (cache_load (dirfd, name, out) == 0)
    return 0;
  if (seccomp_program_build (s, out, err) < 0)
    return -1;
  cache_store (dirfd, name, *out);
  return 0;
}
