#include "agent/errant_check.h"

#include "core/state_builder_testing.h"
#include "gtest/gtest.h"
#include "testing/fake_db.h"

namespace mysqlset {
namespace {

using testing::StateBuilder;

class ErrantCheckTest : public ::testing::Test {
 protected:
  ErrantCheckTest() { primary_.state = StateBuilder().Writable().Gtids("", "0-100-10").Build(); }
  PeerDbFactory Factory() {
    return [this](const std::string& name) -> Result<std::unique_ptr<Db>> {
      opened_.push_back(name);
      if (refuse_) return Unavailable("connect {}: Connection refused", name);
      return std::unique_ptr<Db>(new ForwardingDb(primary_));
    };
  }
  static ServerState Replica(const std::string& binlog) {
    return StateBuilder().Replicating().Gtids(binlog, binlog).Build();
  }

  FakeDb primary_;
  std::vector<std::string> opened_;
  bool refuse_ = false;
};

TEST_F(ErrantCheckTest, CaughtUpOrBehindIsNotErrant) {
  ErrantCheck check(Factory(), 101);
  for (const char* binlog : {"0-100-10", "0-100-7", ""}) {
    auto v = check.Run("mysql-0", Replica(binlog));
    ASSERT_TRUE(v) << binlog;
    EXPECT_FALSE(v->found()) << binlog;
  }
  EXPECT_EQ(opened_.size(), 1u) << "one connection, kept across ticks";
}

// Issue 13: a row inserted in domain 7 on a replica was served and never flagged.
TEST_F(ErrantCheckTest, EveryDomainCountsAndSameSequenceFromAnotherServerIsDiverged) {
  ErrantCheck check(Factory(), 101);
  auto v = check.Run("mysql-0", Replica("0-100-10,7-101-1"));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->errant.ToString(), "7-101-1");
  v = check.Run("mysql-0", Replica("0-101-10"));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->errant.ToString(), "0-101-10");
}

// The replica's state was gathered first; the primary has committed more since. The
// replica's position is behind the primary's later one: never a false errant verdict.
TEST_F(ErrantCheckTest, PrimaryReadAfterTheReplicaCoversWhatItSent) {
  ErrantCheck check(Factory(), 101);
  const ServerState replica = Replica("0-100-10");
  primary_.state.gtid_binlog = *GtidList::Parse("0-100-12");
  auto v = check.Run("mysql-0", replica);
  ASSERT_TRUE(v);
  EXPECT_FALSE(v->found());
}

// The replica wrote 0-101-11 itself; the primary's next write stopped its SQL thread (1950)
// and the primary went on to 0-100-15: still errant, from its own binlog.
TEST_F(ErrantCheckTest, ItsOwnWriteStaysErrantAfterThePrimaryWritesPastIt) {
  ErrantCheck check(Factory(), 101);
  primary_.state.gtid_binlog = *GtidList::Parse("0-100-15");
  primary_.state.gtid_binlog_state = *ParseGtidItems("0-100-15");
  const ServerState s = StateBuilder()
                            .Replicating()
                            .SqlError(1950,
                                      "An attempt was made to binlog GTID 0-100-11 which "
                                      "would create an out-of-order sequence number")
                            .Gtids("0-100-10", "0-101-11")
                            .Build();
  auto v = check.Run("mysql-0", s);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->errant.ToString(), "0-101-11");
}

TEST_F(ErrantCheckTest, IoError1236IsDiverged) {
  ErrantCheck check(Factory(), 101);
  ServerState s = StateBuilder()
                      .Replicating()
                      .IoError(1236,
                               "Got fatal error 1236 from master when reading data from "
                               "binary log: 'Error: connecting slave requested to start "
                               "from GTID 0-101-11, which is not in the master's binlog'")
                      .Gtids("0-100-10", "0-101-11")
                      .Build();
  auto v = check.Run("mysql-0", s);
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->diverged);
  EXPECT_EQ(v->errant.ToString(), "0-101-11");
}

TEST_F(ErrantCheckTest, CannotTellWithoutThePrimaryOrItsConnection) {
  ErrantCheck check(Factory(), 101);
  ServerState connecting = Replica("0-100-10,7-101-1");
  connecting.replica->io = ThreadState::kConnecting;
  EXPECT_FALSE(check.Run("mysql-0", connecting)) << "the primary may be down: no stalled tick";
  EXPECT_TRUE(opened_.empty());
  EXPECT_FALSE(check.Run("", Replica("0-100-10"))) << "no leader";
  refuse_ = true;
  EXPECT_FALSE(check.Run("mysql-0", Replica("0-100-10")));
  EXPECT_NE(check.last_error().find("Connection refused"), std::string::npos);
  refuse_ = false;
  primary_.state.reachable = false;
  EXPECT_FALSE(check.Run("mysql-0", Replica("0-100-10")));
  primary_.state.reachable = true;
  EXPECT_TRUE(check.Run("mysql-0", Replica("0-100-10")));
  EXPECT_EQ(opened_.size(), 3u) << "a failed read drops the connection";
}

TEST_F(ErrantCheckTest, ANewLeaderGetsANewConnection) {
  ErrantCheck check(Factory(), 101);
  ASSERT_TRUE(check.Run("mysql-0", Replica("0-100-10")));
  ASSERT_TRUE(check.Run("mysql-2", Replica("0-100-10")));
  EXPECT_EQ(opened_, (std::vector<std::string>{"mysql-0", "mysql-2"}));
}

}  // namespace
}  // namespace mysqlset
