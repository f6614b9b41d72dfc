/* cgroup layer: statistics in runc's `events --stats` shape, and OOM
   notifications.  */
#include "config-host.h"

#include "cgroup.h"
#include "cleanup.h"
#include "json.h"

#include <errno.h>

int
cgroup_stats_json (const struct cgroup_handle *h, struct json_gen *g,
                   envrun_error_t *err)
{
  return envrun_error_set (err, ENOSYS, "cgroup: stats not implemented yet");
}
