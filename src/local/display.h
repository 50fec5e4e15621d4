#pragma once
// The live display of `up` and `scale`: follows DIR/state.json (and each cloning member's
// progress file) until the supervisor reports the cluster converged, a member fails, the
// supervisor dies, or the timeout passes. On a TTY the member lines are redrawn in place;
// otherwise a line is printed whenever a member's step changes (and clone progress every
// few seconds), so logs stay readable.

#include <sys/types.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>

#include "common/status.h"
#include "env/file_system.h"
#include "local/cluster_spec.h"

namespace mysqlset::local {

struct WaitOptions {
  std::chrono::seconds timeout{900};
  bool tty = false;
  FILE* out = stdout;
  // The request, as "superseded" messages name it: "scale to 4".
  std::string what = "up";
  // Called once the supervisor reports convergence; until it returns OK the wait goes on
  // (its reason is shown and, at the timeout, returned), so the command's own end-to-end
  // checks (every member's /readyz, a write through the write endpoint) gate success.
  std::function<Status()> confirm;
};

// OK once members 0..replicas-1 are ready and serve behind the read endpoint, none above
// runs, and `confirm` agrees, all seen after this call started (see wait_verdict.h: a
// state observed earlier, or from a supervisor that stopped writing heartbeats, never
// counts). Errors are one line: a member's error naming its log file; kUnavailable when the
// supervisor is not responding; kCancelled when cluster.json was changed to another size
// meanwhile ("scale to 4 superseded by scale to 3"); kDeadlineExceeded.
Status WaitForConverged(FileSystem& fs, const ClusterPaths& paths, pid_t supervisor, int replicas,
                        const WaitOptions& options);

// OK once the supervisor process is gone (after `down` signalled it).
Status WaitForSupervisorExit(FileSystem& fs, const ClusterPaths& paths, pid_t supervisor,
                             const WaitOptions& options);

}  // namespace mysqlset::local
