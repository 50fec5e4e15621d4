#include "core/data_state.h"

#include "gtest/gtest.h"

namespace mysqlset {
namespace {

// An intact datadir as bootstrap or a finished clone leaves it, minus the marker.
DatadirEvidence Intact() {
  DatadirEvidence e;
  e.datadir = true;
  e.ibdata1 = true;
  e.redo_log = true;
  e.system_tables = true;
  return e;
}

TEST(DataStateTest, VerdictTable) {
  // Flags as a string, one letter each: D datadir, M marker, P pending marker, I ibdata1,
  // R ib_logfile0, S system tables, C clone record; `backup_type` nullptr when no checkpoints.
  struct Case {
    const char* name;
    const char* flags;
    const char* backup_type;
    DataState want;
  } cases[] = {
      {"no datadir", "", nullptr, DataState::kEmpty},
      {"no datadir, stale pending marker (cut before the rename)", "P", nullptr, DataState::kEmpty},
      {"marker present", "DMIRS", nullptr, DataState::kReady},
      {"marker beside an odd datadir: presence counts", "DM", nullptr, DataState::kReady},
      {"clone cut between rename and marker", "DPIRSC", "log-applied", DataState::kInstallCut},
      {"bootstrapped primary lost its marker", "DIRS", nullptr, DataState::kUnmarked},
      {"cloned replica lost its marker (mariabackup 10.11)", "DIRSC", "log-applied",
       DataState::kUnmarked},
      {"cloned replica lost its marker (xtrabackup's name)", "DIRSC", "full-prepared",
       DataState::kUnmarked},
      {"unprepared backup extracted in place", "DIRSC", "full-backuped", DataState::kIncomplete},
      {"half-extracted stream", "DI", "full-backuped", DataState::kIncomplete},
      // An unknown backup_type is no evidence: the intact files decide (refused, kept in
      // place), never set aside so that an empty primary could be bootstrapped.
      {"checkpoints without a known backup_type, files intact", "DIRS", "(unreadable)",
       DataState::kUnmarked},
      {"checkpoints without a known backup_type, files missing", "DI", "(unreadable)",
       DataState::kIncomplete},
      {"stale pending marker beside a datadir that lacks files", "DPI", nullptr,
       DataState::kIncomplete},
      {"stale pending marker beside an unprepared backup", "DPIRS", "full-backuped",
       DataState::kIncomplete},
      {"incremental backup extracted in place", "DIRS", "incremental", DataState::kIncomplete},
      {"no system tables: install-db cut short", "DIR", nullptr, DataState::kIncomplete},
      {"no redo log", "DIS", nullptr, DataState::kIncomplete},
      {"empty datadir", "D", nullptr, DataState::kIncomplete},
      {"empty datadir with a clone record", "DC", nullptr, DataState::kIncomplete},
  };
  for (const auto& c : cases) {
    const std::string f = c.flags;
    auto has = [&](char letter) { return f.find(letter) != std::string::npos; };
    DatadirEvidence e;
    e.datadir = has('D');
    e.marker = has('M');
    e.pending_marker = has('P');
    e.ibdata1 = has('I');
    e.redo_log = has('R');
    e.system_tables = has('S');
    e.clone_record = has('C');
    if (c.backup_type) e.backup_type = c.backup_type;
    const DataVerdict v = ClassifyData(e);
    EXPECT_EQ(v.state, c.want) << c.name;
    EXPECT_FALSE(v.why.empty()) << c.name;
  }
}

TEST(DataStateTest, VerdictSaysWhatIsMissing) {
  DatadirEvidence e = Intact();
  e.redo_log = false;
  e.system_tables = false;
  EXPECT_EQ(ClassifyData(e).why, "it lacks ib_logfile0, mysql/global_priv");
  e = Intact();
  e.backup_type = "full-backuped";
  EXPECT_NE(ClassifyData(e).why.find("never prepared"), std::string::npos);
}

TEST(DataStateTest, BackupTypeOfCheckpoints) {
  EXPECT_EQ(BackupTypeOf("backup_type = full-backuped\nfrom_lsn = 0\nto_lsn = 47001\n"),
            "full-backuped");
  EXPECT_EQ(BackupTypeOf("from_lsn = 0\r\nbackup_type=full-prepared\r\n"), "full-prepared");
  EXPECT_EQ(BackupTypeOf("garbage"), std::nullopt);
  EXPECT_EQ(BackupTypeOf(""), std::nullopt);
}

TEST(DataStateTest, KeptDatadirNames) {
  // 2026-11-29 21:45:00 UTC
  EXPECT_EQ(KeptDatadirName(1795988700), "mysql.discarded.20261129T214500Z");
  EXPECT_EQ(KeptDatadirName(1795988700, 3), "mysql.discarded.20261129T214500Z-3");
  std::string at;
  EXPECT_TRUE(IsKeptDatadirName("mysql.discarded.20261129T214500Z", &at));
  EXPECT_EQ(at, "2026-11-29T21:45:00Z");
  EXPECT_TRUE(IsKeptDatadirName("mysql.discarded.20261129T214500Z-12", &at));
  EXPECT_EQ(at, "2026-11-29T21:45:00Z");
  EXPECT_TRUE(IsKeptDatadirName("mysql.discarded", &at));
  EXPECT_EQ(at, "");
  for (const char* not_kept :
       {"mysql", "mysql.staging", "mysql.discarded.", "mysql.discardedX", "mysql.discarded.2026",
        "mysql.discarded.20261129X214500Z", "mysql.discarded.20261129T214500Z-",
        "mysql.discarded.20261129T214500Zx", "mysql.discarded.20261129T214500Z-1a"}) {
    EXPECT_FALSE(IsKeptDatadirName(not_kept)) << not_kept;
  }
}

}  // namespace
}  // namespace mysqlset
