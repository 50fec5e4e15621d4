#include "core/backup_choice.h"

#include <algorithm>

namespace mysqlset {

std::vector<BackupEntry> NewestFirst(std::vector<BackupEntry> entries) {
  std::sort(entries.begin(), entries.end(), [](const BackupEntry& a, const BackupEntry& b) {
    if (a.finished_at_unix != b.finished_at_unix) return a.finished_at_unix > b.finished_at_unix;
    return a.id > b.id;
  });
  return entries;
}

Result<BackupEntry> ChooseBackup(const std::vector<BackupEntry>& entries,
                                 const std::string& requested_id,
                                 std::optional<int64_t> at_or_before_unix) {
  if (!requested_id.empty()) {
    for (const auto& e : entries) {
      if (e.id == requested_id) return e;
    }
    return NotFound("no published backup {} in the repository: list them with mysqlset backups",
                    requested_id);
  }
  if (entries.empty()) {
    return NotFound("the repository holds no published backup: take one with mysqlset backup");
  }
  const auto sorted = NewestFirst(entries);
  for (const auto& e : sorted) {
    if (!at_or_before_unix || e.finished_at_unix <= *at_or_before_unix) return e;
  }
  return FailedPrecondition(
      "no backup finished at or before the target: the oldest ({}) finished at "
      "unix time {}",
      sorted.back().id, sorted.back().finished_at_unix);
}

Result<std::vector<std::string>> BackupsToPrune(const std::vector<BackupEntry>& entries,
                                                const RetentionPolicy& policy, int64_t now_unix) {
  if (!policy.keep_last && !policy.keep_days) {
    return InvalidArgument("no retention rule: give --keep-last N, --keep-days D or both");
  }
  if ((policy.keep_last && *policy.keep_last < 0) || (policy.keep_days && *policy.keep_days < 0)) {
    return InvalidArgument("--keep-last and --keep-days must not be negative");
  }
  const auto sorted = NewestFirst(entries);
  bool verified_seen = false;
  std::vector<std::string> prune;
  for (size_t i = 0; i < sorted.size(); ++i) {
    const BackupEntry& e = sorted[i];
    bool keep = false;
    if (policy.keep_last && i < static_cast<size_t>(*policy.keep_last)) keep = true;
    if (policy.keep_days &&
        e.finished_at_unix >= now_unix - static_cast<int64_t>(*policy.keep_days) * 86400) {
      keep = true;
    }
    if (e.verified && !verified_seen) keep = true;  // the newest verified backup
    verified_seen = verified_seen || e.verified;
    if (!keep) prune.push_back(e.id);
  }
  return std::vector<std::string>(prune.rbegin(), prune.rend());
}

}  // namespace mysqlset
