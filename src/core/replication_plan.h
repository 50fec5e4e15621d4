#pragma once
// What the agent should do this tick to make its member what its role says. Pure: takes
// the observed state, returns actions; the agent loop performs them.
//
// Safety rules:
// - a replica is made read-only before anything else;
// - replication that stopped with an error is reported, never skipped past;
// - the clone's GTID seeds gtid_slave_pos only when no source was ever configured.

#include <optional>
#include <string>
#include <vector>

#include "core/readiness.h"
#include "core/server_state.h"

namespace mysqlset {

struct DesiredSource {
  std::string host;
  uint16_t port = 0;
  std::string user;
};

enum class ActionKind {
  kSetReadOnly,
  kSetWritable,
  kEnsureAccounts,
  kConfigureReplication,  // STOP, [seed gtid_slave_pos], CHANGE MASTER, START
  kStartReplication,
  kReportReplicationError,  // nothing to run; surfaced in status and metrics
};
const char* ActionName(ActionKind k);

struct Action {
  ActionKind kind;
  std::string reason;
  std::optional<std::string> seed_gtid;  // kConfigureReplication: set gtid_slave_pos first
  bool operator==(const Action&) const = default;
};

// `clone_gtid`: the GTID recorded by the clone this datadir came from, if any.
std::vector<Action> PlanActions(Role role, const ServerState& state, const DesiredSource& want,
                                const std::optional<std::string>& clone_gtid);

}  // namespace mysqlset
