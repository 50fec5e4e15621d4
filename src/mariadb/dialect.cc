#include "mariadb/dialect.h"

#include "core/accounts.h"
#include "fmt/format.h"

namespace mysqlset::dialect {
namespace {

std::string Grantee(const Account& a, const Quote& q) {
  return fmt::format("{}@{}", q(a.user), q(a.host));
}

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

}  // namespace

std::string WriteProbe(const std::string& writer, const Quote& q) {
  return "REPLACE INTO mysqlset.write_probe (id, written_at, writer) VALUES (1, NOW(6), " +
         q(writer) + ")";
}

std::string SetReadOnly(bool read_only) {
  return fmt::format("SET GLOBAL read_only = {}", read_only ? "ON" : "OFF");
}

std::string AckNudge(uint64_t unique) {
  return fmt::format("DROP TABLE IF EXISTS mysql.mysqlset_ack_nudge_{}", unique);
}

std::string SetSemiSyncPrimary(bool enabled) {
  return fmt::format("SET GLOBAL rpl_semi_sync_master_enabled = {}", enabled ? "ON" : "OFF");
}

std::string SetSemiSyncReplica(bool enabled) {
  return fmt::format("SET GLOBAL rpl_semi_sync_slave_enabled = {}", enabled ? "ON" : "OFF");
}

std::string SetGtidSlavePos(const std::string& gtid, const Quote& q) {
  return "SET GLOBAL gtid_slave_pos = " + q(gtid);
}

std::string ChangeSource(const ReplicationSource& s, const Quote& q) {
  return fmt::format(
      "CHANGE MASTER TO MASTER_HOST = {}, MASTER_PORT = {}, MASTER_USER = {}, "
      "MASTER_PASSWORD = {}, MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 5, "
      "MASTER_HEARTBEAT_PERIOD = 2",
      q(s.host), s.port, q(s.user), q(s.password));
}

std::string KillConnection(uint64_t id) { return fmt::format("KILL CONNECTION {}", id); }

std::string MasterGtidWait(const std::string& gtid, double timeout_seconds, const Quote& q) {
  return fmt::format("SELECT MASTER_GTID_WAIT({}, {:.3f})", q(gtid), timeout_seconds);
}

std::string DemoteToSource(const ReplicationSource& source, const Quote& q) {
  return ChangeSource(source, q) + ", MASTER_DEMOTE_TO_SLAVE = 1";
}

std::vector<std::string> CreateAccount(const Account& a, const Quote& q) {
  return {
      fmt::format("CREATE USER IF NOT EXISTS {} IDENTIFIED BY {}", Grantee(a, q), q(a.password)),
      fmt::format("GRANT {} ON *.* TO {}{}", Join(a.privileges, ", "), Grantee(a, q),
                  a.grant_option ? " WITH GRANT OPTION" : ""),
  };
}

std::string CountAccounts(const std::vector<Account>& accounts, const Quote& q) {
  std::vector<std::string> conds;
  for (const auto& a : accounts) {
    conds.push_back(fmt::format("(User = {} AND Host = {})", q(a.user), q(a.host)));
  }
  return "SELECT COUNT(*) FROM mysql.global_priv WHERE " + Join(conds, " OR ");
}

std::string FindSocketSuperusers(const std::string& os_user, const Quote& q) {
  return fmt::format(
      "SELECT User, Host FROM mysql.global_priv WHERE Host = 'localhost' AND User IN ('root', "
      "{}) AND JSON_SEARCH(Priv, 'one', 'unix_socket') IS NOT NULL ORDER BY User",
      q(os_user));
}

std::string DropAccountIfExists(const std::string& user, const std::string& host, const Quote& q) {
  return fmt::format("DROP USER IF EXISTS {}@{}", q(user), q(host));
}

std::string SecureBootstrapScript(const std::vector<Account>& accounts, const Quote& q) {
  // mariadb-install-db leaves root@localhost and <the OS user that ran it>@localhost, both
  // with ALL PRIVILEGES through unix_socket (any local process of that OS user is a superuser
  // without a password), root's proxy grant, and anonymous users' test-db grants. Keep only
  // mariadb.sys@localhost (locked; the DEFINER of system views) and the grants it holds.
  const std::string not_definer =
      fmt::format("NOT (User = {} AND Host = {})", q(kSystemDefinerUser), q(kSystemDefinerHost));
  std::string script = "USE mysql;\n";
  for (const char* table : {"global_priv", "db", "tables_priv", "columns_priv", "procs_priv"}) {
    script += fmt::format("DELETE FROM mysql.{} WHERE {};\n", table, not_definer);
  }
  script +=
      "DELETE FROM mysql.proxies_priv;\n"
      "DELETE FROM mysql.roles_mapping;\n"
      "DROP DATABASE IF EXISTS test;\n"
      "FLUSH PRIVILEGES;\n";
  for (const auto& a : accounts) {
    for (const auto& stmt : CreateAccount(a, q)) script += stmt + ";\n";
  }
  script += "FLUSH PRIVILEGES;\n";
  return script;
}

std::string RestoreScript(const std::vector<Account>& accounts, const std::string& gtid,
                          const Quote& q) {
  std::string script =
      "SET SESSION sql_log_bin = 0;\n"
      "RESET SLAVE ALL;\n"
      "FLUSH PRIVILEGES;\n";
  for (const auto& a : accounts) {
    for (const auto& stmt : CreateAccount(a, q)) script += stmt + ";\n";
    script += fmt::format("ALTER USER {} IDENTIFIED BY {};\n", Grantee(a, q), q(a.password));
  }
  script += "FLUSH PRIVILEGES;\nRESET MASTER;\n";
  if (!gtid.empty()) script += fmt::format("SET GLOBAL gtid_binlog_state = {};\n", q(gtid));
  script += "SELECT CONCAT('gtid=', @@GLOBAL.gtid_binlog_pos);\nSHUTDOWN;\n";
  return script;
}

std::string QuoteLiteral(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\'':
        out += "\\'";
        break;
      case '\0':
        out += "\\0";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\x1a':
        out += "\\Z";
        break;
      default:
        out += c;
    }
  }
  return out + "'";
}

}  // namespace mysqlset::dialect
