/* Namespaces: which to create at clone time, which to join by path, and
   the uid/gid maps of a new user namespace.  */
#ifndef ENVRUN_NAMESPACES_H
#define ENVRUN_NAMESPACES_H

#include <envrun/config.h>
#include <envrun/error.h>

#include <stdbool.h>
#include <sys/types.h>

/* CLONE_NEW* flags for the namespaces the config asks to create.  */
int ns_new_flags (const struct envrun_config *cfg);

/* Open every namespace `path` of the config before cloning, so a bad path
   is reported by the runtime and the child only calls setns.  fds[type] is
   -1 for namespaces to create or inherit.  */
int ns_open_paths (const struct envrun_config *cfg, int fds[ENVRUN_NS_COUNT],
                   envrun_error_t *err);
void ns_close_paths (int fds[ENVRUN_NS_COUNT]);

/* In the child: setns into the opened namespaces, user first.  */
int ns_join (int fds[ENVRUN_NS_COUNT], envrun_error_t *err);

/* In the runtime: write /proc/<pid>/{uid_map,gid_map} from the config.  */
int ns_write_id_maps (pid_t pid, const struct envrun_config *cfg,
                      envrun_error_t *err);

/* In the child, after unshare(CLONE_NEWTIME): write the offsets.  */
int ns_write_time_offsets (const struct envrun_config *cfg,
                           envrun_error_t *err);

/* Refuse sysctls outside the container's own namespaces.  */
int ns_validate_sysctls (const struct envrun_config *cfg, envrun_error_t *err);

#endif
