/* Seccomp filters for the container process (linux.seccomp).
 *
 * The filter is compiled with libseccomp in the runtime, BEFORE the
 * container process is cloned: errors in the profile are reported while we
 * can still say which field is wrong, and the child only has to hand a
 * ready BPF program to the kernel right before execve (no libseccomp, no
 * malloc after clone).  */
#ifndef ENVRUN_SECCOMP_H
#define ENVRUN_SECCOMP_H

#include <envrun/config.h>
#include <envrun/error.h>

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct seccomp_program; /* a compiled filter: BPF instructions + flags */

/* Compile `s` (linux.seccomp) into *out.  Syscall names this architecture
   does not know are skipped, as runc does; unknown actions, operators,
   architectures or flags, and flags the running kernel lacks, are refused
   with a message naming the field (".linux.seccomp.syscalls[3].action: …").
   *out is untouched on failure.  */
int seccomp_program_build (const struct envrun_seccomp *s,
                           struct seccomp_program **out, envrun_error_t *err);

/* Load the filter into the calling thread: seccomp(SECCOMP_SET_MODE_FILTER).
   The caller must have set no_new_privs or hold CAP_SYS_ADMIN in its user
   namespace.  When the profile has an SCMP_ACT_NOTIFY rule the filter is
   loaded with SECCOMP_FILTER_FLAG_NEW_LISTENER and the listener fd (close
   on exec) is stored in *listener_fd, else *listener_fd is -1 (may be NULL
   when !seccomp_program_needs_listener).  Allocates nothing on success:
   safe to call in the container process right before execve.  */
int seccomp_program_install (const struct seccomp_program *p, int *listener_fd,
                             envrun_error_t *err);

/* The same through a cache of compiled filters in `cache_dir` (created
   0700; NULL: no cache), keyed by a hash of the profile, the libseccomp
   version and the kernel release.  */
int seccomp_program_build_cached (const struct envrun_seccomp *s,
                                  const char *cache_dir,
                                  struct seccomp_program **out,
                                  envrun_error_t *err);

bool seccomp_program_needs_listener (const struct seccomp_program *p);

/* Number of BPF instructions (for tests and debugging).  */
size_t seccomp_program_size (const struct seccomp_program *p);

void seccomp_program_free (struct seccomp_program *p);

/* Send the listener fd with SCM_RIGHTS, together with the OCI
   "containerProcessState" JSON (ociVersion, fds ["seccompFd"], pid,
   metadata, state), to the AF_UNIX socket at `listener_path`
   (linux.seccomp.listenerPath).  `state_json` is the container's state
   object as `envrun state` prints it; `metadata` may be NULL.  */
int seccomp_notify_send (const char *listener_path, int listener_fd,
                         const char *metadata, const char *state_json,
                         pid_t pid, envrun_error_t *err);

/* What this build understands, NULL-terminated, for `features`.  */
extern const char *const seccomp_action_names[];
extern const char *const seccomp_operator_names[];
extern const char *const seccomp_arch_names[];
extern const char *const seccomp_flag_names[];

/* Whether the running kernel accepts the named SECCOMP_FILTER_FLAG_*.  */
bool seccomp_flag_supported (const char *name);

/* The built-in Docker-like default profile (data/seccomp-default.json,
   embedded in the binary at build time).  */
extern const char seccomp_default_json[];
extern const size_t seccomp_default_json_len;

/* Parse the built-in default profile.  Free with envrun_seccomp_free.  */
int seccomp_default_profile (struct envrun_seccomp **out, envrun_error_t *err);

#endif

/* This header shadows libseccomp's <seccomp.h> for anything compiled with
   -I src/lib.  A file that needs libseccomp itself defines
   SECCOMP_WANT_LIBSECCOMP and includes <seccomp.h> (angle brackets, so this
   file is found through the include path and #include_next goes on to the
   directories after src/lib, where libseccomp's header is).  */
#if defined(SECCOMP_WANT_LIBSECCOMP) && !defined(_SECCOMP_H)
#include_next <seccomp.h>
#endif
