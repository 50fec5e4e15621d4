#include "core/errant.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <vector>

namespace mysqlset {
namespace {

// `items` hold at most one GTID per domain.
GtidList ListOf(const std::vector<Gtid>& items) {
  std::vector<std::string> text;
  for (const Gtid& g : items) text.push_back(fmt::format("{}-{}-{}", g.domain, g.server_id, g.seq));
  auto parsed = GtidList::Parse(fmt::format("{}", fmt::join(text, ",")));
  CHECK(parsed.ok());
  return *parsed;
}

bool Holds(const std::vector<Gtid>& items, const Gtid& g) {
  return std::any_of(items.begin(), items.end(), [&](const Gtid& p) {
    return p.domain == g.domain && p.server_id == g.server_id && p.seq >= g.seq;
  });
}

// Whether `primary` holds the transaction `g` (written by g.server_id in g.domain).
bool PrimaryHolds(const ServerState& primary, const Gtid& g) {
  return (primary.gtid_binlog_state && Holds(*primary.gtid_binlog_state, g)) ||
         Holds(primary.gtid_binlog.gtids(), g);
}

}  // namespace

GtidList ErrantGtids(const GtidList& replica, const GtidList& primary, GtidReadOrder order) {
  if (order == GtidReadOrder::kUnordered && primary.empty()) return {};
  std::vector<Gtid> errant;
  for (const Gtid& g : replica.gtids()) {
    auto p = std::find_if(primary.gtids().begin(), primary.gtids().end(),
                          [&](const Gtid& x) { return x.domain == g.domain; });
    bool is_errant = false;
    if (p == primary.gtids().end()) {
      is_errant = true;  // a domain the primary never wrote in
    } else if (g.seq == p->seq) {
      is_errant = g.server_id != p->server_id;  // one sequence number, two transactions
    } else if (g.seq > p->seq) {
      is_errant = order == GtidReadOrder::kPrimaryAfterReplica || g.server_id != p->server_id;
    }
    if (is_errant) errant.push_back(g);
  }
  return ListOf(errant);
}

GtidList ErrantGtidsOfReplica(const ServerState& self, uint32_t self_server_id,
                              const ServerState& primary) {
  const GtidList by_position =
      ErrantGtids(self.gtid_binlog, primary.gtid_binlog, GtidReadOrder::kPrimaryAfterReplica);
  const bool replicating = self.replica && self.replica->io == ThreadState::kYes;
  std::vector<Gtid> errant;
  for (const Gtid& g : self.gtid_binlog.gtids()) {
    bool is_errant = by_position.SeqOf(g.domain) != 0;
    if (!is_errant && replicating && g.server_id == self_server_id &&
        self.gtid_slave.SeqOf(g.domain) < g.seq) {
      is_errant = !PrimaryHolds(primary, g);  // its own write, which no source sent it
    }
    if (is_errant) errant.push_back(g);
  }
  return ListOf(errant);
}

bool DivergedBinlog(const ServerState& state) {
  return state.replica && state.replica->last_io_errno == kErrorReadingBinlog;
}

std::string ErrantReason(const GtidList& errant, const std::string& primary) {
  return fmt::format(
      "errant GTIDs {} (transactions the primary{}{} never had): re-clone this member",
      errant.ToString(), primary.empty() ? "" : " ", primary);
}

}  // namespace mysqlset
