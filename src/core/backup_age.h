#pragma once
// How old a repository's newest backups are, and how many runs failed since the newest: the
// agent exports these as mysqlset_backup_last_{success,verified}_timestamp_seconds and
// mysqlset_backup_{failures_since_last_success,last_failure_timestamp_seconds} for the backup
// alerts (docs/backup.md "Metrics and alerts"). Pure: the caller reads the catalog.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/backup_choice.h"

namespace mysqlset {

struct BackupAge {
  int64_t last_success_unix = 0;   // finish time of the newest published backup; 0: none
  int64_t last_verified_unix = 0;  // finish time of the newest backup a restore verified; 0: none
};

// In any order. Both times are finish times (when the backup's data is from), not when it
// was verified: a restore check last week of a month-old backup proves only the old one.
BackupAge BackupAgeOf(const std::vector<BackupEntry>& entries);

// A failed run's record (failures/<ID>/failure.json), as these rules need it.
struct FailedBackupEntry {
  std::string id;
  int64_t ended_at_unix_ms = 0;
};

struct BackupFailures {
  int64_t since_last_success = 0;  // failed runs that ended after the newest backup finished
  int64_t last_failure_unix = 0;   // when the newest failed run ended; 0: none
};

// Whether the failed run ended in a later second than `unix_seconds` (manifests keep whole
// seconds: a backup that finished in the same second is taken as newer).
bool EndedAfter(const FailedBackupEntry& f, int64_t unix_seconds);

// In any order. A failure counts when it EndedAfter the newest backup's finish.
BackupFailures BackupFailuresOf(const std::vector<FailedBackupEntry>& failures,
                                int64_t last_success_unix);

// The failure records retention deletes: those a kept backup is newer than (the rule above),
// and none when no backup is kept, so that failures are never lost while nothing succeeded.
std::vector<std::string> FailuresToPrune(const std::vector<FailedBackupEntry>& failures,
                                         std::optional<int64_t> newest_kept_finished_unix);

}  // namespace mysqlset
