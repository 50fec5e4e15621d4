#pragma once
// Db on a real mariadbd. Connects lazily and reconnects on the next call after any
// connection-level failure, so a mariadbd restart needs nothing from the caller.

#include <functional>
#include <memory>

#include "env/db.h"
#include "mariadb/connection.h"

namespace mysqlset {

class MariaDb : public Db {
 public:
  explicit MariaDb(ConnectOptions options) : options_(std::move(options)) {}

  Status Ping() override;
  Status ReadState(ServerState& out) override;
  Status SetReadOnly(bool read_only) override;
  Status ConfigureReplication(const ReplicationSource& source,
                              const std::string* initial_gtid) override;
  Status StartReplication() override;
  Status StopReplicationForPromotion() override;
  Status FenceReadOnly() override;
  Result<int> KillReadOnlyAdminSessions() override;
  Status EnsureAccounts(const std::vector<Account>& accounts) override;
  Result<bool> AccountsExist(const std::vector<Account>& accounts) override;
  Result<std::vector<std::string>> SocketSuperusers(const std::string& os_user) override;
  Status DropSocketSuperusers(const std::string& os_user) override;
  Status SetReadOnlyKillingAdminSessions() override;
  Result<bool> MasterGtidWait(const std::string& gtid, double timeout_seconds) override;
  Status DemoteToReplicaOf(const ReplicationSource& source) override;
  Status ClearReplicationSource() override;
  Status SetSemiSyncPrimary(bool enabled) override;
  Status SetSemiSyncReplica(bool enabled) override;
  Status StopReplicationIo() override;
  Status NudgeSemiSyncAck() override;
  Result<int> KillSessionsWaitingForAck(const GtidList& held_by_named) override;
  // Not part of Db: only the binlog archiver (backup/binlog_archiver.h) closes binlog files.
  Status FlushBinaryLogs();

 private:
  Result<Connection*> Conn();
  // Drops the connection after an error that may have broken it.
  Status Check(Status st);
  Status Exec(const std::string& sql);
  // KILL CONNECTION of each session id that `select_ids` returns; how many it killed.
  // `before_kill`, when given, runs after the listing; an error from it kills nothing.
  Result<int> KillSessionsListedBy(const char* select_ids,
                                   const std::function<Status(Connection&)>& before_kill = {});

  ConnectOptions options_;
  std::unique_ptr<Connection> conn_;
};

// Parses one row of SHOW SLAVE STATUS. Exposed for tests.
ReplicaStatus ReplicaStatusFromRow(const Rows& rows, size_t i);

}  // namespace mysqlset
