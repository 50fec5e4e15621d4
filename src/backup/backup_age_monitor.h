#pragma once
// How old the repository's newest backup and newest verified backup are, and how many runs
// failed since the newest (their failure records), read from the catalog now and then for the
// agent's /metrics (docs/backup.md "Metrics and alerts"). Every agent given --archive-repo runs
// one, on a thread of its own: listing a remote repository reads every manifest and takes seconds,
// which must delay neither the tick nor archiving.
//
// Thread-safety: RunOnce() from one thread; Stats() from any.

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "backup/repository.h"
#include "core/backup_age.h"
#include "env/clock.h"

namespace mysqlset::backup {

struct BackupAgeStats {
  // Set by the first successful read. Until then the ages are unknown, not "no backup": the
  // metrics leave them out rather than report 0, which the alerts read as an empty repository.
  bool known = false;
  BackupAge age;               // as of the last successful read
  BackupFailures failures;     // likewise; counted among the newest kRecentFailuresRead
  uint64_t read_failures = 0;  // catalog reads that failed
  std::string last_error;      // of the last read; "" when it succeeded
};

class BackupAgeMonitor {
 public:
  // `repo` is used by this monitor alone (Repository is not thread-safe).
  BackupAgeMonitor(Repository& repo, const Clock& clock,
                   std::chrono::seconds interval = std::chrono::seconds(60));

  // Reads the catalog when `interval` has passed since the last read began (at once on the
  // first call), else does nothing and returns OK. A failed read is counted and returned;
  // the ages of the last good read stay (the alerts then see them age).
  Status RunOnce();
  BackupAgeStats Stats() const;

 private:
  Repository& repo_;
  const Clock& clock_;
  const std::chrono::seconds interval_;
  std::optional<std::chrono::steady_clock::time_point> last_read_;
  mutable std::mutex mu_;
  BackupAgeStats stats_;
};

// The stats as Prometheus text (appended to the agent's /metrics), labelled `cluster`: the two
// finish times and the failed runs once known, and the read-failures counter always.
std::string BackupAgeMetricsText(const BackupAgeStats& stats, std::string_view cluster);

}  // namespace mysqlset::backup
