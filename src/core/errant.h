#pragma once
// Errant transactions (docs/roles.md, "Errant transactions"): GTIDs a replica holds that the
// primary never had. Such a replica serves rows the primary lacks, breaks at the primary's
// next write in that domain (SQL error 1950), and would lose the primary's history if
// promoted; it is never ready nor a candidate until it is re-cloned. Pure.

#include <string>

#include "core/gtid.h"
#include "core/server_state.h"

namespace mysqlset {

// How the two positions compared were read.
enum class GtidReadOrder {
  // The replica's gtid_binlog_pos first, then the primary's, straight from the servers: the
  // primary's later position covers everything the replica received from it, so any GTID
  // beyond it is the replica's own (the agent's check, agent/errant_check.h).
  kPrimaryAfterReplica,
  // Member records published at different instants (the store): a replica ahead in a domain
  // whose last GTID the primary's own server wrote may only be fresher, so it is not counted
  // (moco#419 shows what false errant verdicts cost).
  kUnordered,
};

// Per domain of `replica`, its last GTID when the primary never had it, counting every
// domain: the domain is absent from `primary`; or the same sequence number was written by
// another server (diverged); or it is beyond the primary's (with kUnordered: only when
// another server wrote it). A replica behind the primary in a domain is not errant here
// (its history can only be checked by replicating: IO error 1236, see DivergedBinlog).
// kUnordered with an empty `primary` (a record published before any write) finds nothing.
GtidList ErrantGtids(const GtidList& replica, const GtidList& primary, GtidReadOrder order);

// The errant GTIDs of a replica (server_id `self_server_id`) whose state `self` was gathered
// BEFORE `primary`'s (the agent's check), counting every domain:
// - ErrantGtids(self, primary, kPrimaryAfterReplica) on gtid_binlog_pos;
// - and its own writes: a domain whose last GTID in its binlog carries its own server_id and
//   is beyond its gtid_slave_pos (so no source sent it) while it replicates, unless the
//   primary holds that GTID (its gtid_binlog_state, else its gtid_binlog_pos, has that
//   server's writes in that domain up to it). This one stays visible after the primary
//   writes past it: the replica's SQL thread then stops (error 1950) and its binlog keeps
//   the errant GTID as its last. A replica demoted with MASTER_DEMOTE_TO_SLAVE has its own
//   writes in gtid_slave_pos, and a replicated DDL whose gtid_slave_pos update lags carries
//   the primary's server_id: neither is counted.
GtidList ErrantGtidsOfReplica(const ServerState& self, uint32_t self_server_id,
                              const ServerState& primary);

// MariaDB's ER_MASTER_FATAL_ERROR_READING_BINLOG: the source cannot serve the replica's
// position, as when the replica holds GTIDs the source never had (HA.md pitfall 7).
inline constexpr uint32_t kErrorReadingBinlog = 1236;

// The replica's IO thread stopped with error 1236: its history diverged from its source's.
// Never skipped nor "repaired" with RESET MASTER: the member must be re-cloned.
bool DivergedBinlog(const ServerState& state);

// /readyz's and the switchover refusal's reason: "errant GTIDs 7-101-1 (transactions the
// primary mysql-0 never had): re-clone this member". `errant` must not be empty.
std::string ErrantReason(const GtidList& errant, const std::string& primary);

}  // namespace mysqlset
