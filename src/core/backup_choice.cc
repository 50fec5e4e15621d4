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

}  // namespace mysqlset
