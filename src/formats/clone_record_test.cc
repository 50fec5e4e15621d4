#include "formats/clone_record.h"

#include <gtest/gtest.h>

#include "testing/golden.h"

namespace mysqlset::formats {
namespace {

CloneRecord Full() { return {"mysql-0", "127.0.0.1:13308", "0-100-42", 1048576, 2.5, 1800000000}; }

// The golden file is what keeps DESIGN.md's promise for DATA/.mysqlset-clone.json: fields
// may be added, none removed or renamed. Datadirs cloned by older releases carry it for
// ever, so a failing golden test is a compatibility decision, not a file to regenerate.
TEST(CloneRecordGolden, ToJsonOfAFullRecordIsTheGoldenFile) {
  EXPECT_EQ(ToJson(Full()), testing::Golden("clone_record.json"));
}

TEST(CloneRecordGolden, TheGoldenFileRoundTrips) {
  const std::string golden = testing::Golden("clone_record.json");
  auto r = FromJson<CloneRecord>(golden);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(ToJson(*r), golden);
  EXPECT_EQ(r->donor_address, "127.0.0.1:13308");
  EXPECT_EQ(r->completed_at_unix, 1800000000);
}

TEST(CloneRecord, OnlyTheGtidIsRequired) {
  auto r = FromJson<CloneRecord>(R"({"gtid":""})");  // the donor had written no GTID yet
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->gtid, "");
  EXPECT_EQ(r->bytes, 0u);
}

TEST(CloneRecord, GarbledInputIsAnErrorNotACrash) {
  struct Case {
    std::string text;
    const char* says;
  };
  const Case cases[] = {
      {"", "\"gtid\" string"},
      {"{", "\"gtid\" string"},
      {"[]", "\"gtid\" string"},
      {R"({"donor":"mysql-0"})", "\"gtid\" string"},  // missing required field
      {R"({"gtid": 7})", "\"gtid\" string"},
      {"{\"gtid\":\"\xff\"}", "\"gtid\" string"},
      {R"({"gtid":"0-1"})", "not a GTID list"},
      {R"({"gtid":"0-1-2","bytes":"x"})", "type must be number"},
      {R"({"gtid":"0-1-2","donor":7})", "type must be string"},
      {R"({"gtid":"0-1-2","bytes":1.5})", "\"bytes\" must be an integer"},
      {R"({"gtid":"0-100-7","bytes":77777777777777777777777777777777777777777700000})",
       "\"bytes\" must be an integer"},
      {R"({"gtid":"0-1-2","completed_at_unix":1.5})", "\"completed_at_unix\" must be"},
      {R"({"gtid":"0-1-2","seconds":[1]})", "type must be number"},
  };
  for (const Case& c : cases) {
    auto r = FromJson<CloneRecord>(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.text;
    EXPECT_NE(r.status().message().find(c.says), std::string::npos)
        << c.text << ": " << r.status().message();
  }
}

TEST(CloneRecord, LivesBesideTheDatadir) {
  EXPECT_EQ(CloneRecordPath("/var/lib/mysql"), "/var/lib/mysql/.mysqlset-clone.json");
}

}  // namespace
}  // namespace mysqlset::formats
