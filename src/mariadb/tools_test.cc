#include "mariadb/tools.h"

#include <algorithm>

#include "gtest/gtest.h"

namespace mysqlset::tools {
namespace {

using Argv = std::vector<std::string>;

TEST(ToolsTest, ExtractStream) {
  EXPECT_EQ(ExtractStreamArgv("/v/mysql.staging"),
            (Argv{"mbstream", "-x", "-C", "/v/mysql.staging"}));
}

TEST(ToolsTest, StreamBackupPutsTheOptionFileFirstAndNoPassword) {
  StreamBackup b{"/tmp/x/backup.cnf", "/tmp/x/target", "/data/mysql", 13306, "backup"};
  EXPECT_EQ(StreamBackupArgv(b),
            (Argv{"mariabackup", "--defaults-extra-file=/tmp/x/backup.cnf", "--backup",
                  "--stream=xbstream", "--target-dir=/tmp/x/target", "--datadir=/data/mysql",
                  "--host=127.0.0.1", "--port=13306", "--user=backup"}));
  EXPECT_EQ(BackupOptionFile("backup", "pw", 13306),
            "[mariabackup]\nuser=backup\npassword=pw\nhost=127.0.0.1\nport=13306\n");
}

TEST(ToolsTest, PrepareWithAndWithoutUseMemory) {
  EXPECT_EQ(PrepareBackupArgv("/s", "1G"),
            (Argv{"mariabackup", "--prepare", "--target-dir=/s", "--use-memory=1G"}));
  EXPECT_EQ(PrepareBackupArgv("/s", ""), (Argv{"mariabackup", "--prepare", "--target-dir=/s"}));
}

// The data files' InnoDB settings come from the backup's own options file: a datadir of
// innodb_page_size=8k failed to start under --no-defaults ("uses page size 8192, but the
// innodb_page_size start-up parameter is 16384").
TEST(ToolsTest, TheRestoreServerReadsTheBackupsOwnOptionsFile) {
  const Argv argv = RestoreServerArgv("/d", "/w/s.sock", "/w/tmp", false);
  ASSERT_GE(argv.size(), 2u);
  EXPECT_EQ(argv[1], "--defaults-file=/d/backup-my.cnf");  // mariadbd takes it first only
  EXPECT_EQ(std::count(argv.begin(), argv.end(), "--no-defaults"), 0);
  // ... but not its redo log size: the source's may be GiBs, in a work directory.
  EXPECT_EQ(std::count(argv.begin(), argv.end(), "--innodb-log-file-size=100663296"), 1);
}

TEST(ToolsTest, TheRollbackPassIsTheRestoreServerWithHeuristicRollback) {
  Argv want = RestoreServerArgv("/d", "/w/s.sock", "/w/tmp", true);
  want.push_back("--tc-heuristic-recover=ROLLBACK");
  EXPECT_EQ(RollbackPreparedArgv("/d", "/w/s.sock", "/w/tmp", true), want);
  // The clone's pass sizes the redo log as the member runs it.
  want.insert(want.end() - 1, "--innodb-log-file-size=268435456");
  EXPECT_EQ(RollbackPreparedArgv("/d", "/w/s.sock", "/w/tmp", true, 268435456), want);
}

TEST(ToolsTest, TheRollbackPassIsJudgedByItsLog) {
  // The tail of a real pass (mariadbd 10.11) that rolled back one transaction.
  EXPECT_TRUE(
      RollbackPreparedSucceeded("[Note] InnoDB: Transaction 1234 in prepared state after recovery\n"
                                "[Note] Heuristic crash recovery mode\n"
                                "[Note] Please restart without --tc-heuristic-recover\n"
                                "[ERROR] Aborting\n"));
  // ha_recover failed: the done line comes all the same.
  EXPECT_FALSE(
      RollbackPreparedSucceeded("[Note] Heuristic crash recovery mode\n"
                                "[ERROR] Heuristic crash recovery failed\n"
                                "[Note] Please restart without --tc-heuristic-recover\n"));
  // Died before recovery (InnoDB could not start), or wrote nothing.
  EXPECT_FALSE(RollbackPreparedSucceeded(
      "[ERROR] InnoDB: Plugin initialization aborted with error Generic error\n"
      "[ERROR] Aborting\n"));
  EXPECT_FALSE(RollbackPreparedSucceeded(""));
}

TEST(ToolsTest, InstallDbAndBootstrapServer) {
  EXPECT_EQ(InstallDbArgv("/d/s", "/d/s.tmp", false),
            (Argv{"env", "TMPDIR=/d/s.tmp", "mariadb-install-db", "--no-defaults", "--datadir=/d/s",
                  "--auth-root-authentication-method=socket", "--skip-test-db",
                  "--skip-name-resolve", "--innodb-log-file-size=4M"}));
  EXPECT_EQ(InstallDbArgv("/d/s", "/d/s.tmp", true).back(), "-uroot");
  EXPECT_EQ(BootstrapServerArgv("/d/s", "/d/s.tmp", false),
            (Argv{"mariadbd", "--no-defaults", "--bootstrap", "--datadir=/d/s", "--skip-networking",
                  "--log-warnings=0", "--tmpdir=/d/s.tmp", "--innodb-log-file-size=4M"}));
  EXPECT_EQ(BootstrapServerArgv("/d/s", "/d/s.tmp", true).back(), "--user=root");
}

TEST(ToolsTest, Server) {
  // Never --init-rpl-role=SLAVE: its truncation loses what replicas hold (tools.cc).
  EXPECT_EQ(ServerArgv("/c/my.cnf", false), (Argv{"mariadbd", "--defaults-file=/c/my.cnf"}));
  EXPECT_EQ(ServerArgv("/c/my.cnf", true),
            (Argv{"mariadbd", "--defaults-file=/c/my.cnf", "--user=root"}));
}

}  // namespace
}  // namespace mysqlset::tools
