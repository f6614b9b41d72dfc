/* The five capability sets of the container process, through libcap.  */
#include "config-host.h"

#include "process.h"

#include <errno.h>
#include <stdbool.h>
#include <sys/capability.h>
#include <sys/prctl.h>

static bool
in_list (const int *caps, size_t n, int cap)
{
  for (size_t i = 0; i < n; i++)
    if (caps[i] == cap)
      return true;
  return false;
}

int
capabilities_drop_bounding (const struct envrun_capabilities *c,
                            envrun_error_t *err)
{
  int last = (int) cap_max_bits () - 1;

  /* No capabilities object at all: nothing is granted.  */
  for (int cap = 0; cap <= last; cap++)
    {
      if (c && in_list (c->bounding, c->n_bounding, cap))
        continue;
      if (prctl (PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
        return envrun_error_set (err, errno,
                                 "drop capability %d from the bounding set",
                                 cap);
    }
  return 0;
}

static int
set_flag (cap_t caps, cap_flag_t flag, const int *list, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      cap_value_t v = list[i];
      if (cap_set_flag (caps, flag, 1, &v, CAP_SET) < 0)
        return -1;
    }
  return 0;
}

int
capabilities_apply (const struct envrun_capabilities *c, envrun_error_t *err)
{
  cap_t caps = cap_init ();
  int ret = 0;

  if (caps == NULL)
    return envrun_error_set (err, errno, "capabilities");
  if (c
      && (set_flag (caps, CAP_EFFECTIVE, c->effective, c->n_effective) < 0
          || set_flag (caps, CAP_PERMITTED, c->permitted, c->n_permitted) < 0
          || set_flag (caps, CAP_INHERITABLE, c->inheritable,
                       c->n_inheritable)
                 < 0))
    ret = envrun_error_set (err, errno, "build the capability sets");
  if (ret == 0 && cap_set_proc (caps) < 0)
    ret = envrun_error_set (err, errno, "set the capability sets");
  cap_free (caps);
  if (ret < 0)
    return ret;
  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0
      && errno != EINVAL)
    return envrun_error_set (err, errno, "clear the ambient set");
  /* The kernel refuses an ambient capability that is not also permitted
     and inheritable; runc's default spec asks for such ones and runc goes
     on without them, so do we.  */
  for (size_t i = 0; c && i < c->n_ambient; i++)
    if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c->ambient[i], 0, 0) < 0
        && errno != EPERM)
      return envrun_error_set (err, errno,
                               "raise ambient capability %d", c->ambient[i]);
  return 0;
}
