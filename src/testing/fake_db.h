#pragma once
// A stateful fake mariadbd for the agent loop's unit tests: statements change its state the
// way the real server's would, so tests check outcomes rather than call sequences.

#include <optional>
#include <string>
#include <vector>

#include "env/db.h"

namespace mysqlset {

class FakeDb : public Db {
 public:
  ServerState state;  // what ReadState reports; `reachable` says whether calls succeed
  std::vector<std::string> calls;
  std::string seeded_gtid;  // last gtid_slave_pos set by ConfigureReplication
  std::string configured_password;
  // Fencing: sessions of READ ONLY ADMIN accounts other than the agent's, and failures to
  // inject into each step of the ladder.
  int read_only_admin_sessions = 0;
  bool fence_fails = false;
  bool kill_sessions_fails = false;

  FakeDb() { state.reachable = true; }

  Status Ping() override { return Up("ping"); }
  Status ReadState(ServerState& out) override {
    RETURN_IF_ERROR(Up("read_state"));
    out = state;
    return Status::Ok();
  }
  Status SetReadOnly(bool ro) override {
    RETURN_IF_ERROR(Up(ro ? "set_read_only" : "set_writable"));
    state.read_only = ro;
    return Status::Ok();
  }
  Status ConfigureReplication(const ReplicationSource& src, const std::string* gtid) override {
    RETURN_IF_ERROR(Up("configure_replication"));
    if (gtid) seeded_gtid = *gtid;
    configured_password = src.password;
    ReplicaStatus r;
    r.source_host = src.host;
    r.source_port = src.port;
    r.source_user = src.user;
    r.using_gtid_slave_pos = true;
    r.io = ThreadState::kYes;
    r.sql = ThreadState::kYes;
    r.seconds_behind = 0;
    state.replica = r;
    return Status::Ok();
  }
  Status StartReplication() override {
    RETURN_IF_ERROR(Up("start_replication"));
    if (state.replica) {
      state.replica->io = ThreadState::kYes;
      if (state.replica->last_sql_errno == 0) state.replica->sql = ThreadState::kYes;
      state.replica->seconds_behind = 0;
    }
    return Status::Ok();
  }
  Status StopReplicationForPromotion() override {
    RETURN_IF_ERROR(Up("stop_replication_for_promotion"));
    state.replica.reset();
    return Status::Ok();
  }
  Status FenceReadOnly() override {
    RETURN_IF_ERROR(Up("fence_read_only"));
    if (fence_fails) return DeadlineExceeded("Lock wait timeout exceeded (error 1205)");
    state.read_only = true;
    return Status::Ok();
  }
  Result<int> KillReadOnlyAdminSessions() override {
    RETURN_IF_ERROR(Up("kill_read_only_admin_sessions"));
    if (kill_sessions_fails) return Internal("query: Lost connection (error 2013)");
    const int killed = read_only_admin_sessions;
    read_only_admin_sessions = 0;
    return killed;
  }
  Status EnsureAccounts(const std::vector<Account>&) override {
    RETURN_IF_ERROR(Up("ensure_accounts"));
    state.accounts_present = true;
    return Status::Ok();
  }
  Result<bool> AccountsExist(const std::vector<Account>&) override {
    RETURN_IF_ERROR(Up("accounts_exist"));
    return state.accounts_present;
  }
  Result<std::vector<std::string>> SocketSuperusers(const std::string&) override {
    RETURN_IF_ERROR(Up("socket_superusers"));
    return state.socket_superusers;
  }
  Status DropSocketSuperusers(const std::string&) override {
    RETURN_IF_ERROR(Up("drop_socket_superusers"));
    state.socket_superusers.clear();
    return Status::Ok();
  }

