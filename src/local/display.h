#pragma once
// The live display of `up` and `scale`: follows DIR/state.json (and each cloning member's
// progress file) until the supervisor reports the cluster converged, a member fails, the
// supervisor dies, or the timeout passes. On a TTY the member lines are redrawn in place;
// otherwise a line is printed whenever a member's step changes (and clone progress every
// few seconds), so logs stay readable.

#include <sys/types.h>

#include <chrono>
#include <cstdio>

#include "common/status.h"
#include "env/file_system.h"
#include "local/cluster_spec.h"

namespace mysqlset::local {

struct WaitOptions {
  std::chrono::seconds timeout{900};
  bool tty = false;
  FILE* out = stdout;
};

// OK once members 0..replicas-1 are ready and serve behind the read endpoint and none above
// runs. Errors are one line naming the member's log file.
Status WaitForConverged(FileSystem& fs, const ClusterPaths& paths, pid_t supervisor,
                        int replicas, const WaitOptions& options);

// OK once the supervisor process is gone (after `down` signalled it).
Status WaitForSupervisorExit(FileSystem& fs, const ClusterPaths& paths, pid_t supervisor,
                             const WaitOptions& options);

}  // namespace mysqlset::local
