#include "backup/backup_age_monitor.h"

#include <gtest/gtest.h>

#include <map>

#include "fmt/format.h"
#include "formats/backup_manifest.h"
#include "testing/fakes.h"

namespace mysqlset::backup {
namespace {

// A repository in memory: objects by key; ListFolders fails while `list_error` is set.
// `lists` counts catalog reads: listings of backups/ (each read also lists failures/).
class MemRepository : public Repository {
 public:
  std::map<std::string, std::string> objects;
  Status list_error;
  int lists = 0;

  std::string Describe() const override { return "mem"; }
  std::string ScratchDir() const override { return "/scratch"; }
  Status PutFile(const std::string&, const std::string&) override { return Unsupported(); }
  Status PutText(const std::string& key, const std::string& text) override {
    objects[key] = text;
    return Status::Ok();
  }
  Result<std::string> GetText(const std::string& key) override {
    auto it = objects.find(key);
    if (it == objects.end()) return NotFound("mem has no {}", key);
    return it->second;
  }
  Result<std::string> Fetch(const std::string&, const std::string&) override {
    return Unsupported();
  }
  Result<std::string> Sha256Of(const std::string&) override { return Unsupported(); }
  Status Remove(const std::string& key) override {
    objects.erase(key);
    return Status::Ok();
  }
  Status RemoveFolder(const std::string&) override { return Unsupported(); }
  Result<std::vector<std::string>> ListFolders(const std::string& prefix) override {
    if (prefix == formats::kBackupsPrefix) ++lists;
    if (!list_error.ok()) return list_error;
    std::vector<std::string> out;
    for (const auto& [key, text] : objects) {
      if (key.rfind(prefix + "/", 0) != 0) continue;
      std::string folder = key.substr(prefix.size() + 1);
      folder = folder.substr(0, folder.find('/'));
      if (out.empty() || out.back() != folder) out.push_back(folder);
    }
    return out;
  }

