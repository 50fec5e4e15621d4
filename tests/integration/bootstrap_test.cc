// A fresh primary: `mysqlset init` + `mysqlset clone` on ordinal 0 make a datadir that a
// real mariadbd starts from, with mysqlset's accounts, least privilege and no empty password.

#include <signal.h>

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"
#include "tests/integration/harness.h"

namespace mysqlset::testing {
namespace {

namespace fs = std::filesystem;

TEST(BootstrapTest, FreshPrimaryHasSecuredAccountsAndStartsReadOnly) {
  TempDir tmp;
  Member m({tmp.path() + "/m0", "mysql-0"});
  ASSERT_EQ(m.Init(), 0);
  ASSERT_EQ(m.Clone(), 0);
  EXPECT_TRUE(fs::exists(m.data_dir() + "/.mysqlset-complete"));
  EXPECT_FALSE(fs::exists(m.data_dir() + "/mysql.staging"));
  ASSERT_TRUE(m.Start());

  auto admin = m.ConnectAdmin();
  ASSERT_NE(admin, nullptr);
  EXPECT_EQ(QueryValue(*admin, "SELECT @@server_id"), "100");
  // Every member starts read-only; only the agent makes the primary writable.
  EXPECT_EQ(QueryValue(*admin, "SELECT @@read_only"), "1");
  EXPECT_EQ(QueryValue(*admin, "SELECT @@gtid_strict_mode"), "1");
  EXPECT_EQ(QueryValue(*admin, "SELECT @@log_bin"), "1");
  EXPECT_EQ(QueryValue(*admin, "SELECT @@sync_binlog"), "1");
  EXPECT_EQ(QueryValue(*admin, "SELECT @@binlog_format"), "ROW");

  // No anonymous users, no test database, no account usable with an empty password.
  EXPECT_EQ(QueryValue(*admin, "SELECT COUNT(*) FROM mysql.global_priv WHERE User = ''"), "0");
  EXPECT_EQ(QueryValue(*admin, "SELECT COUNT(*) FROM information_schema.schemata WHERE "
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
  EXPECT_EQ(QueryValue(*admin, "SELECT COUNT(*) FROM information_schema.schemata WHERE "
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
