#include "core/donor.h"

#include <algorithm>

#include "common/status.h"
#include "core/gtid.h"

namespace mysqlset {

std::vector<uint32_t> RankDonors(uint32_t self_ordinal,
                                 const std::vector<std::optional<PeerStatus>>& statuses,
                                 const std::string& self_name) {
  std::vector<PeerStatus> replicas;
  std::vector<uint32_t> primaries;
  bool any_status = false;
  const size_t limit = self_ordinal > 0 ? self_ordinal : statuses.size();
  for (size_t i = 0; i < statuses.size() && i < limit; ++i) {
    if (i == self_ordinal || !statuses[i]) continue;
    any_status = true;
    const PeerStatus& s = *statuses[i];
    if (!s.ready || (!self_name.empty() && s.leader == self_name)) continue;
    PeerStatus copy = s;
    copy.ordinal = static_cast<uint32_t>(i);  // trust the slot we asked, not the payload
    if (copy.is_primary) {
      primaries.push_back(copy.ordinal);
    } else {
      replicas.push_back(copy);
    }
  }
  if (!any_status) {
    if (self_ordinal == 0) return {};
    return {self_ordinal - 1};
  }
  std::sort(replicas.begin(), replicas.end(), [](const PeerStatus& a, const PeerStatus& b) {
    if (a.lag_seconds.has_value() != b.lag_seconds.has_value()) return a.lag_seconds.has_value();
    if (a.lag_seconds && *a.lag_seconds != *b.lag_seconds) return *a.lag_seconds < *b.lag_seconds;
    return a.ordinal > b.ordinal;
  });
  std::vector<uint32_t> out;
  for (const auto& r : replicas) out.push_back(r.ordinal);
  out.insert(out.end(), primaries.begin(), primaries.end());
  return out;
}

std::optional<uint32_t> PeerHoldingData(const std::vector<std::optional<PeerStatus>>& statuses) {
  std::optional<uint32_t> best;
  uint64_t best_transactions = 0;
  for (size_t i = 1; i < statuses.size(); ++i) {
    if (!statuses[i]) continue;
    auto gtids = GtidList::Parse(statuses[i]->gtid);
    if (!gtids.ok()) continue;  // a garbled status is no evidence either way
    uint64_t transactions = 0;
    for (const Gtid& g : gtids->gtids()) transactions += g.seq;
    if (transactions > best_transactions) {
      best = static_cast<uint32_t>(i);
      best_transactions = transactions;
    }
  }
  return best;
}

}  // namespace mysqlset
