#include "local/backup_report.h"

#include <gtest/gtest.h>

namespace mysqlset::local {
namespace {

constexpr int64_t kNow = 1'800'000'000;  // 2027-01-15T08:00:00Z

ClusterSpec Spec() {
  ClusterSpec spec{"mysql", 2, 13306};
  spec.archive_repo = "/srv/b";
  return spec;
}

MemberReport Member(uint32_t ordinal, std::string role,
                    std::optional<formats::AgentStatus::Archive> archive) {
  MemberReport m;
  m.ordinal = ordinal;
  m.agent = formats::AgentStatus{};
  m.agent->role = std::move(role);
  m.agent->ready = true;
  m.agent->archive = std::move(archive);
  return m;
}

formats::AgentStatus::Archive Archiving(int64_t closed) {
  formats::AgentStatus::Archive a;
  a.active = true;
  a.last_closed_unix = closed;
  a.catalog_read = true;
  a.last_backup_unix = kNow - 3600;
  return a;
}

TEST(ReportBackups, FromTheAgentsReports) {
  formats::AgentStatus::Archive resting;  // a replica's: no archive, its catalog read
  resting.catalog_read = true;
  resting.last_backup_unix = kNow - 7200;
  resting.last_verified_backup_unix = kNow - 86400;
  formats::AgentStatus::Archive unread;  // a replica that could not read the catalog
  unread.catalog_error = "rclone: connection refused";
  formats::AgentStatus::Archive gap = Archiving(kNow - 20);
  gap.gap = "no archived binlog holds the transactions after GTID 0-100-5 up to 0-100-9";
  gap.failures = 2;
  gap.last_error = "store: disk full";

  // `want` holds only what the agents' reports decide; the rest is the same for every case.
  struct Case {
    const char* name;
    std::vector<MemberReport> members;
    BackupReport want;
  };
  const Case cases[] = {
      {"no agent answers: all unknown",
       {MemberReport{.ordinal = 0}, MemberReport{.ordinal = 1}},
       {}},
      {"older agents without \"archive\": unknown", {Member(0, "primary", std::nullopt)}, {}},
      {"primary archives, replica read the catalog: the newest of each",
       {Member(0, "primary", Archiving(kNow - 12)), Member(1, "replica", resting)},
       {.archiver = "mysql-0",
        .last_closed_unix = kNow - 12,
        .lag_seconds = 12,
        .catalog_read = true,
        .last_backup_unix = kNow - 3600,
        .last_verified_backup_unix = kNow - 86400}},
      {"catalog unread anywhere: its error, no times",
       {Member(0, "primary", unread)},
       {.catalog_error = "rclone: connection refused"}},
      {"one read suffices: no error shown",
       {Member(0, "primary", unread), Member(1, "replica", resting)},
       {.catalog_read = true,
        .last_backup_unix = kNow - 7200,
        .last_verified_backup_unix = kNow - 86400}},
      {"the archiver's gap and failures",
       {Member(0, "replica", resting), Member(1, "primary", gap)},
       {.archiver = "mysql-1",
        .last_closed_unix = kNow - 20,
        .lag_seconds = 20,
        .gap = gap.gap,
        .archive_error = "store: disk full",
        .catalog_read = true,
        .last_backup_unix = kNow - 3600,
        .last_verified_backup_unix = kNow - 86400}},
  };
  for (const Case& c : cases) {
    const BackupReport r = ReportBackups(Spec(), c.members, std::nullopt, kNow);
    EXPECT_EQ(r.repo, "/srv/b") << c.name;
    EXPECT_EQ(r.archiver, c.want.archiver) << c.name;
    EXPECT_EQ(r.last_closed_unix, c.want.last_closed_unix) << c.name;
    EXPECT_EQ(r.lag_seconds, c.want.lag_seconds) << c.name;
    EXPECT_EQ(r.last_backup_unix, c.want.last_backup_unix) << c.name;
    EXPECT_EQ(r.last_verified_backup_unix, c.want.last_verified_backup_unix) << c.name;
    EXPECT_EQ(r.catalog_read, c.want.catalog_read) << c.name;
    EXPECT_EQ(r.catalog_error, c.want.catalog_error) << c.name;
    EXPECT_EQ(r.gap, c.want.gap) << c.name;
    EXPECT_EQ(r.archive_error, c.want.archive_error) << c.name;
  }
}

TEST(BackupReportJson, NullWithoutRepositoryOrScheduleAndNullForUnknownTimes) {
  ClusterSpec off{"mysql", 1, 13306};
  EXPECT_TRUE(BackupReportJson(ReportBackups(off, {}, std::nullopt, kNow)).is_null());

  const auto unknown = BackupReportJson(ReportBackups(Spec(), {}, std::nullopt, kNow));
  EXPECT_EQ(unknown["repo"], "/srv/b");
  EXPECT_EQ(unknown["archiving"], true);
  EXPECT_TRUE(unknown["archiver"].is_null());
  EXPECT_TRUE(unknown["archive_last_closed"].is_null());
  EXPECT_TRUE(unknown["archive_lag_seconds"].is_null());
  EXPECT_TRUE(unknown["last_backup"].is_null());
  EXPECT_TRUE(unknown["last_verified_backup"].is_null());
  EXPECT_TRUE(unknown["schedule"].is_null());

  formats::ScheduledBackups s;
  s.schedule = "0 3 * * *";
  s.next_run_unix = kNow + 3600;
  s.started = 3;
  s.succeeded = 2;
  s.failed = 1;
  s.last_failure = "exit 1";
  s.last_failure_unix = kNow - 60;
  const auto j =
      BackupReportJson(ReportBackups(Spec(), {Member(0, "primary", Archiving(kNow - 5))}, s, kNow));
  EXPECT_EQ(j["archiver"], "mysql-0");
  EXPECT_EQ(j["archive_last_closed"], "2027-01-15T07:59:55Z");
  EXPECT_EQ(j["archive_lag_seconds"], 5);
  EXPECT_EQ(j["last_backup"], "2027-01-15T07:00:00Z");
  EXPECT_TRUE(j["last_verified_backup"].is_null());
  EXPECT_EQ(j["schedule"]["schedule"], "0 3 * * *");
  EXPECT_TRUE(j["schedule"]["verify_schedule"].is_null());
  EXPECT_EQ(j["schedule"]["next_run"], "2027-01-15T09:00:00Z");
  EXPECT_TRUE(j["schedule"]["running_pid"].is_null());
  EXPECT_EQ(j["schedule"]["failed"], 1);
  EXPECT_EQ(j["schedule"]["last_failure"], "2027-01-15T07:59:00Z");
  EXPECT_EQ(j["schedule"]["last_failure_exit"], "exit 1");
  EXPECT_TRUE(j["schedule"]["last_success"].is_null());
  EXPECT_TRUE(j["schedule"]["retention"].is_null());
}

TEST(RenderBackupLines, SaysWhatIsKnownAndWhatIsNot) {
  ClusterSpec off{"mysql", 1, 13306};
  EXPECT_EQ(RenderBackupLines(ReportBackups(off, {}, std::nullopt, kNow)), "");

  formats::AgentStatus::Archive never = Archiving(0);
  never.last_closed_unix.reset();
  never.last_backup_unix.reset();  // catalog read: the repository holds none
  struct Case {
    const char* name;
    std::vector<MemberReport> members;
    const char* want;
  };
  const Case cases[] = {
      {"agents down",
       {MemberReport{.ordinal = 0}},
       "binlog archive: on, into /srv/b; no agent reports it (agents down or older)\n"},
      {"archiving, backed up",
       {Member(0, "primary", Archiving(kNow - 75))},
       "binlog archive: on, into /srv/b; mysql-0 archives; newest archived binlog closed "
       "2027-01-15T07:58:45Z (1m 15s ago)\n"
       "backups: newest 2027-01-15T07:00:00Z (1h 0m ago), newest verified none\n"},
      {"nothing archived, an empty repository",
       {Member(0, "primary", never)},
       "binlog archive: on, into /srv/b; mysql-0 archives; no archived binlog known yet\n"
       "backups: newest none, newest verified none\n"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(RenderBackupLines(ReportBackups(Spec(), c.members, std::nullopt, kNow)), c.want)
        << c.name;
  }

  formats::ScheduledBackups s;
  s.schedule = "0 3 * * *";
  s.verify_schedule = "0 4 * * 0";
  s.log = "/c/backup-schedule.log";
  s.next_run_unix = kNow + 3600;
  s.running_pid = 77;
  s.running_since_unix = kNow - 30;
  s.started = 4;
  s.succeeded = 2;
  s.failed = 1;
  s.skipped = 1;
  s.last_success_unix = kNow - 86400;
  s.last_failure_unix = kNow - 2 * 86400;
  s.last_failure = "exit 1";
  s.retention = "--keep-last 7";
  s.prunes_succeeded = 1;
  s.prunes_failed = 1;
  s.last_prune_failure = "exit 1";
  EXPECT_EQ(RenderBackupLines(ReportBackups(off, {}, s, kNow)),
            "backup schedule: '0 3 * * *' UTC, with --verify '0 4 * * 0'; running (pid 77, "
            "since 2027-01-15T07:59:30Z (30s ago)); next 2027-01-15T09:00:00Z\n"
            "backup schedule: 4 started, 2 succeeded, 1 failed, 1 skipped; last success "
            "2027-01-14T08:00:00Z (1d 0h ago); last failure (exit 1) 2027-01-13T08:00:00Z (2d "
            "0h ago); log /c/backup-schedule.log\n"
            "backup retention: --keep-last 7 after each successful run; prune runs: 1 succeeded, 1 "
            "failed (last: exit 1)\n");

  // The cluster is starting: the due run waits for a ready member, and status says so.
  s.running_pid = 0;
  s.running_since_unix.reset();
  s.waiting_since_unix = kNow - 5;
  const std::string lines = RenderBackupLines(ReportBackups(off, {}, s, kNow));
  EXPECT_NE(lines.find("; waiting for a ready member since 2027-01-15T07:59:55Z (5s ago); "
                       "next 2027-01-15T09:00:00Z\n"),
            std::string::npos)
      << lines;
  EXPECT_EQ(BackupReportJson(
                ReportBackups(off, {}, s, kNow))["schedule"]["waiting_for_ready_member_since"],
            "2027-01-15T07:59:55Z");
}

}  // namespace
}  // namespace mysqlset::local
