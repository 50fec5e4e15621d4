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

inline constexpr const char* kSelectState =
    "SELECT @@global.read_only, @@global.gtid_current_pos, @@global.gtid_binlog_pos, "
    "@@global.gtid_slave_pos";
inline constexpr const char* kShowReplicaStatus = "SHOW SLAVE STATUS";
inline constexpr const char* kStopReplica = "STOP SLAVE";
inline constexpr const char* kStartReplica = "START SLAVE";

std::string SetReadOnly(bool read_only);
std::string SetGtidSlavePos(const std::string& gtid, const Quote& q);
std::string ChangeSource(const ReplicationSource& source, const Quote& q);
// CREATE USER IF NOT EXISTS ... IDENTIFIED BY ...; GRANT ...; one statement each.
std::vector<std::string> CreateAccount(const Account& account, const Quote& q);
std::string CountAccounts(const std::vector<Account>& accounts, const Quote& q);

// Statements for a freshly installed datadir, run through `mariadbd --bootstrap` on stdin:
// drop every account but mariadb.sys@localhost (root and the installing OS user's unix_socket
// superusers, anonymous users) with their grants, and the test database, then create ours.
// The result is exactly FreshDatadirAccounts().
std::string SecureBootstrapScript(const std::vector<Account>& accounts, const Quote& q);

// Quoting usable without a connection (bootstrap): escapes \ ' and NUL for the default
// utf8mb4 charset with NO_BACKSLASH_ESCAPES off.
std::string QuoteLiteral(const std::string& s);

}  // namespace mysqlset::dialect
