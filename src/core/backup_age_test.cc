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

TEST(BackupFailures, CountedSinceTheNewestBackupFinished) {
  struct Case {
    const char* name;
    std::vector<FailedBackupEntry> failures;
    int64_t last_success_unix;
    int64_t want_since;
    int64_t want_last_failure;
  };
  const Case cases[] = {
      {"no failures", {}, 1000, 0, 0},
      {"a failure before the newest backup", {{"a", 900'000}}, 1000, 0, 900},
      {"a failure after the newest backup", {{"a", 1'001'000}}, 1000, 1, 1001},
      {"no backup at all: every failure counts", {{"a", 5'000}, {"b", 6'000}}, 0, 2, 6},
      {"in the same second as the backup: the backup is newer", {{"a", 1'000'999}}, 1000, 0, 1000},
      {"some before, some after, in any order",
       {{"c", 3'000'000}, {"a", 500'000}, {"b", 2'000'000}},
       1000,
       2,
       3000},
  };
  for (const auto& c : cases) {
    const BackupFailures f = BackupFailuresOf(c.failures, c.last_success_unix);
    EXPECT_EQ(f.since_last_success, c.want_since) << c.name;
    EXPECT_EQ(f.last_failure_unix, c.want_last_failure) << c.name;
  }
}

TEST(BackupFailures, PrunedOnlyWhenAKeptBackupIsNewer) {
  struct Case {
    const char* name;
    std::vector<FailedBackupEntry> failures;
    std::optional<int64_t> newest_kept;
    std::vector<std::string> want;
  };
  const Case cases[] = {
      {"no backup kept: nothing pruned", {{"a", 5'000}}, std::nullopt, {}},
      {"older than the newest kept backup: pruned", {{"a", 900'000}}, 1000, {"a"}},
      {"in the same second: pruned (the backup is newer)", {{"a", 1'000'500}}, 1000, {"a"}},
      {"newer than every kept backup: kept", {{"a", 1'001'000}}, 1000, {}},
      {"mixed", {{"a", 900'000}, {"b", 2'000'000}, {"c", 10'000}}, 1000, {"a", "c"}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(FailuresToPrune(c.failures, c.newest_kept), c.want) << c.name;
  }
}

}  // namespace
}  // namespace mysqlset
