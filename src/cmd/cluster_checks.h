#pragma once
// The end-to-end checks `up` and `scale` make before they say "ready", on top of what the
// supervisor reports: each member's agent answers /readyz with 200, and a write through
// HAProxy's write endpoint commits on a server that is not read-only (one row in
// mysqlset.write_probe). Without the second, `up --replicas 1` returned while HAProxy had no
// write server UP yet and the user's first write got ERROR 2013.

#include "common/status.h"
#include "local/cluster_spec.h"

namespace mysqlset::cmd {

// OK, or kUnavailable with one line saying which check failed and why.
Status ConfirmClusterReady(const local::ClusterPaths& paths, const local::ClusterSpec& spec);

}  // namespace mysqlset::cmd
