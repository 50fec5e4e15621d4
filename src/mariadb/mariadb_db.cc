#include "mariadb/mariadb_db.h"

#include <charconv>
#include <chrono>

#include "mariadb/dialect.h"

namespace mysqlset {
namespace {

ThreadState ParseThreadState(const std::optional<std::string>& v) {
  if (v == "Yes") return ThreadState::kYes;
  if (v == "Connecting" || v == "Preparing") return ThreadState::kConnecting;
  return ThreadState::kNo;
}

template <typename T>
T ToNumber(const std::optional<std::string>& v) {
  if (!v || v->empty()) return T{};
  try {
    return static_cast<T>(std::stoll(*v));
  } catch (...) {
    return T{};
  }
}

}  // namespace

ReplicaStatus ReplicaStatusFromRow(const Rows& rows, size_t i) {
  ReplicaStatus r;
  r.source_host = rows.Get(i, "Master_Host").value_or("");
  r.source_port = ToNumber<uint16_t>(rows.Get(i, "Master_Port"));
  r.source_user = rows.Get(i, "Master_User").value_or("");
  r.using_gtid_slave_pos = rows.Get(i, "Using_Gtid") == "Slave_Pos";
  r.io = ParseThreadState(rows.Get(i, "Slave_IO_Running"));
  r.sql = ParseThreadState(rows.Get(i, "Slave_SQL_Running"));
  r.last_io_errno = ToNumber<uint32_t>(rows.Get(i, "Last_IO_Errno"));
  r.last_io_error = rows.Get(i, "Last_IO_Error").value_or("");
  r.last_sql_errno = ToNumber<uint32_t>(rows.Get(i, "Last_SQL_Errno"));
  r.last_sql_error = rows.Get(i, "Last_SQL_Error").value_or("");
  if (auto lag = rows.Get(i, "Seconds_Behind_Master"); lag && !lag->empty()) {
    r.seconds_behind = ToNumber<int64_t>(lag);
  }
  r.gtid_io_pos = rows.Get(i, "Gtid_IO_Pos").value_or("");
  return r;
}

Result<Connection*> MariaDb::Conn() {
  if (!conn_) {
    ASSIGN_OR_RETURN(conn_, Connection::Open(options_));
  }
  return conn_.get();
}

Status MariaDb::Check(Status st) {
  if (!st.ok() && st.code() == StatusCode::kUnavailable) conn_.reset();
  return st;
}

Status MariaDb::Exec(const std::string& sql) {
  ASSIGN_OR_RETURN(Connection * c, Conn());
  return Check(c->Execute(sql));
}

Status MariaDb::Ping() {
  ASSIGN_OR_RETURN(Connection * c, Conn());
  return Check(c->Ping());
}

Status MariaDb::ReadState(ServerState& out) {
  ASSIGN_OR_RETURN(Connection * c, Conn());
  auto vars = c->Query(dialect::kSelectState);
  if (!vars.ok()) return Check(vars.status());
  if (vars->rows.size() != 1 || vars->rows[0].size() != 12) {
    return Internal("unexpected result for server variables");
  }
  const Row& row = vars->rows[0];
  out.read_only = row[0].value_or("1") != "0";
  auto parse = [](const std::optional<std::string>& v, GtidList& into) -> Status {
    ASSIGN_OR_RETURN(into, GtidList::Parse(v.value_or("")));
    return Status::Ok();
  };
  RETURN_IF_ERROR(parse(row[1], out.gtid_current));
  RETURN_IF_ERROR(parse(row[2], out.gtid_binlog));
  RETURN_IF_ERROR(parse(row[3], out.gtid_slave));
  out.semi_sync_master_enabled = row[4].value_or("0") != "0";
  out.semi_sync_slave_enabled = row[5].value_or("0") != "0";
  auto counter = [](const std::optional<std::string>& v) -> int64_t {
    int64_t n = 0;
    if (v) std::from_chars(v->data(), v->data() + v->size(), n);
    return n;
  };
  out.semi_sync_master_clients = counter(row[6]);
  out.semi_sync_master_wait_sessions = counter(row[7]);
  ASSIGN_OR_RETURN(out.gtid_binlog_state, ParseGtidItems(row[8].value_or("")));
  out.uptime_seconds = row[9] ? counter(row[9]) : -1;
  out.semi_sync_slave_status = row[10].value_or("OFF") == "ON";
  out.semi_sync_master_acked_commits = counter(row[11]);
  auto repl = c->Query(dialect::kShowReplicaStatus);
  if (!repl.ok()) return Check(repl.status());
  out.replica.reset();
  if (!repl->rows.empty()) {
    ReplicaStatus r = ReplicaStatusFromRow(*repl, 0);
    if (!r.source_host.empty()) out.replica = std::move(r);
  }
  return Status::Ok();
}

Status MariaDb::SetReadOnly(bool read_only) { return Exec(dialect::SetReadOnly(read_only)); }

Status MariaDb::ConfigureReplication(const ReplicationSource& source,
                                     const std::string* initial_gtid) {
  ASSIGN_OR_RETURN(Connection * c, Conn());
  auto q = [c](const std::string& s) { return c->Quote(s); };
  RETURN_IF_ERROR(Check(c->Execute(dialect::kStopReplica)));
  if (initial_gtid) {
    // The seed was chosen from state read before STOP SLAVE; the SQL thread may have applied
    // more since. Never move gtid_slave_pos backwards: refuse, and the next tick decides anew.
    ASSIGN_OR_RETURN(GtidList seed, GtidList::Parse(*initial_gtid));
    auto rows = c->Query(dialect::kSelectGtidSlavePos);
    if (!rows.ok()) return Check(rows.status());
    if (rows->rows.size() != 1 || rows->rows[0].size() != 1) {
      return Internal("unexpected result for gtid_slave_pos");
    }
    ASSIGN_OR_RETURN(GtidList now, GtidList::Parse(rows->rows[0][0].value_or("")));
    if (!seed.Covers(now)) {
      return FailedPrecondition("refusing to move gtid_slave_pos backwards from {} to {}",
                                now.ToString(), seed.ToString());
    }
    RETURN_IF_ERROR(Check(c->Execute(dialect::SetGtidSlavePos(*initial_gtid, q))));
  }
  RETURN_IF_ERROR(Check(c->Execute(dialect::ChangeSource(source, q))));
  return Check(c->Execute(dialect::kStartReplica));
}

Status MariaDb::StartReplication() { return Exec(dialect::kStartReplica); }

Status MariaDb::StopReplicationForPromotion() {
  ASSIGN_OR_RETURN(Connection * c, Conn());
  auto q = [c](const std::string& s) { return c->Quote(s); };
  RETURN_IF_ERROR(Check(c->Execute(dialect::kStopReplicaIo)));
  auto repl = c->Query(dialect::kShowReplicaStatus);
  if (!repl.ok()) return Check(repl.status());
  if (!repl->rows.empty()) {
    const std::string received = ReplicaStatusFromRow(*repl, 0).gtid_io_pos;
    if (!received.empty()) {
      // At most 1 s: a longer wait would outlast the lease (ttl 3 s) this member just took;
      // the next tick tries again with the IO thread still stopped.
      auto waited = c->Query(dialect::MasterGtidWait(received, 1, q));
      if (!waited.ok()) return Check(waited.status());
      if (waited->rows.size() != 1 || waited->rows[0].empty() || waited->rows[0][0] != "0") {
        return DeadlineExceeded("the SQL thread did not apply {} within 1 s", received);
      }
    }
  }
  RETURN_IF_ERROR(Check(c->Execute(dialect::kStopReplica)));
  return Check(c->Execute(dialect::kResetReplicaAll));
}

Status MariaDb::FenceReadOnly() {
  ASSIGN_OR_RETURN(Connection * c, Conn());
  RETURN_IF_ERROR(Check(c->Execute(dialect::kShortLockWait)));
  const Status st = Check(c->Execute(dialect::SetReadOnly(true)));
  if (conn_) (void)Check(c->Execute(dialect::kDefaultLockWait));
  return st;
}

Result<int> MariaDb::KillReadOnlyAdminSessions() {
  return KillSessionsListedBy(dialect::kSelectReadOnlyAdminSessions);
}

Result<int> MariaDb::KillSessionsWaitingForAck(const GtidList& held_by_named) {
  // Listed first, checked after: every listed commit is in the position read next.
  return KillSessionsListedBy(dialect::kSelectSessionsWaitingForAck, [&](Connection& c) -> Status {
    auto pos = c.Query(dialect::kSelectGtidBinlogPos);
    if (!pos.ok()) return pos.status();
    const std::string text =
        pos->rows.empty() || pos->rows[0].empty() ? "" : pos->rows[0][0].value_or("");
    ASSIGN_OR_RETURN(GtidList binlog, GtidList::Parse(text));
    if (!held_by_named.Covers(binlog)) {
      return FailedPrecondition(
          "the primary binlogged {} since, more than the named replica holds ({}): not "
          "released",
          binlog.ToString(), held_by_named.ToString());
    }
    return Status::Ok();
  });
}

Result<int> MariaDb::KillSessionsListedBy(const char* select_ids,
                                          const std::function<Status(Connection&)>& before_kill) {
  ASSIGN_OR_RETURN(Connection * c, Conn());
  auto rows = c->Query(select_ids);
  if (!rows.ok()) return Check(rows.status());
  if (before_kill) {
    if (Status st = before_kill(*c); !st.ok()) {
      return st.code() == StatusCode::kFailedPrecondition ? st : Check(st);
    }
  }
  int killed = 0;
  for (const auto& row : rows->rows) {
    if (row.empty() || !row[0]) continue;
    const Status st = c->Execute(dialect::KillConnection(std::stoull(*row[0])));
    // 1094 (unknown thread): the session ended on its own meanwhile.
    if (!st.ok() && st.message().find("(error 1094)") == std::string::npos) return Check(st);
    if (st.ok()) ++killed;
  }
  return killed;
}

Status MariaDb::EnsureAccounts(const std::vector<Account>& accounts) {
  ASSIGN_OR_RETURN(Connection * c, Conn());
  auto q = [c](const std::string& s) { return c->Quote(s); };
  for (const auto& a : accounts) {
    for (const auto& stmt : dialect::CreateAccount(a, q)) {
      RETURN_IF_ERROR(Check(c->Execute(stmt)).Annotate("ensure account " + a.user));
    }
  }
  return Status::Ok();
}

Result<bool> MariaDb::AccountsExist(const std::vector<Account>& accounts) {
  ASSIGN_OR_RETURN(Connection * c, Conn());
  auto q = [c](const std::string& s) { return c->Quote(s); };
  auto rows = c->Query(dialect::CountAccounts(accounts, q));
  if (!rows.ok()) return Check(rows.status());
  if (rows->rows.empty() || !rows->rows[0][0]) return Internal("empty account count");
  return std::stoul(*rows->rows[0][0]) == accounts.size();
}

Result<std::vector<std::string>> MariaDb::SocketSuperusers(const std::string& os_user) {
  ASSIGN_OR_RETURN(Connection * c, Conn());
  auto q = [c](const std::string& s) { return c->Quote(s); };
  auto rows = c->Query(dialect::FindSocketSuperusers(os_user, q));
  if (!rows.ok()) return Check(rows.status());
  std::vector<std::string> found;
  for (const auto& row : rows->rows) {
    if (row.size() == 2 && row[0] && row[1]) found.push_back(*row[0] + "@" + *row[1]);
  }
  return found;
}

Status MariaDb::DropSocketSuperusers(const std::string& os_user) {
  ASSIGN_OR_RETURN(Connection * c, Conn());
  auto q = [c](const std::string& s) { return c->Quote(s); };
  auto rows = c->Query(dialect::FindSocketSuperusers(os_user, q));
  if (!rows.ok()) return Check(rows.status());
  for (const auto& row : rows->rows) {
    if (row.size() != 2 || !row[0] || !row[1]) continue;
    RETURN_IF_ERROR(Check(c->Execute(dialect::DropAccountIfExists(*row[0], *row[1], q)))
                        .Annotate("drop " + *row[0] + "@" + *row[1]));
  }
  return Status::Ok();
}

Status MariaDb::SetReadOnlyKillingAdminSessions() {
  ASSIGN_OR_RETURN(Connection * c, Conn());
  RETURN_IF_ERROR(Check(c->Execute(dialect::kShortLockWait)));
  RETURN_IF_ERROR(Check(c->Execute(dialect::SetReadOnly(true))));
  auto ids = c->Query(dialect::kSelectReadOnlyAdminSessions);
  if (!ids.ok()) return Check(ids.status());
  for (const Row& row : ids->rows) {
    uint64_t id = 0;
    if (row.empty() || !row[0] ||
        std::from_chars(row[0]->data(), row[0]->data() + row[0]->size(), id).ec != std::errc())
      continue;
    // A session that ended in between answers "unknown thread": nothing left to kill.
    Status st = Check(c->Execute(dialect::KillConnection(id)));
    if (!st.ok() && st.code() == StatusCode::kUnavailable) return st;
  }
  return Status::Ok();
}

Result<bool> MariaDb::MasterGtidWait(const std::string& gtid, double timeout_seconds) {
  ASSIGN_OR_RETURN(Connection * c, Conn());
  auto q = [c](const std::string& s) { return c->Quote(s); };
  auto rows = c->Query(dialect::MasterGtidWait(gtid, timeout_seconds, q));
  if (!rows.ok()) return Check(rows.status());
  if (rows->rows.size() != 1 || rows->rows[0].size() != 1 || !rows->rows[0][0]) {
    return Internal("MASTER_GTID_WAIT({}) returned no result", gtid);
  }
  return *rows->rows[0][0] == "0";  // -1: timed out
}

Status MariaDb::DemoteToReplicaOf(const ReplicationSource& source) {
  ASSIGN_OR_RETURN(Connection * c, Conn());
  auto q = [c](const std::string& s) { return c->Quote(s); };
  RETURN_IF_ERROR(Check(c->Execute(dialect::kStopReplica)));
  return Check(c->Execute(dialect::DemoteToSource(source, q)));
}

Status MariaDb::StopReplicationIo() { return Exec(dialect::kStopReplicaIo); }

Status MariaDb::FlushBinaryLogs() { return Exec(dialect::kFlushBinaryLogs); }

Status MariaDb::ClearReplicationSource() {
  RETURN_IF_ERROR(Exec(dialect::kStopReplica));
  return Exec(dialect::kResetReplicaAll);
}

Status MariaDb::SetSemiSyncPrimary(bool enabled) {
  return Exec(dialect::SetSemiSyncPrimary(enabled));
}

Status MariaDb::SetSemiSyncReplica(bool enabled) {
  ASSIGN_OR_RETURN(Connection * c, Conn());
  RETURN_IF_ERROR(Check(c->Execute(dialect::SetSemiSyncReplica(enabled))));
  auto repl = c->Query(dialect::kShowReplicaStatus);
  if (!repl.ok()) return Check(repl.status());
  if (repl->rows.empty()) return Status::Ok();
  // Restart only a running IO thread: one stopped on purpose (a failover's fence of every
  // reachable replica) must stay stopped. Turning the side ON, only while the SQL thread runs:
  // START with both threads stopped purges the relay log (MDEV-4698), which may hold
  // acknowledged writes not yet applied; the flag then waits for the next restart of the
  // threads. Turning it OFF restarts the IO thread even with the SQL thread stopped (on an
  // error, say): until then Rpl_semi_sync_slave_status says it may still ack, so the leader
  // can name no other sync replica and writes wait for good (roles_test's refused
  // switchover). Losing its relay log is then safe: the key no longer names it, so failover
  // does not count on it, and it fetches the same events again from the live primary.
  const ReplicaStatus now = ReplicaStatusFromRow(*repl, 0);
  if (now.io == ThreadState::kNo) return Status::Ok();
  if (enabled && now.sql != ThreadState::kYes) return Status::Ok();
  RETURN_IF_ERROR(Check(c->Execute(dialect::kStopReplicaIo)));
  return Check(c->Execute(dialect::kStartReplicaIo));
}

Status MariaDb::NudgeSemiSyncAck() {
  // Not on the agent's own connection: a nudge nobody acks must not hold up the tick (and
  // with it the lease keepalive) for longer than its own short read timeout.
  ConnectOptions short_wait = options_;
  short_wait.connect_timeout_s = 1;
  short_wait.read_timeout_s = 1;
  short_wait.write_timeout_s = 1;
  ASSIGN_OR_RETURN(auto c, Connection::Open(short_wait));
  // Never queued behind a lock (a backup stage, say) to run later, when this member may lead
  // no more.
  RETURN_IF_ERROR(c->Execute(dialect::kShortLockWait));
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return c->Execute(dialect::AckNudge(
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(now).count())));
}

}  // namespace mysqlset
