/* cgroup layer: v2 device rules as a BPF_PROG_TYPE_CGROUP_DEVICE program,
   built by hand (a few instructions per rule; no libbpf needed) and
   attached with raw bpf(2).
 *
 * The program sees (type | access << 16, major, minor) and returns 1 to
 * allow.  Rules are tested last to first and the first match decides, so
 * a later rule overrides an earlier one, as writes to v1's devices.allow
 * and devices.deny do.  Nothing matching denies.
 */
#include "config-host.h"

#include "cgroup.h"
#include "cleanup.h"

#include <errno.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define INSN(c, d, s, o, i)                                                   \
  ((struct bpf_insn){                                                         \
      .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LDX_W(d, s, o) INSN (BPF_LDX | BPF_MEM | BPF_W, d, s, o, 0)
#define ALU32_IMM(op, d, i) INSN (BPF_ALU | (op) | BPF_K, d, 0, 0, i)
#define MOV32_REG(d, s) INSN (BPF_ALU | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV64_IMM(d, i) INSN (BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define JNE_IMM(d, i, o) INSN (BPF_JMP | BPF_JNE | BPF_K, d, 0, o, i)
#define JNE_REG(d, s, o) INSN (BPF_JMP | BPF_JNE | BPF_X, d, s, o, 0)
#define EXIT() INSN (BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* At most 7 instructions per rule plus the prologue: bound the program
   far below the kernel's limit whatever the configuration says.  */
#define MAX_RULES 4096

static size_t
rule_len (const struct cgroup_device_rule *r)
{
  return (r->type != 'a') + (r->access != CGROUP_DEV_ALL ? 3 : 0)
         + (r->major >= 0) + (r->minor >= 0) + 2;
}

static bool
unconditional (const struct cgroup_device_rule *r)
{
  return rule_len (r) == 2;
}

static void
emit_rule (const struct cgroup_device_rule *r, struct bpf_insn *p)
{
  int16_t left = (int16_t)rule_len (r);
  size_t i = 0;

  /* each test jumps past the rest of the block (to the next rule):
     offset = instructions remaining after the jump */
#define SKIP() ((int16_t)(left - (int16_t)i - 1))
  if (r->type != 'a')
    {
      p[i] = JNE_IMM (
          BPF_REG_2, r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR,
          0);
      p[i].off = SKIP ();
      i++;
    }
  if (r->access != CGROUP_DEV_ALL)
    {
      /* every access asked for must be one the rule names */
      p[i++] = MOV32_REG (BPF_REG_1, BPF_REG_3);
      p[i++] = ALU32_IMM (BPF_AND, BPF_REG_1, (int32_t)r->access);
      p[i] = JNE_REG (BPF_REG_1, BPF_REG_3, 0);
      p[i].off = SKIP ();
      i++;
    }
  if (r->major >= 0)
    {
      p[i] = JNE_IMM (BPF_REG_4, (int32_t)r->major, 0);
      p[i].off = SKIP ();
      i++;
    }
  if (r->minor >= 0)
    {
      p[i] = JNE_IMM (BPF_REG_5, (int32_t)r->minor, 0);
      p[i].off = SKIP ();
      i++;
    }
#undef SKIP
  p[i++] = MOV64_IMM (BPF_REG_0, r->allow ? 1 : 0);
  p[i] = EXIT ();
}

int
cgroup_bpf_build (const struct cgroup_device_rule *rules, size_t n,
                  void **insns, size_t *n_insns, envrun_error_t *err)
{
  cleanup_free struct bpf_insn *p = NULL;
  size_t len = 6, k = 0;
  bool closed = false;

  if (n > MAX_RULES)
    return envrun_error_set (err, E2BIG,
                             "linux.resources.devices: more"
                             " than %d rules",
                             MAX_RULES);
  for (size_t i = n; i-- > 0;)
    {
      if (rules[i].major > INT32_MAX || rules[i].minor > INT32_MAX)
        return envrun_error_set (err, EINVAL,
                                 "linux.resources.devices:"
                                 " device number out of range");
      len += rule_len (&rules[i]);
      if (unconditional (&rules[i]))
        break;
    }
  p = calloc (len + 2, sizeof *p);
  if (p == NULL)
    return envrun_error_set (err, ENOMEM, "cgroup: device program");
  /* r2 = type, r3 = access, r4 = major, r5 = minor */
  p[k++] = LDX_W (BPF_REG_2, BPF_REG_1, 0);
  p[k++] = ALU32_IMM (BPF_AND, BPF_REG_2, 0xFFFF);
  p[k++] = LDX_W (BPF_REG_3, BPF_REG_1, 0);
  p[k++] = ALU32_IMM (BPF_RSH, BPF_REG_3, 16);
  p[k++] = LDX_W (BPF_REG_4, BPF_REG_1, 4);
  p[k++] = LDX_W (BPF_REG_5, BPF_REG_1, 8);
  /* the verifier refuses unreachable code: stop at a rule that always
     matches */
  for (size_t i = n; i-- > 0 && !closed;)
    {
      emit_rule (&rules[i], p + k);
      k += rule_len (&rules[i]);
      closed = unconditional (&rules[i]);
    }
  if (!closed)
    {
      p[k++] = MOV64_IMM (BPF_REG_0, 0);
      p[k++] = EXIT ();
    }
  *n_insns = k;
  *insns = steal_pointer (&p);
  return 0;
}

static int
sys_bpf (int cmd, union bpf_attr *attr)
{
  return (int)syscall (SYS_bpf, cmd, attr, sizeof *attr);
}

static int
load_program (const struct bpf_insn *insns, size_t n, envrun_error_t *err)
{
  static char log[8192];
  union bpf_attr attr;
  int fd;

  memset (&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t)(uintptr_t)insns;
  attr.insn_cnt = (uint32_t)n;
  attr.license = (uint64_t)(uintptr_t) "GPL";
  attr.log_buf = (uint64_t)(uintptr_t)log;
  attr.log_size = sizeof log;
  attr.log_level = 1;
  log[0] = '\0';
  fd = sys_bpf (BPF_PROG_LOAD, &attr);
  if (fd < 0 && errno == ENOSPC) /* log too small: retry without it */
    {
      attr.log_buf = 0, attr.log_size = 0, attr.log_level = 0;
      fd = sys_bpf (BPF_PROG_LOAD, &attr);
    }
  if (fd < 0)
    return envrun_error_set (err, errno, "load the device program%s%.200s",
                             log[0] ? ": " : "", log);
  return fd; /* bpf() fds are close-on-exec */
}

/* Ids of the device programs attached directly to the cgroup.  */
static int
query_programs (int dirfd, uint32_t *ids, uint32_t *n)
{
  union bpf_attr attr;

  memset (&attr, 0, sizeof attr);
  attr.query.target_fd = (uint32_t)dirfd;
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
  attr.query.prog_cnt = *n;
  if (sys_bpf (BPF_PROG_QUERY, &attr) < 0)
    return -1;
  *n = attr.query.prog_cnt;
  return 0;
}

static void
detach_program (int dirfd, uint32_t id)
{
  union bpf_attr attr;
  int fd;

  memset (&attr, 0, sizeof attr);
  attr.prog_id = id;
  fd = sys_bpf (BPF_PROG_GET_FD_BY_ID, &attr);
  if (fd < 0)
    return;
  memset (&attr, 0, sizeof attr);
  attr.target_fd = (uint32_t)dirfd;
  attr.attach_bpf_fd = (uint32_t)fd;
  attr.attach_type = BPF_CGROUP_DEVICE;
  sys_bpf (BPF_PROG_DETACH, &attr);
  close (fd);
}

int
cgroup_bpf_attach (int dirfd, const struct cgroup_device_rule *rules, size_t n,
                   envrun_error_t *err)
{
  cleanup_free void *insns = NULL;
  cleanup_close int prog = -1;
  uint32_t old[64], n_old = 64;
  union bpf_attr attr;
  size_t n_insns;
  int ret;

  ret = cgroup_bpf_build (rules, n, &insns, &n_insns, err);
  if (ret < 0)
    return ret;
  prog = load_program (insns, n_insns, err);
  if (prog < 0)
    return prog;
  if (query_programs (dirfd, old, &n_old) < 0)
    n_old = 0;
  /* attach the new program before detaching the old ones: programs are
     ANDed, so the container is never without its rules in between */
  memset (&attr, 0, sizeof attr);
  attr.target_fd = (uint32_t)dirfd;
  attr.attach_bpf_fd = (uint32_t)prog;
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (sys_bpf (BPF_PROG_ATTACH, &attr) < 0)
    return envrun_error_set (err, errno, "attach the device program");
  for (uint32_t i = 0; i < n_old && i < 64; i++)
    detach_program (dirfd, old[i]);
  return 0;
}
