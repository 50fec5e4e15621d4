#include "core/backup_age.h"

#include <algorithm>

namespace mysqlset {

BackupAge BackupAgeOf(const std::vector<BackupEntry>& entries) {
  BackupAge age;
  for (const BackupEntry& e : entries) {
    age.last_success_unix = std::max(age.last_success_unix, e.finished_at_unix);
    if (e.verified) age.last_verified_unix = std::max(age.last_verified_unix, e.finished_at_unix);
  }
  return age;
}

bool EndedAfter(const FailedBackupEntry& f, int64_t unix_seconds) {
  return f.ended_at_unix_ms / 1000 > unix_seconds;
}

BackupFailures BackupFailuresOf(const std::vector<FailedBackupEntry>& failures,
                                int64_t last_success_unix) {
  BackupFailures out;
  for (const FailedBackupEntry& f : failures) {
    if (EndedAfter(f, last_success_unix)) ++out.since_last_success;
    out.last_failure_unix = std::max(out.last_failure_unix, f.ended_at_unix_ms / 1000);
  }
  return out;
}

std::vector<std::string> FailuresToPrune(const std::vector<FailedBackupEntry>& failures,
                                         std::optional<int64_t> newest_kept_finished_unix) {
  std::vector<std::string> out;
  if (!newest_kept_finished_unix) return out;
  for (const FailedBackupEntry& f : failures) {
    if (!EndedAfter(f, *newest_kept_finished_unix)) out.push_back(f.id);
  }
  return out;
}

}  // namespace mysqlset
