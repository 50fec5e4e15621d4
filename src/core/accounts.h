#pragma once
// The accounts of DESIGN.md, each with least privilege, and the secrets they come from.

#include <string>
#include <vector>

#include "core/server_state.h"

namespace mysqlset {

inline constexpr const char* kAdminUser = "admin";
inline constexpr const char* kReplicationUser = "repl";
inline constexpr const char* kBackupUser = "backup";
inline constexpr const char* kMonitorUser = "monitor";
inline constexpr const char* kAppUser = "app";

// File names inside the secrets dir (the keys of the Kubernetes Secret).
inline constexpr const char* kAdminPasswordFile = "admin-password";
inline constexpr const char* kReplicationPasswordFile = "replication-password";
inline constexpr const char* kBackupPasswordFile = "backup-password";
inline constexpr const char* kMonitorPasswordFile = "monitor-password";
inline constexpr const char* kBackupTokenFile = "backup-token";
inline constexpr const char* kAppPasswordFile = "app-password";

struct Secrets {
  std::string admin_password;
  std::string replication_password;
  std::string backup_password;
  std::string monitor_password;
  std::string backup_token;  // shared secret peers prove they know to get a backup
  std::string app_password;
};

// Every value that must never appear in argv, logs, status or metrics.
std::vector<std::string> SecretValues(const Secrets& s);

// admin@'%'      ALL, WITH GRANT OPTION       (operators; the agent's convergence)
// repl@'%'       REPLICATION SLAVE             (replicas pulling the binlog)
// backup@127.0.0.1  RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR, SLAVE MONITOR (mariabackup)
// monitor@127.0.0.1 SLAVE MONITOR, BINLOG MONITOR (probes and metrics; read nothing else)
// app@'%'        data and schema privileges, never READ ONLY ADMIN (users; DIR/client.cnf):
//                a write sent to a replica fails with error 1290 instead of creating an
//                errant GTID there (HA.md, "MariaDB settings").
std::vector<Account> MysqlsetAccounts(const Secrets& s);
// The app account's privileges on *.*: everything an application needs on its data and
// schema, and replication status to read (SLAVE MONITOR, BINLOG MONITOR); no READ ONLY ADMIN,
// SUPER, CONNECTION ADMIN, replication or account administration, FILE or SHUTDOWN.
std::vector<std::string> AppPrivileges();

// Whether a secret file's permissions are tight enough (pure; `mode` is st_mode & 07777 of
// the file, symlinks followed). Refused, kPermissionDenied with one line saying how to fix:
// anything for others (read or write), group write, and group read on a file owned by the
// user mysqlset runs as (0600 is enough there). Group read IS accepted on a file owned by
// another user: then the group is how we read it, as with a Kubernetes Secret mounted with
// defaultMode 0400 and fsGroup (mode 0440, owner root, group fsGroup).
Status CheckSecretFileMode(const std::string& path, unsigned mode, bool owned_by_self);

// The one account of MariaDB's own that a fresh datadir keeps: mariadb.sys@localhost, locked,
// no global privileges, the DEFINER of mysql.user and the sys schema's views and routines
// (dropping it would break them).
inline constexpr const char* kSystemDefinerUser = "mariadb.sys";
inline constexpr const char* kSystemDefinerHost = "localhost";

// Every account a freshly bootstrapped datadir holds, as "user@host", sorted: mysqlset's four
// and mariadb.sys@localhost. Nothing else: no root@localhost, no account for the OS user that
// ran mariadb-install-db (both unix_socket superusers), no anonymous user. README.md
// "Accounts" documents this list and the bootstrap test checks the server against it.
std::vector<std::string> FreshDatadirAccounts();

}  // namespace mysqlset
