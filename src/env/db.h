#pragma once
// A domain-level view of one mariadbd (moco's dbop.Operator): what the agent and the
// bootstrap need, not Query(string). Implemented on MariaDB Connector/C in src/mariadb;
// faked in src/testing. Not thread-safe: one connection, one user at a time.

#include <string>
#include <vector>

#include "common/status.h"
#include "core/server_state.h"

namespace mysqlset {

class Db {
 public:
  virtual ~Db() = default;
  virtual Status Ping() = 0;
  // Fills everything in ServerState except `reachable`/`unreachable_reason`.
  virtual Status ReadState(ServerState& out) = 0;
  virtual Status SetReadOnly(bool read_only) = 0;
  // STOP SLAVE; if `initial_gtid` is set, SET GLOBAL gtid_slave_pos (kFailedPrecondition,
  // nothing set, when that would move gtid_slave_pos backwards in any domain); CHANGE
  // MASTER TO source with MASTER_USE_GTID=slave_pos; START SLAVE.
  virtual Status ConfigureReplication(const ReplicationSource& source,
                                      const std::string* initial_gtid) = 0;
  virtual Status StartReplication() = 0;
  // For a replica that now leads: stops the IO thread, waits (10 s at most) until the SQL
  // thread has applied everything received (HA.md pitfall 10: a reset before that loses
  // transactions), then STOP SLAVE; RESET SLAVE ALL. kDeadlineExceeded when it did not catch
  // up: nothing is reset and the caller tries again.
  virtual Status StopReplicationForPromotion() = 0;
  // The fence's first step: SET SESSION lock_wait_timeout=1; SET GLOBAL read_only=1 (a commit
  // waiting for a semi-sync ack holds a lock that would block read_only for ever).
  virtual Status FenceReadOnly() = 0;
  // The fence's second step: kills every session of an account holding READ ONLY ADMIN (it
  // writes through read_only) except this connection's own. Returns how many it killed.
  virtual Result<int> KillReadOnlyAdminSessions() = 0;
  // Creates missing accounts and grants; never drops anything.
  virtual Status EnsureAccounts(const std::vector<Account>& accounts) = 0;
  virtual Result<bool> AccountsExist(const std::vector<Account>& accounts) = 0;
  // "user@host" of mariadb-install-db's unix_socket superusers still present: root@localhost
  // and `os_user`@localhost, only where their authentication includes unix_socket.
  virtual Result<std::vector<std::string>> SocketSuperusers(const std::string& os_user) = 0;
  // DROP USER IF EXISTS each of them (safe to replicate to a replica that lacks one).
  virtual Status DropSocketSuperusers(const std::string& os_user) = 0;

  // Switchover (docs/roles.md). SET SESSION lock_wait_timeout=1 then SET GLOBAL read_only=1
  // (a commit stuck waiting must not block it for ever), then kill every session of an
  // account holding READ ONLY ADMIN (it bypasses read_only), except this connection.
  virtual Status SetReadOnlyKillingAdminSessions() = 0;
  // SELECT MASTER_GTID_WAIT(gtid, timeout): true once the server has applied `gtid`, false
  // when `timeout_seconds` passed first.
  virtual Result<bool> MasterGtidWait(const std::string& gtid, double timeout_seconds) = 0;
  // STOP SLAVE; CHANGE MASTER TO source with MASTER_USE_GTID=slave_pos and
  // MASTER_DEMOTE_TO_SLAVE=1 (gtid_binlog_pos joins gtid_slave_pos), not started.
  virtual Status DemoteToReplicaOf(const ReplicationSource& source) = 0;
  // STOP SLAVE; RESET SLAVE ALL: undoes DemoteToReplicaOf when the hand-over failed (safe:
  // never started, so there is no relay log to lose).
  virtual Status ClearReplicationSource() = 0;

  // Semi-sync (core/sync_replica.h). SET GLOBAL rpl_semi_sync_master_enabled. Turning it off
  // releases every commit waiting for an ack with OK (HA.md pitfall 5): never a fence.
  virtual Status SetSemiSyncPrimary(bool enabled) = 0;
  // SET GLOBAL rpl_semi_sync_slave_enabled, then, if the IO thread runs (or connects),
  // STOP SLAVE IO_THREAD; START SLAVE IO_THREAD: the IO thread reads the flag only when it
  // starts. A stopped IO thread (a failover's fence) stays stopped.
  virtual Status SetSemiSyncReplica(bool enabled) = 0;
  // Failover (docs/roles.md): STOP SLAVE IO_THREAD, MOCO's fence. A replica that no longer
  // receives from the old primary cannot acknowledge its commits. OK on a server that is not
  // a replica.
  virtual Status StopReplicationIo() = 0;
  // Writes a binlogged no-op on a connection of its own that gives up after about a second
  // (the commit then goes on waiting in the server, like any other): the designated replica's
  // ack of it acknowledges every commit before it (core/sync_replica.h ShouldNudgeAck).
  virtual Status NudgeSemiSyncAck() = 0;
  // KILL CONNECTION of every session waiting for a semi-sync ack (processlist state
  // "Waiting for semi-sync ACK from slave"), never KILL QUERY (it answers OK without an
  // ack). Returns how many it killed (core/sync_replica.h ShouldReleaseStuckCommits).
  // SAFETY: lists the waiting sessions first, then reads gtid_binlog_pos (which holds every
  // listed commit: they wait after the binlog write), and kills them only if `held_by_named`
  // covers it; kFailedPrecondition, killing nothing, when it does not.
  virtual Result<int> KillSessionsWaitingForAck(const GtidList& held_by_named) = 0;
};

}  // namespace mysqlset
