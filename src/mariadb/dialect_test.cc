#include "mariadb/dialect.h"

#include "core/accounts.h"
#include "gtest/gtest.h"
#include "testing/golden.h"

namespace mysqlset {
namespace {

using ::mysqlset::testing::Golden;

TEST(DialectTest, BootstrapScriptMatchesGolden) {
  Secrets s{"adm'in", "re\\pl", "back", "mon", "tok", "a\"pp"};
  EXPECT_EQ(dialect::SecureBootstrapScript(MysqlsetAccounts(s), dialect::QuoteLiteral),
            Golden("bootstrap.sql"));
}

TEST(DialectTest, RestoreScriptMatchesGolden) {
  Secrets s{"adm'in", "re\\pl", "back", "mon", "tok", "a\"pp"};
  EXPECT_EQ(dialect::RestoreScript(MysqlsetAccounts(s), "0-100-7", dialect::QuoteLiteral),
            Golden("restore.sql"));
  // No GTID in the backup: the binlog starts empty.
  EXPECT_EQ(dialect::RestoreScript({}, "", dialect::QuoteLiteral).find("gtid_binlog_state ="),
            std::string::npos);
}

// Each nudge names its own table: a second one on the same name would wait for the first's
// metadata lock, which it holds while it waits for its ack.
TEST(DialectTest, AckNudgesNameDistinctTables) {
  EXPECT_EQ(dialect::AckNudge(1764510000123),
            "DROP TABLE IF EXISTS mysql.mysqlset_ack_nudge_1764510000123");
  EXPECT_NE(dialect::AckNudge(1), dialect::AckNudge(2));
}

TEST(DialectTest, ChangeSourceUsesGtidSlavePos) {
  ReplicationSource src{"mysql-0.mysql", 3306, "repl", "p'w"};
  EXPECT_EQ(dialect::ChangeSource(src, dialect::QuoteLiteral), Golden("change_source.sql"));
}

TEST(DialectTest, SwitchoverStatements) {
  ReplicationSource src{"mysql-2.mysql", 3306, "repl", "pw"};
  EXPECT_EQ(dialect::DemoteToSource(src, dialect::QuoteLiteral),
            dialect::ChangeSource(src, dialect::QuoteLiteral) + ", MASTER_DEMOTE_TO_SLAVE = 1");
  EXPECT_EQ(dialect::MasterGtidWait("0-100-5", 1, dialect::QuoteLiteral),
            "SELECT MASTER_GTID_WAIT('0-100-5', 1.000)");
  EXPECT_EQ(dialect::KillConnection(42), "KILL CONNECTION 42");
}

TEST(DialectTest, QuoteLiteralEscapesEverythingThatEndsAString) {
  EXPECT_EQ(dialect::QuoteLiteral("a'b\\c"), "'a\\'b\\\\c'");
  EXPECT_EQ(dialect::QuoteLiteral(std::string("x\0y", 3)), "'x\\0y'");
}

}  // namespace
}  // namespace mysqlset
