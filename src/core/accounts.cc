#include "core/accounts.h"

namespace mysqlset {

std::vector<std::string> SecretValues(const Secrets& s) {
  return {s.admin_password, s.replication_password, s.backup_password, s.monitor_password,
          s.backup_token};
}

std::vector<Account> MysqlsetAccounts(const Secrets& s) {
  return {
      {kAdminUser, "%", s.admin_password, {"ALL PRIVILEGES"}, true},
      {kReplicationUser, "%", s.replication_password, {"REPLICATION SLAVE"}, false},
      {kBackupUser,
       "127.0.0.1",
       s.backup_password,
       {"RELOAD", "PROCESS", "LOCK TABLES", "BINLOG MONITOR", "SLAVE MONITOR"},
       false},
      {kMonitorUser, "127.0.0.1", s.monitor_password, {"SLAVE MONITOR", "BINLOG MONITOR"}, false},
  };
}

}  // namespace mysqlset
