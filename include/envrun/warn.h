/* envrun — where the library's warnings go (a poststop hook that failed,
   cgroups skipped for a rootless user).  The library never prints.  */
#ifndef ENVRUN_WARN_H
#define ENVRUN_WARN_H

typedef void (*envrun_warning_handler) (const char *msg);
void envrun_set_warning_handler (envrun_warning_handler fn);

#endif
