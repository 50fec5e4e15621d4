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
  EXPECT_FALSE(s.Tick(kT0 + 299, true).start);
  const auto due = s.Tick(kT0 + 300, true);
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
  ASSERT_TRUE(s.Tick(kT0 + 600, true).start);
  s.Started(79, kT0 + 600);
  EXPECT_TRUE(s.Exited(79, true, "exit 0", kT0 + 650));
  EXPECT_EQ(s.state().started, 2u);
  EXPECT_EQ(s.state().succeeded, 1u);
  EXPECT_EQ(s.state().last_success_unix, kT0 + 650);
}

// A backup longer than the interval: the run due meanwhile is skipped, not queued.
TEST(BackupScheduler, ARunDueWhileOneRunsIsSkipped) {
  BackupScheduler s(Cron("* * * * *"), std::nullopt, "", kT0);
  ASSERT_TRUE(s.Tick(kT0 + 60, true).start);
  s.Started(5, kT0 + 60);
  const auto due = s.Tick(kT0 + 120, true);
  EXPECT_FALSE(due.start);
  EXPECT_TRUE(due.skipped);
  EXPECT_EQ(s.state().skipped, 1u);
  EXPECT_FALSE(s.Tick(kT0 + 150, true).skipped);  // once per due time, not per tick
  EXPECT_TRUE(s.Exited(5, true, "exit 0", kT0 + 170));
  EXPECT_TRUE(s.Tick(kT0 + 180, true).start);
}

TEST(BackupScheduler, VerifyScheduleAddsVerifyAndSharesTheRun) {
  // Backups every hour at :00, verified at 10:00 daily.
  BackupScheduler s(Cron("0 * * * *"), Cron("0 10 * * *"), "", kT0);
  EXPECT_EQ(s.state().verify_schedule, "0 10 * * *");
  auto due = s.Tick(kT0 + 3600, true);  // 09:00: a plain backup
  EXPECT_TRUE(due.start);
  EXPECT_FALSE(due.verify);
  s.Started(1, kT0 + 3600);
  s.Exited(1, true, "exit 0", kT0 + 3700);
  due = s.Tick(kT0 + 7200, true);  // 10:00: both due, one run with --verify
  EXPECT_TRUE(due.start);
  EXPECT_TRUE(due.verify);
  s.Started(2, kT0 + 7200);
  EXPECT_EQ(s.state().next_run_unix, kT0 + 10800);
}

// A suspended machine wakes up hours later: one run, not one per missed minute.
TEST(BackupScheduler, MissedRunsAreNotCaughtUp) {
  BackupScheduler s(Cron("* * * * *"), std::nullopt, "", kT0);
  ASSERT_TRUE(s.Tick(kT0 + 3 * 3600 + 5, true).start);
  s.Started(9, kT0 + 3 * 3600 + 5);
  s.Exited(9, true, "exit 0", kT0 + 3 * 3600 + 30);
  EXPECT_FALSE(s.Tick(kT0 + 3 * 3600 + 40, true).start);
  EXPECT_EQ(s.state().next_run_unix, kT0 + 3 * 3600 + 60);
  EXPECT_EQ(s.state().skipped, 0u);
}

TEST(BackupScheduler, ARunThatCannotStartIsAFailure) {
  BackupScheduler s(Cron("* * * * *"), std::nullopt, "", kT0);
  ASSERT_TRUE(s.Tick(kT0 + 60, true).start);
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
  ASSERT_TRUE(s.Tick(kT0 + 60, true).start);
  s.Started(1, kT0 + 60);
  EXPECT_FALSE(s.Tick(kT0 + 61, true).prune);  // not while the backup runs
  s.Exited(1, false, "exit 1", kT0 + 70);
  EXPECT_FALSE(s.Tick(kT0 + 71, true).prune);  // nor after a failed one
  ASSERT_TRUE(s.Tick(kT0 + 120, true).start);
  s.Started(2, kT0 + 120);
  s.Exited(2, true, "exit 0", kT0 + 130);
  const auto due = s.Tick(kT0 + 131, true);
  EXPECT_TRUE(due.prune);
  EXPECT_FALSE(due.start);
  s.PruneStarted(3);
  EXPECT_EQ(s.pruning(), 3);
  EXPECT_FALSE(s.Tick(kT0 + 132, true).prune);  // once
  EXPECT_TRUE(s.Tick(kT0 + 180, true).skipped);
  EXPECT_TRUE(s.Exited(3, false, "exit 1", kT0 + 181));
  EXPECT_EQ(s.state().prunes_failed, 1u);
  EXPECT_EQ(s.state().last_prune_failure, "exit 1");
  EXPECT_EQ(s.state().failed, 1u);  // the backups' own count is untouched
  ASSERT_TRUE(s.Tick(kT0 + 240, true).start);
  s.Started(4, kT0 + 240);
  s.Exited(4, true, "exit 0", kT0 + 250);
  ASSERT_TRUE(s.Tick(kT0 + 251, true).prune);
  s.PruneStarted(5);
  EXPECT_TRUE(s.Exited(5, true, "exit 0", kT0 + 252));
  EXPECT_EQ(s.state().prunes_succeeded, 1u);
  EXPECT_EQ(s.pruning(), 0);
}

