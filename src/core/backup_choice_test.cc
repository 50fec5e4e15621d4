#include "core/backup_choice.h"

#include <gtest/gtest.h>

namespace mysqlset {
namespace {

const std::vector<BackupEntry> kThree = {
    {"b-200", 200, false}, {"a-100", 100, true}, {"c-300", 300, false}};

TEST(BackupChoice, ChoosesTheNewestAtOrBeforeTheTarget) {
  struct Case {
    const char* name;
    std::vector<BackupEntry> entries;
    std::string id;
    std::optional<int64_t> before;
    StatusCode code;
    std::string want_id;  // when OK; else a part of the message
  };
  const Case cases[] = {
      {"latest by default", kThree, "", std::nullopt, StatusCode::kOk, "c-300"},
      {"between two backups", kThree, "", 250, StatusCode::kOk, "b-200"},
      {"exactly at a finish", kThree, "", 200, StatusCode::kOk, "b-200"},
      {"before every backup", kThree, "", 99, StatusCode::kFailedPrecondition, "oldest (a-100)"},
      {"by id", kThree, "a-100", std::nullopt, StatusCode::kOk, "a-100"},
      {"unknown id", kThree, "zzz", std::nullopt, StatusCode::kNotFound, "no published backup zzz"},
      {"empty repository", {}, "", std::nullopt, StatusCode::kNotFound, "holds no published"},
  };
  for (const auto& c : cases) {
    auto r = ChooseBackup(c.entries, c.id, c.before);
    EXPECT_EQ(r.status().code(), c.code) << c.name;
    if (r.ok()) {
      EXPECT_EQ(r->id, c.want_id) << c.name;
    } else {
      EXPECT_NE(r.status().message().find(c.want_id), std::string::npos)
          << c.name << ": " << r.status().message();
    }
  }
}

TEST(BackupChoice, NewestFirstBreaksTiesById) {
  auto sorted = NewestFirst({{"a", 5, false}, {"b", 5, false}, {"c", 1, false}});
  ASSERT_EQ(sorted.size(), 3u);
  EXPECT_EQ(sorted[0].id, "b");
  EXPECT_EQ(sorted[1].id, "a");
  EXPECT_EQ(sorted[2].id, "c");
}

TEST(BackupRetention, PrunesOutsideEveryRuleButNeverTheNewestVerified) {
  constexpr int64_t kDay = 86400;
  constexpr int64_t kNow = 100 * kDay;
  // Newest first: d (today), c (2 days ago, verified), b (5 days), a (9 days, verified).
  const std::vector<BackupEntry> four = {{"a", kNow - 9 * kDay, true},
                                         {"b", kNow - 5 * kDay, false},
                                         {"c", kNow - 2 * kDay, true},
                                         {"d", kNow - 60, false}};
  struct Case {
    const char* name;
    std::vector<BackupEntry> entries;
    RetentionPolicy policy;
    std::vector<std::string> want;  // oldest first
  };
  const Case cases[] = {
      {"keep last 2", four, {2, std::nullopt}, {"a", "b"}},
      {"keep last 1: the newest verified stays too", four, {1, std::nullopt}, {"a", "b"}},
      {"keep last 0: still the newest verified", four, {0, std::nullopt}, {"a", "b", "d"}},
      {"keep 3 days", four, {std::nullopt, 3}, {"a", "b"}},
      {"keep 6 days", four, {std::nullopt, 6}, {"a"}},
      {"either rule keeps", four, {1, 6}, {"a"}},
      {"everything kept", four, {10, std::nullopt}, {}},
      {"none verified", {{"x", 1, false}, {"y", 2, false}}, {1, std::nullopt}, {"x"}},
      {"empty repository", {}, {1, 1}, {}},
  };
  for (const auto& c : cases) {
    auto r = BackupsToPrune(c.entries, c.policy, kNow);
    ASSERT_TRUE(r.ok()) << c.name << ": " << r.status().message();
    EXPECT_EQ(*r, c.want) << c.name;
  }
}

TEST(BackupRetention, RefusesNoRuleAndNegativeRules) {
  EXPECT_EQ(BackupsToPrune({}, {}, 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(BackupsToPrune({}, {-1, std::nullopt}, 0).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(BackupsToPrune({}, {std::nullopt, -1}, 0).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mysqlset
