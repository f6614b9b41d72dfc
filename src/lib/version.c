#include "config-host.h"

#define SECCOMP_WANT_LIBSECCOMP 1
#include <seccomp.h>

#include <envrun/spec.h>
#include <envrun/version.h>

#include <stdio.h>

const char *
envrun_version_text (void)
{
  static char buf[256];
  const struct scmp_version *v = seccomp_version ();

  snprintf (buf, sizeof buf,
            "envrun version %s\ncommit: %s\nspec: %s\nlibseccomp: %u.%u.%u",
            PACKAGE_VERSION, PACKAGE_VERSION, ENVRUN_OCI_VERSION,
            v ? v->major : 0, v ? v->minor : 0, v ? v->micro : 0);
  return buf;
}