TEST(BackupScheduler, NoRetentionNoPrune) {
  BackupScheduler s(Cron("* * * * *"), std::nullopt, "", kT0);
  ASSERT_TRUE(s.Tick(kT0 + 60, true).start);
  s.Started(1, kT0 + 60);
  s.Exited(1, true, "exit 0", kT0 + 70);
  EXPECT_FALSE(s.Tick(kT0 + 71, true).prune);
}

// `up` with a schedule: the first run falls due while the members still start. It waits for a
// ready member instead of failing (a failed run is an alert; this one was never tried).
TEST(BackupScheduler, ARunDueBeforeAnyMemberIsReadyWaitsAndStartsOnceOneIs) {
  BackupScheduler s(Cron("* * * * *"), std::nullopt, "", kT0 + 58);
  auto due = s.Tick(kT0 + 60, false);
  EXPECT_FALSE(due.start);
  EXPECT_TRUE(due.waits);
  EXPECT_EQ(s.state().waiting_since_unix, kT0 + 60);
  EXPECT_EQ(s.state().next_run_unix, kT0 + 120);
  due = s.Tick(kT0 + 61, false);
  EXPECT_FALSE(due.start);
  EXPECT_FALSE(due.waits);  // said once per due time
  due = s.Tick(kT0 + 64, true);
  EXPECT_TRUE(due.start);
  EXPECT_FALSE(due.verify);
  EXPECT_FALSE(s.state().waiting_since_unix);
  s.Started(3, kT0 + 64);
  EXPECT_TRUE(s.Exited(3, true, "exit 0", kT0 + 90));
  EXPECT_EQ(s.state().failed, 0u);
  EXPECT_EQ(s.state().skipped, 0u);
  EXPECT_FALSE(s.Tick(kT0 + 91, true).start);  // the waiting run started once, not again
}

// No member becomes ready before the next due time: the waiting run never ran and counts as
// skipped; the new one waits in its place, still since the first, and keeps a due --verify.
TEST(BackupScheduler, AWaitingRunOvertakenByTheNextCountsAsSkipped) {
  BackupScheduler s(Cron("* * * * *"), Cron("1 8 * * *"), "", kT0 + 30);
  ASSERT_TRUE(s.Tick(kT0 + 60, false).waits);  // 08:01: due with --verify
  auto due = s.Tick(kT0 + 120, false);
  EXPECT_TRUE(due.skipped_unready);
  EXPECT_FALSE(due.skipped);
  EXPECT_TRUE(due.waits);
  EXPECT_EQ(s.state().skipped, 1u);
  EXPECT_EQ(s.state().waiting_since_unix, kT0 + 60);
  due = s.Tick(kT0 + 130, true);
  EXPECT_TRUE(due.start);
  EXPECT_TRUE(due.verify);
  EXPECT_EQ(s.state().started, 0u);  // Started() counts it
}

// A prune still running when the waiting run's member gets ready: the run starts after it.
TEST(BackupScheduler, AWaitingRunStartsOnlyWhenNothingElseRuns) {
  BackupScheduler s(Cron("*/5 * * * *"), std::nullopt, "", kT0, "--keep-last 1");
  ASSERT_TRUE(s.Tick(kT0 + 300, true).start);
  s.Started(4, kT0 + 300);
  s.Exited(4, true, "exit 0", kT0 + 590);
  ASSERT_TRUE(s.Tick(kT0 + 600, false).waits);
  ASSERT_TRUE(s.Tick(kT0 + 601, false).prune);  // needs no member
  s.PruneStarted(5);
  EXPECT_FALSE(s.Tick(kT0 + 602, true).start);  // the prune runs
  s.Exited(5, true, "exit 0", kT0 + 603);
  EXPECT_TRUE(s.Tick(kT0 + 604, true).start);
}

}  // namespace
}  // namespace mysqlset::local
