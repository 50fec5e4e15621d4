#include "core/pitr.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/binlog_retention.h"

namespace mysqlset {
namespace {

GtidList G(const char* text) { return *GtidList::Parse(text); }

// A binlog of primary server `server` holding transactions (from, to] in domain 0, open
// from t0 to t1.
ArchivedBinlog Bin(const char* id, int server_from, uint64_t from, int server_to, uint64_t to,
                   int64_t t0, int64_t t1) {
  auto g = [](int server, uint64_t seq) {
    return seq == 0 ? GtidList() : G(fmt::format("0-{}-{}", server, seq).c_str());
  };
  return {id, g(server_from, from), g(server_to, to), t0, t1};
}

RestorableBackup Backup(const char* id, uint64_t seq, int64_t finished) {
  return {id, seq == 0 ? GtidList() : G(fmt::format("0-1-{}", seq).c_str()), finished};
}

// The archive of a switchover at seq 30: member 1 archived up to 25 (its last file, 25..30,
// never made it), member 2's files overlap from 20.
std::vector<ArchivedBinlog> Switchover() {
  return {Bin("a1", 1, 0, 1, 10, 100, 200), Bin("a2", 1, 10, 1, 25, 200, 300),
          Bin("b1", 1, 20, 1, 30, 150, 320), Bin("b2", 1, 30, 2, 40, 320, 400),
          Bin("b3", 2, 40, 2, 40, 400, 430)};
}

TEST(RecoveryView, ChainsAcrossASwitchoverWithoutAGap) {
  const RecoveryView v = ComputeRecoveryView({Backup("B5", 5, 150)}, Switchover());
  ASSERT_EQ(v.windows.size(), 1u);
  EXPECT_EQ(v.windows[0].from_unix, 150);
  EXPECT_EQ(v.windows[0].to_unix, 430);  // b3 holds nothing new, but was closed at 430
  EXPECT_EQ(v.windows[0].to_gtid.ToString(), "0-2-40");
  EXPECT_TRUE(v.gaps.empty());
}

TEST(RecoveryView, NamesAGapAndSplitsTheWindow) {
  std::vector<ArchivedBinlog> bins = {Bin("a1", 1, 0, 1, 10, 100, 200),
                                      Bin("a3", 1, 25, 1, 30, 300, 350)};
  const RecoveryView v = ComputeRecoveryView({Backup("B5", 5, 150), Backup("B27", 27, 340)}, bins);
  ASSERT_EQ(v.gaps.size(), 1u);
  EXPECT_EQ(v.gaps[0].after.ToString(), "0-1-10");
  EXPECT_EQ(v.gaps[0].before.ToString(), "0-1-25");
  ASSERT_EQ(v.windows.size(), 2u);
  EXPECT_EQ(v.windows[0].to_unix, 200);
  EXPECT_EQ(v.windows[1].from_backup, "B27");
  EXPECT_EQ(v.windows[1].to_unix, 350);
  EXPECT_NE(DescribeGap(v.gaps[0]).find("after GTID 0-1-10 up to 0-1-25"), std::string::npos);
}

TEST(RecoveryView, BackupsWithoutBinlogsAreWindowsOfAnInstant) {
  const RecoveryView v = ComputeRecoveryView({Backup("B1", 1, 10), Backup("B2", 2, 20)}, {});
  ASSERT_EQ(v.windows.size(), 2u);
  EXPECT_EQ(v.windows[1].from_unix, 20);
  EXPECT_EQ(v.windows[1].to_unix, 20);
  EXPECT_TRUE(v.gaps.empty());
}

RecoveryTarget AtTime(int64_t t) {
  RecoveryTarget r;
  r.time_unix = t;
  return r;
}

RecoveryTarget AtGtid(const char* g) {
  RecoveryTarget r;
  r.gtid = G(g);
  return r;
}

struct PlanCase {
  const char* name;
  std::vector<RestorableBackup> backups;
  RecoveryTarget target;
  std::string backup;              // "" when refused
  std::vector<std::string> steps;  // binlog:start_after
  std::string error;               // a part of the message when refused
};

TEST(PlanRecovery, Table) {
  const std::vector<PlanCase> cases = {
      {"time inside the first binlog", {Backup("B5", 5, 150)}, AtTime(160), "B5", {"a1:0-1-5"}, ""},
      {"time after the switchover: overlapping files replayed past the state reached",
       {Backup("B5", 5, 150)},
       AtTime(350),
       "B5",
       {"a1:0-1-5", "a2:0-1-10", "b1:0-1-25", "b2:0-1-30"},
       ""},
      {"newest backup before the target",
       {Backup("B5", 5, 150), Backup("B26", 26, 310)},
       AtTime(350),
       "B26",
       {"b1:0-1-26", "b2:0-1-30"},
       ""},
      {"the idle file after the switchover extends the window",
       {Backup("B5", 5, 150)},
       AtTime(425),
       "B5",
       {"a1:0-1-5", "a2:0-1-10", "b1:0-1-25", "b2:0-1-30"},
       ""},
      {"gtid target",
       {Backup("B5", 5, 150)},
       AtGtid("0-1-27"),
       "B5",
       {"a1:0-1-5", "a2:0-1-10", "b1:0-1-25"},
       ""},
      {"gtid target at the backup: nothing to replay",
       {Backup("B5", 5, 150)},
       AtGtid("0-1-5"),
       "B5",
       {},
       ""},
      {"time after the archive",
       {Backup("B5", 5, 150)},
       AtTime(431),
       "",
       {},
       "outside the recoverable window: "},
      {"gtid after the archive",
       {Backup("B5", 5, 150)},
       AtGtid("0-2-41"),
       "",
       {},
       "outside the recoverable window"},
      {"before the oldest backup",
       {Backup("B5", 5, 150)},
       AtTime(149),
       "",
       {},
       "before the oldest backup (B5"},
      {"gtid before the oldest backup",
       {Backup("B5", 5, 150)},
       AtGtid("0-1-4"),
       "",
       {},
       "before the oldest backup"},
      {"no target", {Backup("B5", 5, 150)}, RecoveryTarget(), "", {}, "give one recovery target"},
      {"no backup", {}, AtTime(160), "", {}, "no backup"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto plan = PlanRecovery(c.backups, Switchover(), c.target);
    if (c.backup.empty()) {
      ASSERT_FALSE(plan.ok());
      EXPECT_NE(plan.status().message().find(c.error), std::string::npos)
          << plan.status().message();
      continue;
    }
    ASSERT_TRUE(plan.ok()) << plan.status().message();
    EXPECT_EQ(plan->backup_id, c.backup);
    std::vector<std::string> steps;
    for (const auto& s : plan->steps) steps.push_back(s.binlog_id + ":" + s.start_after.ToString());
    EXPECT_EQ(steps, c.steps);
  }
}

TEST(PlanRecovery, RefusesATargetBeyondAGapNamingIt) {
  std::vector<ArchivedBinlog> bins = {Bin("a1", 1, 0, 1, 10, 100, 200),
                                      Bin("a3", 1, 25, 1, 30, 300, 350)};
  auto plan = PlanRecovery({Backup("B5", 5, 150)}, bins, AtTime(320));
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find("gap: no archived binlog holds the transactions after "
                                         "GTID 0-1-10 up to 0-1-25"),
            std::string::npos)
      << plan.status().message();
}

TEST(UtcTime, RoundTripAndRefusesLocalTimes) {
  EXPECT_EQ(*ParseUtcTime("2026-11-30T12:00:00Z"), 1796040000);
  EXPECT_EQ(*ParseUtcTime("2026-11-30T12:00:00+00:00"), 1796040000);
  EXPECT_EQ(FormatUtcTime(1796040000), "2026-11-30T12:00:00Z");
  EXPECT_FALSE(ParseUtcTime("2026-11-30T12:00:00").ok());
  EXPECT_FALSE(ParseUtcTime("2026-11-30 12:00").ok());
  EXPECT_FALSE(ParseUtcTime("yesterday").ok());
}

std::vector<ArchivedBinlog> Linear() {
  return {Bin("a1", 1, 0, 1, 10, 100, 200), Bin("a2", 1, 10, 1, 25, 200, 300),
          Bin("a3", 1, 25, 1, 30, 300, 350), Bin("a4", 1, 30, 1, 40, 350, 400)};
}

// Retention of the archive (core/binlog_retention.h).
struct PruneCase {
  const char* name;
  std::vector<RestorableBackup> kept;
  std::vector<ArchivedBinlog> binlogs;
  std::vector<std::string> want;
};

TEST(BinlogsToPrune, Table) {
  const std::vector<PruneCase> cases = {
      {"no backup kept: the archive is all there is", {}, Linear(), {}},
      {"no binlog", {Backup("B27", 27, 310)}, {}, {}},
      {"binlogs the oldest kept backup holds and outlived go",
       {Backup("B27", 27, 310), Backup("B35", 35, 390)},
       Linear(),
       {"a1", "a2"}},
      {"a binlog the backup only partly holds stays (a3: 25..30, backup at 27)",
       {Backup("B27", 27, 360)},
       Linear(),
       {"a1", "a2"}},
      {"a binlog closed after the backup finished stays, even when it holds nothing newer",
       {Backup("B25", 25, 250)},
       Linear(),
       {"a1"}},
      {"the oldest kept backup holds the line: a pruned backup between two kept ones leaves "
       "their binlogs",
       {Backup("B5", 5, 150), Backup("B35", 35, 390)},
       Linear(),
       {}},
      {"a later backup of a lagging replica protects what it lacks",
       {Backup("B25", 25, 300), Backup("B8", 8, 320)},
       Linear(),
       {}},
      {"the newest-closed binlog stays even when a backup holds all of it",
       {Backup("B40", 40, 500)},
       Linear(),
       {"a1", "a2", "a3"}},
      {"a file that holds nothing new but closed after the backup stays: it stretches the "
       "window",
       {Backup("B40", 40, 410)},
       [] {
         auto bins = Linear();
         bins.push_back(Bin("a5", 1, 40, 1, 40, 400, 430));
         bins.push_back(Bin("a6", 1, 40, 1, 45, 430, 500));
         return bins;
       }(),
       {"a1", "a2", "a3", "a4"}},
      {"across a switchover: overlapping files of both members go once the backup holds them",
       {Backup("B40", 40, 410)},
       Switchover(),
       {"a1", "b1", "a2", "b2"}},
      {"across a switchover: the overlapping files the backup lacks stay",
       {Backup("B27", 27, 330)},
       Switchover(),
       {"a1", "a2"}},
  };
  for (const PruneCase& c : cases) {
    EXPECT_EQ(BinlogsToPrune(c.kept, c.binlogs), c.want) << c.name;
    // The property the rule exists for: every kept backup's window and the gaps are the same
    // without the pruned binlogs.
    std::vector<ArchivedBinlog> left;
    for (const auto& b : c.binlogs) {
      if (std::find(c.want.begin(), c.want.end(), b.id) == c.want.end()) left.push_back(b);
    }
    const RecoveryView before = ComputeRecoveryView(c.kept, c.binlogs);
    const RecoveryView after = ComputeRecoveryView(c.kept, left);
    ASSERT_EQ(before.windows.size(), after.windows.size()) << c.name;
    for (size_t i = 0; i < before.windows.size(); ++i) {
      EXPECT_EQ(DescribeWindow(before.windows[i]), DescribeWindow(after.windows[i])) << c.name;
    }
  }
}

}  // namespace
}  // namespace mysqlset
