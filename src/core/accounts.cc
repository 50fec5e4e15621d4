#include "core/accounts.h"

#include <algorithm>

namespace mysqlset {

std::vector<std::string> SecretValues(const Secrets& s) {
  return {s.admin_password,   s.replication_password, s.backup_password,
          s.monitor_password, s.backup_token,         s.app_password};
}

std::vector<std::string> AppPrivileges() {
  return {"SELECT",        "INSERT",         "UPDATE",      "DELETE",
          "CREATE",        "DROP",           "REFERENCES",  "INDEX",
          "ALTER",         "SHOW DATABASES", "LOCK TABLES", "CREATE TEMPORARY TABLES",
          "EXECUTE",       "CREATE VIEW",    "SHOW VIEW",   "CREATE ROUTINE",
          "ALTER ROUTINE", "EVENT",          "TRIGGER",     "DELETE HISTORY",
          "SLAVE MONITOR", "BINLOG MONITOR"};
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
      // An explicit list rather than ALL minus READ ONLY ADMIN: EnsureAccounts only ever
      // adds grants, and ALL would bring back whatever a later MariaDB adds to it.
      {kAppUser, "%", s.app_password, AppPrivileges(), false},
  };
}

Status CheckSecretFileMode(const std::string& path, unsigned mode, bool owned_by_self) {
  const bool others = (mode & 0007) != 0;
  const bool group_write = (mode & 0020) != 0;
  const bool group_read = (mode & 0040) != 0;
  if (!others && !group_write && !(group_read && owned_by_self)) return Status::Ok();
  if (owned_by_self) {
    return PermissionDenied(
        "secret file {} has mode {:04o}; it must not be readable by group or others: chmod 600 "
        "{}",
        path, mode, path);
  }
  return PermissionDenied(
      "secret file {} has mode {:04o}; it must not be readable by others nor writable by its "
      "group: chmod 640 {} (on Kubernetes: defaultMode: 0400 on the Secret volume, with fsGroup)",
      path, mode, path);
}

std::vector<std::string> FreshDatadirAccounts() {
  std::vector<std::string> out = {std::string(kSystemDefinerUser) + "@" + kSystemDefinerHost};
  for (const Account& a : MysqlsetAccounts(Secrets{})) out.push_back(a.user + "@" + a.host);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace mysqlset
