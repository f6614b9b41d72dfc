/* process.terminal: a pty made inside the container's devpts, its slave
   the controlling terminal of the process, its master handed to the
   runtime and on to --console-socket (containerd, podman) or kept by a
   foreground `run -t`.  */
#ifndef ENVRUN_TERMINAL_H
#define ENVRUN_TERMINAL_H

#include <envrun/config.h>
#include <envrun/error.h>

/* In the container, after pivot_root: returns the master fd; the slave is
   on 0, 1, 2 and is the controlling terminal.  */
int terminal_setup_in_container (const struct envrun_process *p,
                                 envrun_error_t *err);

/* In the runtime: send the master to the AF_UNIX socket at path.  */
int terminal_send_to_socket (const char *path, int master,
                             envrun_error_t *err);

#endif
