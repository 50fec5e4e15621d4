#include "local/backup_schedule.h"

#include <gtest/gtest.h>

namespace mysqlset::local {
namespace {

constexpr int64_t kT0 = 1'800'000'000;  // 2027-01-15T08:00:00Z, a whole hour

CronSchedule Cron(const char* text) {
  auto s = ParseCron(text);
  EXPECT_TRUE(s.ok()) << text;
  return *s;
}

TEST(BackupScheduler, RunsAtTheScheduledMinuteAndCountsTheResult) {
  BackupScheduler s(Cron("*/5 * * * *"), std::nullopt, "/c/backup-schedule.log", kT0 + 10);
  EXPECT_EQ(s.state().next_run_unix, kT0 + 300);
  EXPECT_FALSE(s.Tick(kT0 + 299).start);
  const auto due = s.Tick(kT0 + 300);
  EXPECT_TRUE(due.start);
  EXPECT_FALSE(due.verify);
  s.Started(77, kT0 + 300);
  EXPECT_EQ(s.running(), 77);
  EXPECT_EQ(s.state().next_run_unix, kT0 + 600);
  EXPECT_FALSE(s.Exited(78, true, "exit 0", kT0 + 320));  // not ours
  EXPECT_TRUE(s.Exited(77, false, "exit 1", kT0 + 330));
  EXPECT_EQ(s.running(), 0);
  EXPECT_EQ(s.state().failed, 1u);
  EXPECT_EQ(s.state().last_failure, "exit 1");
  EXPECT_EQ(s.state().last_failure_unix, kT0 + 330);
  EXPECT_FALSE(s.state().last_success_unix);
  ASSERT_TRUE(s.Tick(kT0 + 600).start);
  s.Started(79, kT0 + 600);
  EXPECT_TRUE(s.Exited(79, true, "exit 0", kT0 + 650));
  EXPECT_EQ(s.state().started, 2u);
  EXPECT_EQ(s.state().succeeded, 1u);
  EXPECT_EQ(s.state().last_success_unix, kT0 + 650);
}

// A backup longer than the interval: the run due meanwhile is skipped, not queued.
TEST(BackupScheduler, ARunDueWhileOneRunsIsSkipped) {
  BackupScheduler s(Cron("* * * * *"), std::nullopt, "", kT0);
  ASSERT_TRUE(s.Tick(kT0 + 60).start);
  s.Started(5, kT0 + 60);
  const auto due = s.Tick(kT0 + 120);
  EXPECT_FALSE(due.start);
  EXPECT_TRUE(due.skipped);
  EXPECT_EQ(s.state().skipped, 1u);
  EXPECT_FALSE(s.Tick(kT0 + 150).skipped);  // once per due time, not per tick
  EXPECT_TRUE(s.Exited(5, true, "exit 0", kT0 + 170));
  EXPECT_TRUE(s.Tick(kT0 + 180).start);
}

TEST(BackupScheduler, VerifyScheduleAddsVerifyAndSharesTheRun) {
  // Backups every hour at :00, verified at 10:00 daily.
  BackupScheduler s(Cron("0 * * * *"), Cron("0 10 * * *"), "", kT0);
  EXPECT_EQ(s.state().verify_schedule, "0 10 * * *");
  auto due = s.Tick(kT0 + 3600);  // 09:00: a plain backup
  EXPECT_TRUE(due.start);
  EXPECT_FALSE(due.verify);
  s.Started(1, kT0 + 3600);
  s.Exited(1, true, "exit 0", kT0 + 3700);
  due = s.Tick(kT0 + 7200);  // 10:00: both due, one run with --verify
  EXPECT_TRUE(due.start);
  EXPECT_TRUE(due.verify);
  s.Started(2, kT0 + 7200);
  EXPECT_EQ(s.state().next_run_unix, kT0 + 10800);
}

// A suspended machine wakes up hours later: one run, not one per missed minute.
TEST(BackupScheduler, MissedRunsAreNotCaughtUp) {
  BackupScheduler s(Cron("* * * * *"), std::nullopt, "", kT0);
  ASSERT_TRUE(s.Tick(kT0 + 3 * 3600 + 5).start);
  s.Started(9, kT0 + 3 * 3600 + 5);
  s.Exited(9, true, "exit 0", kT0 + 3 * 3600 + 30);
  EXPECT_FALSE(s.Tick(kT0 + 3 * 3600 + 40).start);
  EXPECT_EQ(s.state().next_run_unix, kT0 + 3 * 3600 + 60);
  EXPECT_EQ(s.state().skipped, 0u);
}

TEST(BackupScheduler, ARunThatCannotStartIsAFailure) {
  BackupScheduler s(Cron("* * * * *"), std::nullopt, "", kT0);
  ASSERT_TRUE(s.Tick(kT0 + 60).start);
  s.Started(0, kT0 + 60);
  EXPECT_EQ(s.running(), 0);
  EXPECT_EQ(s.state().failed, 1u);
  EXPECT_EQ(s.state().last_failure, "could not start");
  EXPECT_FALSE(s.Exited(0, false, "exit 1", kT0 + 61));
}

// Retention follows each successful run, never a failed one, and counts as running: a run
// due while it prunes is skipped.
TEST(BackupScheduler, PrunesAfterEachSuccessfulRun) {
  BackupScheduler s(Cron("* * * * *"), std::nullopt, "", kT0, "--keep-last 2");
  EXPECT_EQ(s.state().retention, "--keep-last 2");
  ASSERT_TRUE(s.Tick(kT0 + 60).start);
  s.Started(1, kT0 + 60);
  EXPECT_FALSE(s.Tick(kT0 + 61).prune);  // not while the backup runs
  s.Exited(1, false, "exit 1", kT0 + 70);
  EXPECT_FALSE(s.Tick(kT0 + 71).prune);  // nor after a failed one
  ASSERT_TRUE(s.Tick(kT0 + 120).start);
  s.Started(2, kT0 + 120);
  s.Exited(2, true, "exit 0", kT0 + 130);
  const auto due = s.Tick(kT0 + 131);
  EXPECT_TRUE(due.prune);
  EXPECT_FALSE(due.start);
  s.PruneStarted(3);
  EXPECT_EQ(s.pruning(), 3);
  EXPECT_FALSE(s.Tick(kT0 + 132).prune);  // once
  EXPECT_TRUE(s.Tick(kT0 + 180).skipped);
  EXPECT_TRUE(s.Exited(3, false, "exit 1", kT0 + 181));
  EXPECT_EQ(s.state().prunes_failed, 1u);
  EXPECT_EQ(s.state().last_prune_failure, "exit 1");
  EXPECT_EQ(s.state().failed, 1u);  // the backups' own count is untouched
  ASSERT_TRUE(s.Tick(kT0 + 240).start);
  s.Started(4, kT0 + 240);
  s.Exited(4, true, "exit 0", kT0 + 250);
  ASSERT_TRUE(s.Tick(kT0 + 251).prune);
  s.PruneStarted(5);
  EXPECT_TRUE(s.Exited(5, true, "exit 0", kT0 + 252));
  EXPECT_EQ(s.state().prunes_succeeded, 1u);
  EXPECT_EQ(s.pruning(), 0);
}

TEST(BackupScheduler, NoRetentionNoPrune) {
  BackupScheduler s(Cron("* * * * *"), std::nullopt, "", kT0);
  ASSERT_TRUE(s.Tick(kT0 + 60).start);
  s.Started(1, kT0 + 60);
  s.Exited(1, true, "exit 0", kT0 + 70);
  EXPECT_FALSE(s.Tick(kT0 + 71).prune);
}

}  // namespace
}  // namespace mysqlset::local
