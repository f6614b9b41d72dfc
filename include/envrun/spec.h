/* envrun — `spec` and `features`: what a new bundle gets by default and
 * what this build of the runtime supports.
 */
#ifndef ENVRUN_SPEC_H
#define ENVRUN_SPEC_H

#include <envrun/error.h>

#include <stdbool.h>

/* The version of the OCI runtime specification envrun implements; written
   as ociVersion by `spec` and in the messages it sends.  */
#define ENVRUN_OCI_VERSION "1.2.0"
/* The oldest config.json version it accepts.  */
#define ENVRUN_OCI_VERSION_MIN "1.0.0"

/* The default config.json, as `runc spec` (`runc spec --rootless` when
   `rootless`) writes it: same namespaces, mounts, masked and read-only
   paths, capabilities and rlimits, so bundles move between the two
   runtimes unchanged.  Rootless maps the caller's effective uid and gid to
   0.  *out is malloc'd JSON indented with tabs, without a final newline,
   byte for byte what `runc spec` writes apart from ociVersion and
   hostname.  */
int envrun_spec_json (bool rootless, char **out, envrun_error_t *err);

/* The OCI "features" document (features-linux.md) for this build and
   running kernel.  *out is malloc'd JSON indented like `runc features`
   (four spaces), without a final newline.  */
int envrun_features_json (char **out, envrun_error_t *err);

#endif
