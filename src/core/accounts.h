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

// File names inside the secrets dir (the keys of the Kubernetes Secret).
inline constexpr const char* kAdminPasswordFile = "admin-password";
inline constexpr const char* kReplicationPasswordFile = "replication-password";
inline constexpr const char* kBackupPasswordFile = "backup-password";
inline constexpr const char* kMonitorPasswordFile = "monitor-password";
inline constexpr const char* kBackupTokenFile = "backup-token";

struct Secrets {
  std::string admin_password;
  std::string replication_password;
  std::string backup_password;
  std::string monitor_password;
  std::string backup_token;  // shared secret peers prove they know to get a backup
};

// Every value that must never appear in argv, logs, status or metrics.
std::vector<std::string> SecretValues(const Secrets& s);

// admin@'%'      ALL, WITH GRANT OPTION       (operators; the agent's convergence)
// repl@'%'       REPLICATION SLAVE             (replicas pulling the binlog)
// backup@127.0.0.1  RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR, SLAVE MONITOR (mariabackup)
// monitor@127.0.0.1 SLAVE MONITOR, BINLOG MONITOR (probes and metrics; read nothing else)
std::vector<Account> MysqlsetAccounts(const Secrets& s);

}  // namespace mysqlset
