#pragma once
// What the agent observes of its mariadbd, as plain data. Filled by the Db adapter,
// read by the pure decisions in core/.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/gtid.h"

namespace mysqlset {

enum class ThreadState { kNo, kConnecting, kYes };

// SHOW SLAVE STATUS, the parts decisions need. Absent when no replication is configured.
struct ReplicaStatus {
  std::string source_host;
  uint16_t source_port = 0;
  std::string source_user;
  bool using_gtid_slave_pos = false;
  ThreadState io = ThreadState::kNo;
  ThreadState sql = ThreadState::kNo;
  uint32_t last_io_errno = 0;
  std::string last_io_error;
  uint32_t last_sql_errno = 0;
  std::string last_sql_error;
  std::optional<int64_t> seconds_behind;  // NULL when the SQL thread is not running
  std::string gtid_io_pos;
};

struct ServerState {
  bool reachable = false;          // a query succeeded this tick
  std::string unreachable_reason;  // why not, when !reachable
  bool read_only = true;
  GtidList gtid_current;
  GtidList gtid_binlog;
  GtidList gtid_slave;
  // @@gtid_binlog_state: the last GTID of each (domain, server_id) in the binlog; nullopt
  // when not read. What the errant check compares (core/errant.h).
  std::optional<std::vector<Gtid>> gtid_binlog_state;
  std::optional<ReplicaStatus> replica;  // nullopt: no source configured
  bool accounts_present = true;          // all of mysqlset's accounts exist
  // "user@host" of the passwordless unix_socket superusers mariadb-install-db left behind
  // (root@localhost, <the OS user>@localhost) on datadirs bootstrapped before they were
  // dropped at bootstrap; read on the primary only.
  std::vector<std::string> socket_superusers;
  // Semi-sync (core/sync_replica.h): the two "enabled" flags, and the master's status
  // counters Rpl_semi_sync_master_clients (replicas connected with their slave side on) and
  // Rpl_semi_sync_master_wait_sessions (commits waiting for an ack).
  bool semi_sync_master_enabled = false;
  bool semi_sync_slave_enabled = false;
  int64_t semi_sync_master_clients = 0;
  int64_t semi_sync_master_wait_sessions = 0;
  // Rpl_semi_sync_master_yes_tx: commits acknowledged so far. Commits that wait while it
  // stands still are stuck (core/sync_replica.h ShouldNudgeAck).
  int64_t semi_sync_master_acked_commits = 0;
  // Rpl_semi_sync_slave_status: the IO thread runs with semi-sync, so it acks now, whatever
  // the flag says (the IO thread reads the flag only when it starts).
  bool semi_sync_slave_status = false;
  // Status variable Uptime: a server whose start time moved restarted between two ticks
  // (a crash the supervisor restarted before a tick saw it down). -1: not read.
  int64_t uptime_seconds = -1;
};

// The clone record (DATA/.mysqlset-clone.json) the datadir came from, as the decisions need
// it: absent (bootstrapped, or cloned before records existed), present with the clone's
// GTID, or unreadable (garbled), with the reader's message.
struct CloneRecordStatus {
  enum class Kind { kAbsent, kPresent, kUnreadable };
  Kind kind = Kind::kAbsent;
  std::string gtid;   // kPresent: where the clone's data ends
  std::string error;  // kUnreadable: what is wrong with the file, naming it

  static CloneRecordStatus Absent() { return {}; }
  static CloneRecordStatus Present(std::string gtid) {
    return {Kind::kPresent, std::move(gtid), {}};
  }
  static CloneRecordStatus Unreadable(std::string error) {
    return {Kind::kUnreadable, {}, std::move(error)};
  }
};

// Where a replica should replicate from, and as whom.
struct ReplicationSource {
  std::string host;
  uint16_t port = 0;
  std::string user;
  std::string password;  // secret: never log or print
};

// A database account mysqlset creates and relies on.
struct Account {
  std::string user;
  std::string host;
  std::string password;                 // secret
  std::vector<std::string> privileges;  // e.g. {"REPLICATION SLAVE"}; "ALL PRIVILEGES"
  bool grant_option = false;
};

}  // namespace mysqlset
