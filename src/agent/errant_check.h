#pragma once
// The replica's side of errant-transaction detection (docs/roles.md, "Errant transactions"):
// compares the GTIDs this replica holds with the primary's, read straight from the primary's
// server, and recognises a binlog that diverged from its source (IO error 1236). The
// verdicts are core/errant.h's; this does the I/O. The agent's tick runs it on a replica
// following a leader; the result goes into AgentSnapshot::errant_gtids, members/<self> and
// /readyz.
//
// Not thread-safe: the agent's loop only. Keeps one connection to the primary across ticks
// (reopened when the leader changes or a call fails).

#include <memory>
#include <optional>
#include <string>

#include "agent/switchover_step.h"
#include "core/gtid.h"
#include "core/server_state.h"
#include "env/db.h"

namespace mysqlset {

struct ErrantVerdict {
  GtidList errant;        // this replica's GTIDs the primary never had (core/errant.h)
  bool diverged = false;  // its IO thread stopped with error 1236
  bool found() const { return diverged || !errant.empty(); }
};

class ErrantCheck {
 public:
  // `server_id`: this member's.
  ErrantCheck(PeerDbFactory peer_db, uint32_t server_id);

  // `self` is this tick's gather, taken BEFORE this call; `leader` the member whose agent holds
  // the leader key. nullopt when it cannot tell now (the primary's server does not answer, or
  // this replica is not connected to it): the caller keeps its last verdict, because an
  // errant member must stay excluded while its primary is unreachable.
  std::optional<ErrantVerdict> Run(const std::string& leader, const ServerState& self);
  const std::string& last_error() const { return last_error_; }

 private:
  PeerDbFactory peer_db_;
  uint32_t server_id_;
  std::string connected_to_;
  std::unique_ptr<Db> primary_;
  std::string last_error_;
};

}  // namespace mysqlset