 private:
  static Status Unsupported() { return Status(StatusCode::kInternal, "not in this fake"); }
};

// Publishes backup `id` that finished at `finished`, verified or not.
void Publish(MemRepository& repo, const std::string& id, int64_t finished, bool verified) {
  formats::BackupManifest m;
  m.id = id;
  m.cluster = "mysql";
  m.finished_at_unix = finished;
  m.objects = {{formats::kXbstreamObject, 1, std::string(64, 'a')}};
  ASSERT_TRUE(
      repo.PutText(formats::BackupKey(id, formats::kManifestName), formats::ToJson(m)).ok());
  if (verified) {
    formats::BackupVerification v{id, finished + 60, "", "test"};
    ASSERT_TRUE(
        repo.PutText(formats::BackupKey(id, formats::kVerifiedName), formats::ToJson(v)).ok());
  }
}

TEST(BackupAgeMonitor, ReadsTheCatalogAtOnceThenOncePerInterval) {
  MemRepository repo;
  FakeClock clock;
  Publish(repo, "a", 1000, true);
  Publish(repo, "b", 2000, false);
  BackupAgeMonitor monitor(repo, clock, std::chrono::seconds(60));

  ASSERT_TRUE(monitor.RunOnce().ok());
  BackupAgeStats s = monitor.Stats();
  EXPECT_TRUE(s.known);
  EXPECT_EQ(s.age.last_success_unix, 2000);
  EXPECT_EQ(s.age.last_verified_unix, 1000);

  // A new backup is seen at the next read, not before.
  Publish(repo, "c", 3000, true);
  clock.Advance(std::chrono::seconds(59));
  ASSERT_TRUE(monitor.RunOnce().ok());
  EXPECT_EQ(repo.lists, 1);
  EXPECT_EQ(monitor.Stats().age.last_success_unix, 2000);
  clock.Advance(std::chrono::seconds(1));
  ASSERT_TRUE(monitor.RunOnce().ok());
  EXPECT_EQ(repo.lists, 2);
  EXPECT_EQ(monitor.Stats().age.last_success_unix, 3000);
  EXPECT_EQ(monitor.Stats().age.last_verified_unix, 3000);
}

TEST(BackupAgeMonitor, AFailedReadIsCountedKeepsTheLastAgesAndWaitsAnInterval) {
  MemRepository repo;
  FakeClock clock;
  Publish(repo, "a", 1000, false);
  BackupAgeMonitor monitor(repo, clock, std::chrono::seconds(60));
  ASSERT_TRUE(monitor.RunOnce().ok());

  repo.list_error = Status(StatusCode::kUnavailable, "rclone: connection refused");
  clock.Advance(std::chrono::seconds(60));
  Status st = monitor.RunOnce();
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_NE(st.message().find("connection refused"), std::string::npos) << st.message();
  BackupAgeStats s = monitor.Stats();
  EXPECT_EQ(s.read_failures, 1u);
  EXPECT_TRUE(s.known);
  EXPECT_EQ(s.age.last_success_unix, 1000);
  EXPECT_NE(s.last_error.find("connection refused"), std::string::npos);

  // Not retried every call: the next attempt waits the interval.
  clock.Advance(std::chrono::seconds(30));
  EXPECT_TRUE(monitor.RunOnce().ok());
  EXPECT_EQ(repo.lists, 2);

  repo.list_error = Status::Ok();
  clock.Advance(std::chrono::seconds(30));
  ASSERT_TRUE(monitor.RunOnce().ok());
  EXPECT_EQ(monitor.Stats().read_failures, 1u);
  EXPECT_EQ(monitor.Stats().last_error, "");
}

// Records a failed run `id` that ended at `ended_ms`.
void RecordFailure(MemRepository& repo, const std::string& id, int64_t ended_ms) {
  formats::BackupFailure f{1, id, "mysql", "mysql-1", ended_ms - 5000, ended_ms, "stream broke"};
  ASSERT_TRUE(repo.PutText(formats::FailureKey(id), formats::ToJson(f)).ok());
}

TEST(BackupAgeMonitor, CountsTheFailuresSinceTheNewestBackup) {
  MemRepository repo;
  FakeClock clock;
  Publish(repo, "b", 2000, false);
  RecordFailure(repo, "a-failed", 1'500'000);
  RecordFailure(repo, "c-failed", 2'500'000);
  RecordFailure(repo, "d-failed", 3'000'000);
  BackupAgeMonitor monitor(repo, clock, std::chrono::seconds(60));
  ASSERT_TRUE(monitor.RunOnce().ok());
  EXPECT_EQ(monitor.Stats().failures.since_last_success, 2);
  EXPECT_EQ(monitor.Stats().failures.last_failure_unix, 3000);

  // A later backup resets the count; the last failure's time stays.
  Publish(repo, "e", 4000, false);
  clock.Advance(std::chrono::seconds(60));
  ASSERT_TRUE(monitor.RunOnce().ok());
  EXPECT_EQ(monitor.Stats().failures.since_last_success, 0);
  EXPECT_EQ(monitor.Stats().failures.last_failure_unix, 3000);
}

TEST(BackupAgeMonitor, ReadsOnlyTheNewestFailureRecords) {
  MemRepository repo;
  FakeClock clock;
  for (int i = 0; i < 15; ++i) RecordFailure(repo, fmt::format("f{:02}", i), 1'000'000 + i * 1000);
  // Garbled but older than the newest 10: never read.
  repo.objects[formats::FailureKey("a-garbled")] = "{not json";
  BackupAgeMonitor monitor(repo, clock);
  ASSERT_TRUE(monitor.RunOnce().ok());
  EXPECT_EQ(monitor.Stats().failures.since_last_success, 10);
  EXPECT_EQ(monitor.Stats().failures.last_failure_unix, 1014);
}

// A review found one garbled record (a truncated upload, a newer format) blinding the ages
// and stopping retention: it is skipped, and so is a record naming another folder.
TEST(BackupAgeMonitor, AnUnreadableOrMisnamedFailureRecordIsSkipped) {
  MemRepository repo;
  FakeClock clock;
  Publish(repo, "a", 1000, false);
  repo.objects[formats::FailureKey("z")] = "{not json";
  RecordFailure(repo, "y", 2'000'000);
  repo.objects[formats::FailureKey("x")] = repo.objects[formats::FailureKey("y")];  // names y
  BackupAgeMonitor monitor(repo, clock);
  ASSERT_TRUE(monitor.RunOnce().ok());
  EXPECT_TRUE(monitor.Stats().known);
  EXPECT_EQ(monitor.Stats().read_failures, 0u);
  EXPECT_EQ(monitor.Stats().failures.since_last_success, 1) << "y only";
}

TEST(BackupAgeMonitor, AnUnreadableManifestIsAFailedRead) {
  MemRepository repo;
  FakeClock clock;
  repo.objects[formats::BackupKey("x", formats::kManifestName)] = "{not json";
  BackupAgeMonitor monitor(repo, clock);
  EXPECT_FALSE(monitor.RunOnce().ok());
  EXPECT_FALSE(monitor.Stats().known);
  EXPECT_EQ(monitor.Stats().read_failures, 1u);
}

TEST(BackupAgeMetricsText, TheAgesOnlyOnceKnownTheFailuresAlways) {
  struct Case {
    const char* name;
    BackupAgeStats stats;
    std::vector<std::string> present;
    std::vector<std::string> absent;
  };
  const Case cases[] = {
      {"never read",
       {.known = false, .age = {}, .read_failures = 3, .last_error = "x"},
       {"# TYPE mysqlset_backup_catalog_read_failures_total counter\n",
        "\nmysqlset_backup_catalog_read_failures_total{cluster=\"mysql\"} 3\n"},
       {"mysqlset_backup_last_success_timestamp_seconds",
        "mysqlset_backup_last_verified_timestamp_seconds",
        "mysqlset_backup_failures_since_last_success",
        "mysqlset_backup_last_failure_timestamp_seconds"}},
      {"empty repository",
       {.known = true, .age = {}, .read_failures = 0, .last_error = ""},
       {"\nmysqlset_backup_last_success_timestamp_seconds{cluster=\"mysql\"} 0\n",
        "\nmysqlset_backup_last_verified_timestamp_seconds{cluster=\"mysql\"} 0\n",
        "\nmysqlset_backup_failures_since_last_success{cluster=\"mysql\"} 0\n",
        "\nmysqlset_backup_last_failure_timestamp_seconds{cluster=\"mysql\"} 0\n",
        "\nmysqlset_backup_catalog_read_failures_total{cluster=\"mysql\"} 0\n"},
       {}},
      {"failed runs",
       {.known = true,
        .age = {1700000000, 0},
        .failures = {3, 1700003600},
        .read_failures = 0,
        .last_error = ""},
       {"# TYPE mysqlset_backup_failures_since_last_success gauge\n",
        "\nmysqlset_backup_failures_since_last_success{cluster=\"mysql\"} 3\n",
        "# TYPE mysqlset_backup_last_failure_timestamp_seconds gauge\n",
        "\nmysqlset_backup_last_failure_timestamp_seconds{cluster=\"mysql\"} 1700003600\n"},
       {}},
      {"backups",
       {.known = true, .age = {1700000000, 1690000000}, .read_failures = 1, .last_error = ""},
       {"# TYPE mysqlset_backup_last_success_timestamp_seconds gauge\n",
        "\nmysqlset_backup_last_success_timestamp_seconds{cluster=\"mysql\"} 1700000000\n",
        "\nmysqlset_backup_last_verified_timestamp_seconds{cluster=\"mysql\"} 1690000000\n",
        "\nmysqlset_backup_catalog_read_failures_total{cluster=\"mysql\"} 1\n"},
       {}},
  };
  for (const auto& c : cases) {
    const std::string text = BackupAgeMetricsText(c.stats, "mysql");
    for (const auto& want : c.present) {
      EXPECT_NE(text.find(want), std::string::npos) << c.name << ": " << want << " in\n" << text;
    }
    for (const auto& not_want : c.absent) {
      EXPECT_EQ(text.find(not_want), std::string::npos) << c.name << ": " << not_want;
    }
  }
}

}  // namespace
}  // namespace mysqlset::backup
