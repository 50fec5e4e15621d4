#include "core/replication_plan.h"

#include "fmt/format.h"

namespace mysqlset {

const char* ActionName(ActionKind k) {
  switch (k) {
    case ActionKind::kSetReadOnly: return "set_read_only";
    case ActionKind::kSetWritable: return "set_writable";
    case ActionKind::kEnsureAccounts: return "ensure_accounts";
    case ActionKind::kConfigureReplication: return "configure_replication";
    case ActionKind::kStartReplication: return "start_replication";
    case ActionKind::kReportReplicationError: return "report_replication_error";
  }
  return "unknown";
}

std::vector<Action> PlanActions(Role role, const ServerState& s, const DesiredSource& want,
                                const std::optional<std::string>& clone_gtid) {
  std::vector<Action> actions;
  if (!s.reachable) return actions;  // nothing can be done; the loop backs off

  if (role == Role::kPrimary) {
    if (!s.accounts_present) {
      actions.push_back({ActionKind::kEnsureAccounts, "mysqlset accounts are missing", {}});
    }
    if (s.read_only) {
      actions.push_back({ActionKind::kSetWritable, "primary is read-only", {}});
    }
    return actions;
  }

  // Replica. Read-only first: a writable replica takes writes that fork its history.
  if (!s.read_only) actions.push_back({ActionKind::kSetReadOnly, "replica is writable", {}});

  if (!s.replica) {
    actions.push_back({ActionKind::kConfigureReplication,
                       clone_gtid ? "first start after clone" : "replication is not configured",
                       clone_gtid});
    return actions;
  }
  const ReplicaStatus& r = *s.replica;
  if (r.source_host != want.host || r.source_port != want.port || r.source_user != want.user ||
      !r.using_gtid_slave_pos) {
    actions.push_back(
        {ActionKind::kConfigureReplication,
         fmt::format("source is {}:{} as {}{}, want {}:{} as {}", r.source_host, r.source_port,
                     r.source_user, r.using_gtid_slave_pos ? "" : " (not GTID)", want.host,
                     want.port, want.user),
         std::nullopt});
    return actions;
  }
  if (r.last_sql_errno != 0 && r.sql != ThreadState::kYes) {
    // Starting again would re-run the failing event or, with skips, lose data. A person
    // must look; the error is in status, metrics and the log.
    actions.push_back({ActionKind::kReportReplicationError,
                       fmt::format("SQL thread stopped on error {}: {}", r.last_sql_errno,
                                   r.last_sql_error),
                       {}});
    return actions;
  }
  if (r.io == ThreadState::kNo || r.sql == ThreadState::kNo) {
    actions.push_back({ActionKind::kStartReplication,
                       r.last_io_errno ? fmt::format("IO thread stopped on error {}: {}",
                                                     r.last_io_errno, r.last_io_error)
                                       : std::string("replication threads are stopped"),
                       {}});
  }
  return actions;
}

}  // namespace mysqlset
