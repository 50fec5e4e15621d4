#pragma once
// The data directory's file system, read (statvfs) every few seconds on a thread of its own.
// A hung file system (a hard NFS mount, a detached cloud volume) then blocks only that
// thread: /v1/status and /metrics, whose HTTP workers also serve /v1/switchover and
// /v1/drain, read the last value, which turns unknown once it is older than max_age.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include "core/disk_space.h"

namespace mysqlset {

class VolumeWatcher {
 public:
  using Read = std::function<std::optional<VolumeSpace>()>;
  // Starts reading at once, then every `period`.
  VolumeWatcher(Read read, std::chrono::milliseconds period, std::chrono::milliseconds max_age);
  // Stops the thread without waiting for a read that hangs (the thread is detached: it
  // ends at its next wake-up, or with the process).
  ~VolumeWatcher();
  VolumeWatcher(const VolumeWatcher&) = delete;
  VolumeWatcher& operator=(const VolumeWatcher&) = delete;

  // The last read if it is at most max_age old; nullopt before the first read, when the read
  // failed, or when it is older (the read hangs).
  std::optional<VolumeSpace> Latest() const;

 private:
  struct Shared;
  std::shared_ptr<Shared> shared_;
  const std::chrono::milliseconds max_age_;
};

}  // namespace mysqlset
