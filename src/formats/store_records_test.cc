#include "formats/store_records.h"

#include <gtest/gtest.h>

namespace mysqlset::formats {
namespace {

TEST(StoreKeys, EveryKeyIsUnderTheClustersPrefix) {
  const StoreKeys keys("orders");
  EXPECT_EQ(keys.Leader(), "/mysqlset/orders/leader");
  EXPECT_EQ(keys.LastLeader(), "/mysqlset/orders/last_leader");
  EXPECT_EQ(keys.Initialized(), "/mysqlset/orders/initialized");
  EXPECT_EQ(keys.Switchover(), "/mysqlset/orders/switchover");
  EXPECT_EQ(keys.Member("mysql-1"), "/mysqlset/orders/members/mysql-1");
  EXPECT_EQ(keys.Member("mysql-1").rfind(keys.MembersPrefix(), 0), 0u);
}

TEST(StoreRecords, EachRecordRoundTrips) {
  const LeaderRecord leader{"mysql-2", 7, 1800000000123};
  auto l = FromJson<LeaderRecord>(ToJson(leader));
  ASSERT_TRUE(l.ok()) << l.status().message();
  EXPECT_EQ(*l, leader);

  MemberRecord m;
  m.name = "mysql-1";
  m.ordinal = 1;
  m.lease = 7587890123456789;
  m.gtid_binlog = "0-100-42";
  m.lag_seconds = 3;
  m.replicating = true;
  m.received_from = "mysql-0";
  m.received_epoch = 4;
  auto back = FromJson<MemberRecord>(ToJson(m));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(ToJson(*back), ToJson(m));
  EXPECT_EQ(back->lag_seconds, 3.0);
  EXPECT_EQ(back->received_epoch, 4u);

  SwitchoverRequest s{"ab12", "mysql-0", "mysql-2", "read_only", "0-100-9", "", 1, 2};
  auto sb = FromJson<SwitchoverRequest>(ToJson(s));
  ASSERT_TRUE(sb.ok()) << sb.status().message();
  EXPECT_EQ(ToJson(*sb), ToJson(s));
}

TEST(StoreRecords, GarbledValuesAreErrorsNotCrashes) {
  EXPECT_FALSE(FromJson<LeaderRecord>("").ok());
  EXPECT_FALSE(FromJson<LeaderRecord>(R"({"epoch":1})").ok());
  EXPECT_FALSE(FromJson<LeaderRecord>(R"({"name":"m","epoch":1.5})").ok());
  EXPECT_FALSE(FromJson<LeaderRecord>(R"({"name":"m","epoch":"x"})").ok());
  EXPECT_FALSE(FromJson<MemberRecord>(R"({"name":"m","lag_seconds":"x"})").ok());
  EXPECT_FALSE(FromJson<MemberRecord>("[1]").ok());
  EXPECT_FALSE(FromJson<SwitchoverRequest>(R"({"id":"a","from":"b","to":3,"state":"x"})").ok());
  EXPECT_FALSE(FromJson<InitializedRecord>(R"({"by":1})").ok());
}

}  // namespace
}  // namespace mysqlset::formats
