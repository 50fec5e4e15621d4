#include "agent/backup_source.h"

#include <algorithm>

#include "gtest/gtest.h"

namespace mysqlset {
namespace {

BackupSourceOptions Options() {
  BackupSourceOptions o;
  o.datadir = "/data/mysql";
  o.mysql_port = 13306;
  o.backup_password = "s3cret-pw";
  o.secret_values = {"s3cret-pw", "tok3n"};
  return o;
}

TEST(BackupSourceTest, ArgvStartsWithTheOptionFileAndHoldsNoSecret) {
  const auto argv = BackupSource::BackupArgv(Options(), "/tmp/x/backup.cnf", "/tmp/x/target");
  ASSERT_GE(argv.size(), 2u);
  EXPECT_EQ(argv[1], "--defaults-extra-file=/tmp/x/backup.cnf");
  EXPECT_NE(std::find(argv.begin(), argv.end(), "--stream=xbstream"), argv.end());
  EXPECT_NE(std::find(argv.begin(), argv.end(), "--datadir=/data/mysql"), argv.end());
  EXPECT_NE(std::find(argv.begin(), argv.end(), "--port=13306"), argv.end());
  for (const auto& a : argv) EXPECT_EQ(a.find("s3cret-pw"), std::string::npos) << a;
}

TEST(BackupSourceTest, OptionFileCarriesTheBackupAccount) {
  EXPECT_EQ(BackupSource::OptionFileText(Options()),
            "[mariabackup]\nuser=backup\npassword=s3cret-pw\nhost=127.0.0.1\nport=13306\n");
}

TEST(TailLinesTest, LastLinesWithSecretsScrubbed) {
  const std::string log = "one\n\ntwo\nthree pw=s3cret-pw\nfour tok3n\n";
  EXPECT_EQ(TailLines(log, 2, {"s3cret-pw", "tok3n"}), "three pw=*** | four ***");
  EXPECT_EQ(TailLines(log, 10, {}), "one | two | three pw=s3cret-pw | four tok3n");
  EXPECT_EQ(TailLines("", 3, {"x"}), "");
}

}  // namespace
}  // namespace mysqlset
