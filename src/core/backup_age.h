#pragma once
// How old a repository's newest backups are: the agent exports these as
// mysqlset_backup_last_{success,verified}_timestamp_seconds for the backup-age alerts
// (docs/backup.md "Metrics and alerts"). Pure: the caller reads the catalog.

#include <cstdint>
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

}  // namespace mysqlset
