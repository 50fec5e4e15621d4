#include "core/binlog_retention.h"

#include <algorithm>

namespace mysqlset {

std::vector<std::string> BinlogsToPrune(const std::vector<RestorableBackup>& kept,
                                        const std::vector<ArchivedBinlog>& binlogs) {
  if (kept.empty() || binlogs.empty()) return {};
  std::vector<ArchivedBinlog> sorted = binlogs;
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return a.start_unix != b.start_unix ? a.start_unix < b.start_unix : a.id < b.id;
  });
  const ArchivedBinlog& newest =
      *std::max_element(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
        return a.end_unix != b.end_unix ? a.end_unix < b.end_unix : a.id < b.id;
      });
  std::vector<std::string> prune;
  for (const ArchivedBinlog& b : sorted) {
    if (b.id == newest.id) continue;
    const bool useless = std::all_of(kept.begin(), kept.end(), [&b](const RestorableBackup& k) {
      return k.gtid.Covers(b.end) && b.end_unix <= k.finished_at_unix;
    });
    if (useless) prune.push_back(b.id);
  }
  return prune;
}

}  // namespace mysqlset
