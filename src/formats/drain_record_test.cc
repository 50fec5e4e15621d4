#include "formats/drain_record.h"

#include <gtest/gtest.h>

#include "testing/golden.h"

namespace mysqlset::formats {
namespace {

// Datadirs stopped by an older release may carry the file: fields may be added, none
// removed or renamed.
TEST(DrainRecordGolden, ToJsonIsTheGoldenFileAndRoundTrips) {
  const DrainRecord full{"mysql-1", 4, "0-101-77"};
  const std::string golden = testing::Golden("drain_record.json");
  EXPECT_EQ(ToJson(full), golden);
  auto r = FromJson<DrainRecord>(golden);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->leader, "mysql-1");
  EXPECT_EQ(r->epoch, 4u);
  EXPECT_EQ(r->gtid, "0-101-77");
}

TEST(DrainRecord, GarbledInputIsAnErrorNotACrash) {
  struct Case {
    std::string text;
    const char* says;
  };
  const Case cases[] = {
      {"", "expected a JSON object"},
      {"{", "expected a JSON object"},
      {R"({"leader":"mysql-0","gtid":"0-1-2"})", "\"epoch\" count"},  // no epoch
      {R"({"leader":"mysql-0","gtid":"0-1-2","epoch":-1})", "\"epoch\" count"},
      {R"({"leader":"mysql-0","gtid":"0-1-2","epoch":1.5})", "\"epoch\" count"},
      {R"({"leader":7,"gtid":"0-1-2","epoch":1})", "\"leader\" and \"gtid\" strings"},
      {R"({"leader":"","gtid":"0-1-2","epoch":1})", "\"leader\" is empty"},
      {R"({"leader":"mysql-0","gtid":"0-1","epoch":1})", "not a GTID list"},
  };
  for (const Case& c : cases) {
    auto r = FromJson<DrainRecord>(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_NE(r.status().message().find(c.says), std::string::npos)
        << c.text << ": " << r.status().message();
  }
}

TEST(DrainRecord, LivesBesideTheDatadir) {
  EXPECT_EQ(DrainRecordPath("/var/lib/mysql"), "/var/lib/mysql/.mysqlset-drained.json");
}

}  // namespace
}  // namespace mysqlset::formats
