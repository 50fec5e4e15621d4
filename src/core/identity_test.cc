#include "core/identity.h"

#include "gtest/gtest.h"

namespace mysqlset {
namespace {

TEST(IdentityTest, ParsesNameAndOrdinal) {
  struct Case {
    const char* pod;
    uint64_t offset;
    const char* set;
    uint32_t ordinal;
    uint32_t server_id;
  } cases[] = {
      {"mysql-0", 100, "mysql", 0, 100},
      {"mysql-2", 100, "mysql", 2, 102},
      {"my-db-set-17", 100, "my-db-set", 17, 117},
      {"a-0", 1, "a", 0, 1},
      {"db-4294967194", 100, "db", 4294967194u, 4294967294u},
      {"db-4294967295", 0, "db", 4294967295u, 4294967295u},
  };
  for (const auto& c : cases) {
    auto id = ParseIdentity(c.pod, c.offset);
    ASSERT_TRUE(id.ok()) << c.pod << ": " << id.status().ToString();
    EXPECT_EQ(id->set_name, c.set) << c.pod;
    EXPECT_EQ(id->ordinal, c.ordinal) << c.pod;
    EXPECT_EQ(id->server_id, c.server_id) << c.pod;
    EXPECT_EQ(id->pod_name, c.pod);
  }
}

TEST(IdentityTest, RejectsBadNamesWithClearMessages) {
  struct Case {
    const char* pod;
    uint64_t offset;
    const char* message_part;
  } cases[] = {
      {"", 100, "empty"},
      {"mysql", 100, "has no ordinal"},
      {"db-x", 100, "has no ordinal"},
      {"mysql-", 100, "not a DNS label"},
      {"-3", 100, "not a DNS label"},
      {"mysql-01", 100, "leading zeros"},
      {"mysql-00", 100, "leading zeros"},
      {"mysql-99999999999999999999999", 100, "too large"},
      {"mysql-4294967296", 0, "too large"},
      {"mysql-4294967295", 100, "outside MariaDB's range"},
      {"mysql-0", 0, "outside MariaDB's range"},
      {"MySQL-1", 100, "not a DNS label"},
      {"my_sql-1", 100, "not a DNS label"},
      {"mysql-1.mysql", 100, "not a DNS label"},
      {"mysql-+1", 100, "not a DNS label"},
      {"mysql- 1", 100, "not a DNS label"},
  };
  for (const auto& c : cases) {
    auto id = ParseIdentity(c.pod, c.offset);
    ASSERT_FALSE(id.ok()) << "'" << c.pod << "' was accepted";
    EXPECT_EQ(id.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(id.status().message().find(c.message_part), std::string::npos)
        << c.pod << ": " << id.status().message();
    EXPECT_EQ(id.status().message().find('\n'), std::string::npos);
  }
}

TEST(IdentityTest, RejectsTooLongLabel) {
  EXPECT_FALSE(ParseIdentity(std::string(62, 'a') + "-1").ok());
  EXPECT_TRUE(ParseIdentity(std::string(61, 'a') + "-1").ok());
}

}  // namespace
}  // namespace mysqlset
