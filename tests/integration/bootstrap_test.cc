// A fresh primary: `mysqlset init` + `mysqlset clone` on ordinal 0 make a datadir that a
// real mariadbd starts from, with mysqlset's accounts, least privilege and no empty password.

#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/mycnf.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"

namespace mysqlset::testing {
namespace {

namespace fs = std::filesystem;

// `init` + `clone` on ordinal 0 in tmp/m0, then the member started; the admin connection
// (nullptr, with a test failure, if any step failed).
std::unique_ptr<Connection> BootstrapAndStart(const TempDir& tmp, std::unique_ptr<Member>* out) {
  auto m = std::make_unique<Member>(MemberSpec{tmp.path() + "/m0", "mysql-0"});
  Member& member = *m;
  *out = std::move(m);
  EXPECT_EQ(member.Init(), 0);
  EXPECT_EQ(member.Clone(), 0);
  EXPECT_TRUE(fs::exists(member.data_dir() + "/.mysqlset-complete"));
  EXPECT_FALSE(fs::exists(member.data_dir() + "/mysql.staging"));
  if (!member.Start()) return nullptr;
  return member.ConnectAdmin();
}

TEST(BootstrapTest, FreshPrimaryHasSecuredAccountsAndStartsReadOnly) {
  TempDir tmp;
  std::unique_ptr<Member> member;
  auto admin = BootstrapAndStart(tmp, &member);
  ASSERT_NE(admin, nullptr);
  Member& m = *member;
  EXPECT_EQ(QueryValue(*admin, "SELECT @@server_id"), "100");
  // Every member starts read-only; only the agent makes the primary writable.
  EXPECT_EQ(QueryValue(*admin, "SELECT @@read_only"), "1");
  EXPECT_EQ(QueryValue(*admin, "SELECT @@gtid_strict_mode"), "1");
  EXPECT_EQ(QueryValue(*admin, "SELECT @@log_bin"), "1");
  EXPECT_EQ(QueryValue(*admin, "SELECT @@sync_binlog"), "1");
  EXPECT_EQ(QueryValue(*admin, "SELECT @@binlog_format"), "ROW");

  // No anonymous users, no test database, no account usable with an empty password.
  EXPECT_EQ(QueryValue(*admin, "SELECT COUNT(*) FROM mysql.global_priv WHERE User = ''"), "0");
  EXPECT_EQ(QueryValue(*admin,
                       "SELECT COUNT(*) FROM information_schema.schemata WHERE "
                       "schema_name = 'test'"),
            "0");
  // An account with an empty password: native auth with an empty hash, neither locked nor a
  // role (root@localhost keeps unix_socket auth with hash 'invalid').
  EXPECT_EQ(QueryValue(*admin,
                       "SELECT COUNT(*) FROM mysql.global_priv WHERE "
                       "IFNULL(JSON_VALUE(Priv, '$.authentication_string'), '') = '' AND "
                       "IFNULL(JSON_VALUE(Priv, '$.plugin'), 'mysql_native_password') IN "
                       "('mysql_native_password', 'mysql_old_password', '') AND "
                       "IFNULL(JSON_VALUE(Priv, '$.account_locked'), 0) NOT IN ('1', 'true') AND "
                       "IFNULL(JSON_VALUE(Priv, '$.is_role'), 0) NOT IN ('1', 'true')"),
            "0")
      << "an account has an empty password";

  // Least privilege, as users will check with SHOW GRANTS.
  EXPECT_NE(QueryValue(*admin, "SHOW GRANTS FOR 'repl'@'%'").find("GRANT REPLICATION SLAVE ON"),
            std::string::npos);
  const std::string monitor = QueryValue(*admin, "SHOW GRANTS FOR 'monitor'@'127.0.0.1'");
  EXPECT_NE(monitor.find("SLAVE MONITOR"), std::string::npos);
  EXPECT_EQ(monitor.find("SELECT"), std::string::npos) << monitor;
  EXPECT_EQ(monitor.find("SUPER"), std::string::npos) << monitor;
  const std::string backup = QueryValue(*admin, "SHOW GRANTS FOR 'backup'@'127.0.0.1'");
  EXPECT_NE(backup.find("RELOAD"), std::string::npos);
  EXPECT_EQ(backup.find("ALL PRIVILEGES"), std::string::npos) << backup;

  // Each account works with its own secret and not with a wrong one.
  const Secrets s = m.secrets();
  EXPECT_NE(m.Connect(kMonitorUser, s.monitor_password), nullptr);
  EXPECT_EQ(m.Connect(kMonitorUser, "wrong"), nullptr);
  EXPECT_EQ(m.Connect(kAdminUser, ""), nullptr);
  EXPECT_EQ(m.Connect("root", ""), nullptr);

  // The monitor cannot write or change read_only.
  auto mon = m.Connect(kMonitorUser, s.monitor_password);
  ASSERT_NE(mon, nullptr);
  EXPECT_FALSE(mon->Execute("SET GLOBAL read_only = OFF").ok());
}

// The accounts README.md documents: the first `user@host` of each table row between the
// accounts markers.
std::vector<std::string> DocumentedAccounts() {
  std::ifstream in(MYSQLSET_SOURCE_DIR "/README.md");
  std::vector<std::string> out;
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    if (line.find("<!-- accounts:begin -->") != std::string::npos) inside = true;
    if (line.find("<!-- accounts:end -->") != std::string::npos) inside = false;
    if (!inside || !line.starts_with("| `")) continue;
    out.push_back(line.substr(3, line.find('`', 3) - 3));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// mariadb-install-db used to leave root@localhost and <OS user>@localhost with ALL
// PRIVILEGES through unix_socket: any local process of that OS user was a superuser with no
// password. A fresh datadir must hold exactly the documented accounts.
TEST(BootstrapTest, FreshDatadirHasExactlyTheDocumentedAccountsAndNoSocketSuperuser) {
  TempDir tmp;
  std::unique_ptr<Member> member;
  auto admin = BootstrapAndStart(tmp, &member);
  ASSERT_NE(admin, nullptr);
  Member& m = *member;
  auto rows = admin->Query("SELECT user, host FROM mysql.global_priv");
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  std::vector<std::string> accounts;
  for (const auto& row : rows->rows) {
    ASSERT_EQ(row.size(), 2u);
    accounts.push_back(row[0].value_or("NULL") + "@" + row[1].value_or("NULL"));
  }
  std::sort(accounts.begin(), accounts.end());
  EXPECT_EQ(accounts, FreshDatadirAccounts());
  EXPECT_EQ(DocumentedAccounts(), FreshDatadirAccounts()) << "README.md's account table";
  EXPECT_EQ(QueryValue(*admin, "SELECT COUNT(*) FROM mysql.proxies_priv"), "0");
  EXPECT_EQ(QueryValue(*admin, "SELECT COUNT(*) FROM mysql.roles_mapping"), "0");
  // mariadb.sys stays locked: it only owns the system views.
  EXPECT_EQ(QueryValue(*admin,
                       "SELECT JSON_VALUE(Priv, '$.account_locked') FROM "
                       "mysql.global_priv WHERE User = 'mariadb.sys'"),
            "1");
  EXPECT_NE(QueryValue(*admin, "SELECT COUNT(*) FROM mysql.user"), "")
      << "mysql.user (a view defined by mariadb.sys) must still work";

  // What the red team did: log in over the socket as the OS user (this test's, and root).
  const char* os_user = std::getenv("USER");
  for (const std::string& user : {std::string("root"), std::string(os_user ? os_user : "root")}) {
    SCOPED_TRACE(user);
    EXPECT_NE(RunCommand({"mariadb", "--no-defaults", "--socket=" + SocketOf(m.data_dir()),
                          "--user=" + user, "--execute=SELECT 1"},
                         tmp.path() + "/socket-login.log"),
              0)
        << "a unix_socket login as '" << user << "' still works";
  }
}

TEST(BootstrapTest, SecretsNeverAppearInLogs) {
  TempDir tmp;
  Member m({tmp.path() + "/m0", "mysql-0"});
  ASSERT_EQ(m.Init(), 0);
  ASSERT_EQ(m.Clone(), 0);
  std::ifstream in(m.log_file());
  const std::string log((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const auto& secret : SecretValues(m.secrets())) {
    EXPECT_EQ(log.find(secret), std::string::npos) << "secret leaked into the log";
  }
}

TEST(BootstrapTest, SecondCloneRunKeepsCompleteData) {
  TempDir tmp;
  Member m({tmp.path() + "/m0", "mysql-0"});
  ASSERT_EQ(m.Init(), 0);
  ASSERT_EQ(m.Clone(), 0);
  ASSERT_TRUE(m.Start());
  {
    auto admin = m.ConnectAdmin();
    ASSERT_NE(admin, nullptr);
    ASSERT_TRUE(admin->Execute("SET GLOBAL read_only = OFF").ok());
    ASSERT_TRUE(admin->Execute("CREATE DATABASE keepme").ok());
  }
  m.Stop();
  ASSERT_EQ(m.Clone(), 0);  // marker present: nothing is redone
  ASSERT_TRUE(m.Start());
  auto admin = m.ConnectAdmin();
  ASSERT_NE(admin, nullptr);
  EXPECT_EQ(QueryValue(*admin,
                       "SELECT COUNT(*) FROM information_schema.schemata WHERE "
                       "schema_name = 'keepme'"),
            "1");
}

TEST(BootstrapTest, InterruptedBootstrapIsRedoneNeverUsed) {
  TempDir tmp;
  Member m({tmp.path() + "/m0", "mysql-0"});
  ASSERT_EQ(m.Init(), 0);
  // A datadir without the completion marker and without InnoDB files: never finished.
  fs::create_directories(m.data_dir() + "/mysql/half");
  std::ofstream(m.data_dir() + "/mysql/half/garbage") << "x";
  ASSERT_EQ(m.Clone(), 0);
  EXPECT_TRUE(fs::exists(m.data_dir() + "/.mysqlset-complete"));
  EXPECT_FALSE(fs::exists(m.data_dir() + "/mysql/half"));
  // Kept under a timestamped name, never deleted.
  std::vector<std::string> kept;
  for (const auto& e : fs::directory_iterator(m.data_dir())) {
    if (e.path().filename().string().starts_with("mysql.discarded.")) kept.push_back(e.path());
  }
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_TRUE(fs::exists(kept[0] + "/half/garbage"));
  ASSERT_TRUE(m.Start());
}

TEST(BootstrapTest, MissingSecretFailsWithOneLineAndWritesNothing) {
  TempDir tmp;
  Member m({tmp.path() + "/m0", "mysql-0"});
  ASSERT_EQ(m.Init(), 0);
  fs::remove(m.spec().secrets_dir + "/backup-token");
  EXPECT_NE(m.Clone(), 0);
  EXPECT_FALSE(fs::exists(m.data_dir() + "/mysql"));
  std::ifstream in(m.log_file());
  const std::string log((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(log.find("backup-token is missing"), std::string::npos) << log;
}

}  // namespace
}  // namespace mysqlset::testing
