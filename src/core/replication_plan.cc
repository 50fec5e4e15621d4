#include "core/replication_plan.h"

#include <algorithm>

#include "fmt/format.h"

namespace mysqlset {

bool IsDiskFullError(uint32_t sql_errno) {
  // ER_DISK_FULL (1021) and ER_RECORD_FILE_FULL (1114, "The table is full": what the SQL
  // thread reports when InnoDB cannot extend a tablespace on a full filesystem).
  return sql_errno == 1021 || sql_errno == 1114;
}

const char* ActionName(ActionKind k) {
  switch (k) {
    case ActionKind::kSetReadOnly:
      return "set_read_only";
    case ActionKind::kSetWritable:
      return "set_writable";
    case ActionKind::kEnsureAccounts:
      return "ensure_accounts";
    case ActionKind::kDropSocketSuperusers:
      return "drop_socket_superusers";
    case ActionKind::kConfigureReplication:
      return "configure_replication";
    case ActionKind::kStartReplication:
      return "start_replication";
    case ActionKind::kStopReplication:
      return "stop_replication";
    case ActionKind::kReportReplicationError:
      return "report_replication_error";
  }
  return "unknown";
}

namespace {

// `into` with each domain of `from` whose sequence number is strictly further.
void TakeFurther(std::vector<Gtid>& into, const GtidList& from) {
  for (const Gtid& g : from.gtids()) {
    auto it = std::find_if(into.begin(), into.end(),
                           [&](const Gtid& have) { return have.domain == g.domain; });
    if (it == into.end()) {
      into.push_back(g);
    } else if (g.seq > it->seq) {
      *it = g;
    }
  }
}

GtidList ListOf(std::vector<Gtid> gtids) {
  std::string text;
  for (const Gtid& g : gtids) {
    text += fmt::format("{}{}-{}-{}", text.empty() ? "" : ",", g.domain, g.server_id, g.seq);
  }
  auto parsed = GtidList::Parse(text);
  CHECK(parsed.ok());  // one entry per domain by construction
  return *parsed;
}

}  // namespace

std::optional<GtidList> ReplicationStartPosition(const ServerState& s,
                                                 const std::optional<GtidList>& clone_gtid) {
  std::vector<Gtid> start = s.gtid_slave.gtids();  // first: ties keep gtid_slave_pos
  TakeFurther(start, s.gtid_binlog);
  if (clone_gtid) TakeFurther(start, *clone_gtid);
  GtidList position = ListOf(std::move(start));
  if (position == s.gtid_slave) return std::nullopt;
  return position;
}

std::vector<Action> PlanActions(Role role, const ServerState& s, const DesiredSource& want,
                                const CloneRecordStatus& clone_record) {
  std::vector<Action> actions;
  if (!s.reachable) return actions;  // nothing can be done; the loop backs off

  if (role == Role::kPrimary) {
    // A replica that now leads (switchover, election) stops replicating before anything
    // else: a writable server applying another's binlog would fork both histories.
    if (s.replica) {
      actions.push_back({ActionKind::kStopReplication,
                         fmt::format("the primary still replicates from {}:{}",
                                     s.replica->source_host, s.replica->source_port),
                         {}});
    }
    if (!s.accounts_present) {
      actions.push_back({ActionKind::kEnsureAccounts, "mysqlset accounts are missing", {}});
    }
    // On the primary only: the DROP replicates (as DROP USER IF EXISTS) to every replica.
    if (!s.socket_superusers.empty()) {
      std::string who;
      for (const auto& u : s.socket_superusers) who += (who.empty() ? "" : ", ") + u;
      actions.push_back({ActionKind::kDropSocketSuperusers,
                         "passwordless unix_socket superusers left by mariadb-install-db: " + who,
                         {}});
    }
    if (s.read_only) {
      actions.push_back({ActionKind::kSetWritable, "primary is read-only", {}});
    }
    return actions;
  }

  // Replica. Read-only first: a writable replica takes writes that fork its history.
  if (!s.read_only) actions.push_back({ActionKind::kSetReadOnly, "replica is writable", {}});

  std::optional<GtidList> clone;
  if (clone_record.kind == CloneRecordStatus::Kind::kPresent) {
    if (auto parsed = GtidList::Parse(clone_record.gtid); parsed.ok()) clone = *parsed;
  }
  const std::optional<GtidList> start = ReplicationStartPosition(s, clone);
  const std::optional<std::string> seed =
      start ? std::optional<std::string>(start->ToString()) : std::nullopt;
  // Says where replication resumes and why, for the log and status.
  auto from = [&]() -> std::string {
    if (!start) {
      return fmt::format("resuming from gtid_slave_pos {}",
                         s.gtid_slave.empty() ? "(empty)" : s.gtid_slave.ToString());
    }
    if (clone && *start == *clone) return fmt::format("seeding the clone's GTID {}", *seed);
    return fmt::format("resuming from the server's own GTID position {} (gtid_slave_pos was {})",
                       *seed, s.gtid_slave.empty() ? "empty" : s.gtid_slave.ToString());
  };

  if (!s.replica) {
    // The start position is unknown: wait for a person rather than guess.
    if (clone_record.kind == CloneRecordStatus::Kind::kUnreadable) return actions;
    const bool fresh_clone = clone && start && *start == *clone;
    actions.push_back(
        {ActionKind::kConfigureReplication,
         fmt::format("{}: {}",
                     fresh_clone ? "first start after clone" : "replication is not configured",
                     from()),
         seed});
    return actions;
  }
  const ReplicaStatus& r = *s.replica;
  if (r.source_host != want.host || r.source_port != want.port || r.source_user != want.user ||
      !r.using_gtid_slave_pos) {
    actions.push_back(
        {ActionKind::kConfigureReplication,
         fmt::format("source is {}:{} as {}{}, want {}:{} as {}; {}", r.source_host, r.source_port,
                     r.source_user, r.using_gtid_slave_pos ? "" : " (not GTID)", want.host,
                     want.port, want.user, from()),
         seed});
    return actions;
  }
  if (r.last_sql_errno != 0 && r.sql != ThreadState::kYes && IsDiskFullError(r.last_sql_errno)) {
    // A full disk (the nemesis's disk-full fault, issue 14): the event failed and its
    // transaction was rolled back, so running it again applies it once when there is room,
    // and fails again, harmlessly, while there is none. Never a skip. Without this a replica
    // stayed stopped for good after its disk was freed.
    actions.push_back(
        {ActionKind::kStartReplication,
         fmt::format("SQL thread stopped on error {} (a full disk): running the event again: {}",
                     r.last_sql_errno, r.last_sql_error),
         {}});
    return actions;
  }
  if (r.last_sql_errno != 0 && r.sql != ThreadState::kYes) {
    // Starting again would re-run the failing event or, with skips, lose data. A person
    // must look; the error is in status, metrics and the log.
    actions.push_back(
        {ActionKind::kReportReplicationError,
         fmt::format("SQL thread stopped on error {}: {}", r.last_sql_errno, r.last_sql_error),
         {}});
    return actions;
  }
  if (r.io == ThreadState::kNo && r.sql == ThreadState::kNo && start) {
    // Stopped with gtid_slave_pos behind what this server already holds: after a crash right
    // after a replicated DDL, whose gtid_slave_pos update is not atomic with it. Starting
    // as is would re-apply it and stop on an out-of-order GTID; resume after it instead.
    actions.push_back({ActionKind::kConfigureReplication,
                       "replication threads are stopped and gtid_slave_pos is behind: " + from(),
                       seed});
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

bool ReplicationRestartDue(const ReplicationRestarts& r) {
  if (r.attempts <= 0) return true;
  return r.since_last >= kReplicationRestartBackoff.DelayFor(r.attempts - 1);
}

bool StoppedOnError(const ReplicaStatus& r) {
  return r.last_io_errno != 0 || r.last_sql_errno != 0;
}

bool ReplicationRanCleanly(const ReplicaStatus& r, std::chrono::milliseconds since_last_start) {
  return r.io == ThreadState::kYes && r.sql == ThreadState::kYes && r.last_io_errno == 0 &&
         r.last_sql_errno == 0 && since_last_start >= kReplicationCleanRun;
}

}  // namespace mysqlset
