#include "agent/errant_check.h"

#include "core/errant.h"
#include "fmt/format.h"

namespace mysqlset {

ErrantCheck::ErrantCheck(PeerDbFactory peer_db, uint32_t server_id)
    : peer_db_(std::move(peer_db)), server_id_(server_id) {}

std::optional<ErrantVerdict> ErrantCheck::Run(const std::string& leader, const ServerState& self) {
  last_error_.clear();
  if (!self.reachable || leader.empty() || !peer_db_) return std::nullopt;
  const bool diverged = DivergedBinlog(self);
  // Only while the IO thread is connected (or the primary answered it with 1236): otherwise
  // the primary is probably down or frozen, and a connection attempt would stall this tick.
  if (!diverged && !(self.replica && self.replica->io == ThreadState::kYes)) return std::nullopt;
  if (!primary_ || connected_to_ != leader) {
    primary_.reset();
    auto db = peer_db_(leader);
    if (!db.ok()) {
      last_error_ = fmt::format("errant check: connect to {}: {}", leader, db.status().message());
      return std::nullopt;
    }
    primary_ = std::move(*db);
    connected_to_ = leader;
  }
  // The ORDER is what makes this exact (moco#419 shows false errant verdicts): `self` was
  // gathered first, and only now is the primary's position read. Everything the replica
  // received from the primary was in the primary's binlog before the replica had it, so the
  // primary's later gtid_binlog_pos covers it; any GTID of the replica beyond it is one the
  // primary never had. Read the other way round (or from the store's member record, which
  // may be older than the replica's state), a replica that is merely fresher would look
  // errant.
  ServerState primary;
  if (Status st = primary_->ReadState(primary); !st.ok()) {
    last_error_ = fmt::format("errant check: read {}'s GTIDs: {}", leader, st.message());
    primary_.reset();
    return std::nullopt;
  }
  ErrantVerdict v;
  v.errant = ErrantGtidsOfReplica(self, server_id_, primary);
  v.diverged = diverged;
  return v;
}

}  // namespace mysqlset