  // Switchover. The fake has no sessions: kill_admin_sessions counts the calls.
  int kill_admin_sessions = 0;
  // MasterGtidWait succeeds when gtid_current covers the GTID (the test advances it); a
  // pending wait "times out" at once.
  std::vector<std::string> gtid_waits;
  std::optional<ReplicationSource> demoted_to;  // set by DemoteToReplicaOf, not started
  Status SetReadOnlyKillingAdminSessions() override {
    RETURN_IF_ERROR(Up("set_read_only_killing_admin_sessions"));
    state.read_only = true;
    ++kill_admin_sessions;
    return Status::Ok();
  }
  Result<bool> MasterGtidWait(const std::string& gtid, double) override {
    RETURN_IF_ERROR(Up("master_gtid_wait"));
    gtid_waits.push_back(gtid);
    ASSIGN_OR_RETURN(GtidList want, GtidList::Parse(gtid));
    return state.gtid_current.Covers(want);
  }
  Status DemoteToReplicaOf(const ReplicationSource& src) override {
    RETURN_IF_ERROR(Up("demote_to_replica_of"));
    demoted_to = src;
    ReplicaStatus r;
    r.source_host = src.host;
    r.source_port = src.port;
    r.source_user = src.user;
    r.using_gtid_slave_pos = true;
    state.replica = r;  // configured, threads not running
    state.gtid_slave = state.gtid_binlog;
    return Status::Ok();
  }
  Status StopReplicationIo() override {
    RETURN_IF_ERROR(Up("stop_replication_io"));
    if (state.replica) state.replica->io = ThreadState::kNo;
    return Status::Ok();
  }
  Status ClearReplicationSource() override {
    RETURN_IF_ERROR(Up("clear_replication_source"));
    demoted_to.reset();
    state.replica.reset();
    return Status::Ok();
  }

  // Semi-sync: the flags as set; an IO thread that runs is restarted (counted).
  int io_restarts = 0;
  int ack_nudges = 0;  // NudgeSemiSyncAck calls that succeeded
  Status NudgeSemiSyncAck() override {
    RETURN_IF_ERROR(Up("nudge_semi_sync_ack"));
    ++ack_nudges;
    return Status::Ok();
  }
  // Releasing stuck commits: the waiting sessions end (with an error, for their clients).
  Result<int> KillSessionsWaitingForAck(const GtidList& held_by_named) override {
    RETURN_IF_ERROR(Up("kill_sessions_waiting_for_ack"));
    if (!held_by_named.Covers(state.gtid_binlog)) {
      return FailedPrecondition("the primary binlogged more than the named replica holds");
    }
    const int killed = static_cast<int>(state.semi_sync_master_wait_sessions);
    state.semi_sync_master_wait_sessions = 0;
    return killed;
  }
  Status SetSemiSyncPrimary(bool enabled) override {
    RETURN_IF_ERROR(Up(enabled ? "semi_sync_primary_on" : "semi_sync_primary_off"));
    state.semi_sync_master_enabled = enabled;
    if (!enabled) state.semi_sync_master_wait_sessions = 0;  // released with OK (pitfall 5)
    return Status::Ok();
  }
  Status SetSemiSyncReplica(bool enabled) override {
    RETURN_IF_ERROR(Up(enabled ? "semi_sync_replica_on" : "semi_sync_replica_off"));
    state.semi_sync_slave_enabled = enabled;
    if (state.replica && state.replica->io != ThreadState::kNo) ++io_restarts;
    return Status::Ok();
  }

 private:
  Status Up(const char* call) {
    calls.push_back(call);
    if (!state.reachable) return Unavailable("connect 127.0.0.1:3306: Connection refused");
    return Status::Ok();
  }
};

// Hands a test's FakeDb (another member's server) to code that owns the Db it opens, as
// PeerDbFactory does: reads and waits go to `target`.
class ForwardingDb : public FakeDb {
 public:
  explicit ForwardingDb(FakeDb& target) : target_(target) {}
  Result<bool> MasterGtidWait(const std::string& gtid, double t) override {
    return target_.MasterGtidWait(gtid, t);
  }
  Status ReadState(ServerState& out) override { return target_.ReadState(out); }

 private:
  FakeDb& target_;
};

}  // namespace mysqlset
