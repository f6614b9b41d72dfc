/* envrun — the version text `envrun --version` prints, in runc's format
   (orchestrators parse its first line).  */
#ifndef ENVRUN_VERSION_H
#define ENVRUN_VERSION_H

/* Static storage; never NULL.  */
const char *envrun_version_text (void);

#endif
