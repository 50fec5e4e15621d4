#pragma once
// Size cap for a local cluster's log files. The supervisor's children (mariadbd, agent,
// clone, init, HAProxy, etcd) and the supervisor itself write DIR/*.log and
// DIR/members/NAME/logs/*.log with O_APPEND, forever. A file over the cap is copied to
// FILE.1 (replacing the previous one) and truncated in place ("copytruncate"): the writers
// keep their descriptors, and with O_APPEND their next line lands at the new end. So each log
// takes at most about twice the cap; lines written between the copy and the truncate (a few
// microseconds) are lost, which is the price of not restarting anyone.

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "local/cluster_spec.h"

namespace mysqlset::local {

inline constexpr uint64_t kLogCapBytes = 16ull << 20;  // 16 MiB, plus 16 MiB in FILE.1

// The log files of the cluster in `paths`: DIR/*.log and DIR/members/*/logs/*.log.
std::vector<std::string> ClusterLogFiles(const ClusterPaths& paths);

// Caps one file as above when it is larger than `cap_bytes`. Returns true when it was
// rotated. A missing file is not an error.
Result<bool> CapLogFile(const std::string& path, uint64_t cap_bytes);

// Caps every log of the cluster every `period` on a thread of its own, until destroyed.
// The supervise command runs one beside the supervisor.
class LogCapper {
 public:
  LogCapper(ClusterPaths paths, uint64_t cap_bytes = kLogCapBytes,
            std::chrono::milliseconds period = std::chrono::seconds(10));
  ~LogCapper();
  // Caps everything once (the thread calls this every period).
  void RunOnce();

 private:
  ClusterPaths paths_;
  uint64_t cap_bytes_;
  std::jthread thread_;
};

}  // namespace mysqlset::local
