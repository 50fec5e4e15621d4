#pragma once
// Every SQL statement mysqlset sends lives here, so a MySQL 8 flavour can be added by
// swapping this file's functions without touching the logic. Values are escaped by the
// caller-supplied quoting function (the connection's, which knows the charset).

#include <functional>
#include <string>
#include <vector>

#include "core/server_state.h"
#include "env/db.h"

namespace mysqlset::dialect {

using Quote = std::function<std::string(const std::string&)>;  // returns 'escaped'

// One round trip per tick: the semi-sync flags and the master's two status counters
// (ServerState) ride along.
inline constexpr const char* kSelectState =
    "SELECT @@global.read_only, @@global.gtid_current_pos, @@global.gtid_binlog_pos, "
    "@@global.gtid_slave_pos, @@global.rpl_semi_sync_master_enabled, "
    "@@global.rpl_semi_sync_slave_enabled, (SELECT VARIABLE_VALUE FROM "
    "information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'RPL_SEMI_SYNC_MASTER_CLIENTS'), "
    "(SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = "
    "'RPL_SEMI_SYNC_MASTER_WAIT_SESSIONS'), @@global.gtid_binlog_state, "
    "(SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = "
    "'UPTIME'), (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE "
    "VARIABLE_NAME = 'RPL_SEMI_SYNC_SLAVE_STATUS'), (SELECT VARIABLE_VALUE FROM "
    "information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'RPL_SEMI_SYNC_MASTER_YES_TX')";
// A binlogged no-op that needs a semi-sync ack like any commit (core/sync_replica.h
// ShouldNudgeAck). DROP TABLE IF EXISTS is written to the binlog even when the table does not
// exist, so it leaves nothing behind: no schema, no table, no row. Each nudge names its own
// table: a DDL holds its metadata lock while it waits for the ack, so a second nudge on the
// same name would queue behind the first and never reach the binlog.
std::string AckNudge(uint64_t unique);
std::string SetSemiSyncPrimary(bool enabled);
std::string SetSemiSyncReplica(bool enabled);
inline constexpr const char* kStartReplicaIo = "START SLAVE IO_THREAD";
// The binlog archiver closes the active file (backup/binlog_archiver.h).
inline constexpr const char* kFlushBinaryLogs = "FLUSH BINARY LOGS";
inline constexpr const char* kSelectGtidSlavePos = "SELECT @@global.gtid_slave_pos";
inline constexpr const char* kShowReplicaStatus = "SHOW SLAVE STATUS";
inline constexpr const char* kStopReplica = "STOP SLAVE";
inline constexpr const char* kStartReplica = "START SLAVE";
inline constexpr const char* kStopReplicaIo = "STOP SLAVE IO_THREAD";
inline constexpr const char* kResetReplicaAll = "RESET SLAVE ALL";
// Fencing and switchover (docs/roles.md): read_only must not wait for ever behind a commit
// that waits for an ack (HA.md pitfall 3).
inline constexpr const char* kShortLockWait = "SET SESSION lock_wait_timeout = 1";
inline constexpr const char* kDefaultLockWait = "SET SESSION lock_wait_timeout = DEFAULT";
// The ids of the sessions of every account holding READ ONLY ADMIN (granted directly or
// through ALL PRIVILEGES; they bypass read_only, MDEV-29596), but this one. Matched by user
// name: a fence kills too much rather than too little. information_schema spells the
// privilege 'READ_ONLY ADMIN' (checked on MariaDB 10.11.19).
inline constexpr const char* kSelectReadOnlyAdminSessions =
    "SELECT p.ID FROM information_schema.PROCESSLIST p WHERE p.ID <> CONNECTION_ID() AND "
    "p.COMMAND NOT IN ('Daemon', 'Binlog Dump', 'Slave_IO', 'Slave_SQL', 'Slave_worker') AND "
    "p.USER IN (SELECT SUBSTRING_INDEX(SUBSTRING(GRANTEE, 2), '''@''', 1) FROM "
    "information_schema.USER_PRIVILEGES WHERE PRIVILEGE_TYPE = 'READ_ONLY ADMIN')";
std::string KillConnection(uint64_t id);
// Sessions whose commit waits for a semi-sync ack (MariaDB 10.11's processlist state).
inline constexpr const char* kSelectGtidBinlogPos = "SELECT @@global.gtid_binlog_pos";
inline constexpr const char* kSelectSessionsWaitingForAck =
    "SELECT ID FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND "
    "STATE LIKE 'Waiting for semi-sync ACK%'";
// Waits for the SQL thread to reach `gtid` for at most `timeout_seconds`; returns 0 when
// reached, -1 on timeout.
std::string MasterGtidWait(const std::string& gtid, double timeout_seconds, const Quote& q);
// ChangeSource plus MASTER_DEMOTE_TO_SLAVE = 1.
std::string DemoteToSource(const ReplicationSource& source, const Quote& q);

// The write `up` and `scale` make through the write endpoint before they report ready: one
// row in mysqlset.write_probe (a table mysqlset owns), on a server that is not read-only.
inline constexpr const char* kSelectReadOnly = "SELECT @@global.read_only";
inline constexpr const char* kCreateWriteProbeSchema = "CREATE DATABASE IF NOT EXISTS mysqlset";
inline constexpr const char* kCreateWriteProbeTable =
    "CREATE TABLE IF NOT EXISTS mysqlset.write_probe (id TINYINT UNSIGNED PRIMARY KEY, "
    "written_at TIMESTAMP(6) NOT NULL, writer VARCHAR(64) NOT NULL) ENGINE=InnoDB";
std::string WriteProbe(const std::string& writer, const Quote& q);

std::string SetReadOnly(bool read_only);
std::string SetGtidSlavePos(const std::string& gtid, const Quote& q);
std::string ChangeSource(const ReplicationSource& source, const Quote& q);
// CREATE USER IF NOT EXISTS ... IDENTIFIED BY ...; GRANT ...; one statement each.
std::vector<std::string> CreateAccount(const Account& account, const Quote& q);
std::string CountAccounts(const std::vector<Account>& accounts, const Quote& q);
// SELECT User, Host of mariadb-install-db's unix_socket superusers: root@localhost and
// `os_user`@localhost whose authentication (plugin or auth_or) names unix_socket.
std::string FindSocketSuperusers(const std::string& os_user, const Quote& q);
std::string DropAccountIfExists(const std::string& user, const std::string& host, const Quote& q);

// Statements for a freshly installed datadir, run through `mariadbd --bootstrap` on stdin:
// drop every account but mariadb.sys@localhost (root and the installing OS user's unix_socket
// superusers, anonymous users) with their grants, and the test database, then create ours.
// The result is exactly FreshDatadirAccounts().
std::string SecureBootstrapScript(const std::vector<Account>& accounts, const Quote& q);

// Statements for a restored datadir (mysqlset restore), run as root over the socket of a
// throwaway mariadbd started with --skip-grant-tables and --skip-slave-start, none of them
// binlogged: forget any replication source (a backup of a replica must never replicate from
// the old cluster), give our accounts the new cluster's passwords (creating any missing),
// start the binlog afresh at `gtid` (the backup's position, "" for none), print
// "gtid=<gtid_binlog_pos>", and shut the server down.
std::string RestoreScript(const std::vector<Account>& accounts, const std::string& gtid,
                          const Quote& q);

// Quoting usable without a connection (bootstrap): escapes \ ' and NUL for the default
// utf8mb4 charset with NO_BACKSLASH_ESCAPES off.
std::string QuoteLiteral(const std::string& s);

}  // namespace mysqlset::dialect
