#include "core/backup_age.h"

#include <gtest/gtest.h>

namespace mysqlset {
namespace {

TEST(BackupAge, NewestPublishedAndNewestVerified) {
  struct Case {
    const char* name;
    std::vector<BackupEntry> entries;
    int64_t want_success;
    int64_t want_verified;
  };
  const Case cases[] = {
      {"empty repository", {}, 0, 0},
      {"one unverified backup", {{"a", 100, false}}, 100, 0},
      {"one verified backup", {{"a", 100, true}}, 100, 100},
      {"the newest is not the verified one",
       {{"c", 300, false}, {"b", 200, true}, {"a", 100, true}},
       300,
       200},
      {"order does not matter", {{"a", 100, true}, {"c", 300, false}, {"b", 200, true}}, 300, 200},
      {"the newest is verified", {{"a", 100, false}, {"b", 200, true}}, 200, 200},
  };
  for (const auto& c : cases) {
    const BackupAge age = BackupAgeOf(c.entries);
    EXPECT_EQ(age.last_success_unix, c.want_success) << c.name;
    EXPECT_EQ(age.last_verified_unix, c.want_verified) << c.name;
  }
}

}  // namespace
}  // namespace mysqlset
