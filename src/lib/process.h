/* The last steps of the container process before execve: limits,
   identity, capabilities, environment and the program lookup.  */
#ifndef ENVRUN_PROCESS_H
#define ENVRUN_PROCESS_H

#include <envrun/config.h>
#include <envrun/error.h>

#include <stdbool.h>

/* rlimits, oomScoreAdj, personality, scheduler, ioPriority: while still
   privileged.  */
int process_apply_limits (const struct envrun_process *p,
                          const struct envrun_config *cfg,
                          envrun_error_t *err);

/* sysctls (after /proc is the container's), hostname, domainname.  */
int process_apply_sysctl (const struct envrun_config *cfg,
                          envrun_error_t *err);
int process_apply_uts (const struct envrun_config *cfg, bool new_uts,
                       envrun_error_t *err);

/* Groups, gid, uid, keeping the capabilities the config asks for, then the
   five capability sets.  */
int process_apply_identity (const struct envrun_process *p,
                            envrun_error_t *err);

/* The bounding set drop (needs CAP_SETPCAP, so before the uid change).  */
int capabilities_drop_bounding (const struct envrun_capabilities *c,
                                envrun_error_t *err);
/* Effective, permitted, inheritable, then ambient.  */
int capabilities_apply (const struct envrun_capabilities *c,
                        envrun_error_t *err);

/* Find args[0] through the PATH of the process's own environment.
   Returns a malloc'd path or NULL with errno ENOENT/EACCES in err.  */
char *process_find_program (const struct envrun_process *p,
                            envrun_error_t *err);

/* Make every fd >= 3 + preserve close on exec.  */
int process_close_fds (unsigned int preserve, envrun_error_t *err);

#endif
