#include "agent/data_step.h"

#include "gtest/gtest.h"
#include "testing/fakes.h"

namespace mysqlset {
namespace {

// Issue 18 finding 4: a lost marker must never destroy data.
class DataStepTest : public ::testing::Test {
 protected:
  static constexpr const char* kData = "/vol/data";
  // The files of an intact datadir (bootstrap or a prepared clone), without the marker.
  void WriteIntactDatadir(const std::string& tag) {
    const std::string d = std::string(kData) + "/mysql";
    ASSERT_TRUE(fs_.MakeDirs(d + "/mysql", 0750).ok());
    ASSERT_TRUE(fs_.WriteFileAtomic(d + "/ibdata1", "rows of " + tag, 0640).ok());
    ASSERT_TRUE(fs_.WriteFileAtomic(d + "/ib_logfile0", "redo", 0640).ok());
    ASSERT_TRUE(fs_.WriteFileAtomic(d + "/mysql/global_priv.MAD", "accounts", 0640).ok());
  }
  void WriteHalfDatadir(const std::string& tag) {
    const std::string d = std::string(kData) + "/mysql";
    ASSERT_TRUE(fs_.MakeDirs(d, 0750).ok());
    ASSERT_TRUE(fs_.WriteFileAtomic(d + "/ibdata1", tag, 0640).ok());
    ASSERT_TRUE(fs_.WriteFileAtomic(d + "/mariadb_backup_checkpoints",
                                    "backup_type = full-backuped\n", 0640)
                    .ok());
  }
  std::string Read(const std::string& path) {
    auto text = fs_.ReadFile(path);
    return text.ok() ? *text : "";
  }
  MemFileSystem fs_;
  FakeClock clock_;
};

TEST_F(DataStepTest, LostMarkerOnIntactDataIsRefusedAndNothingMoves) {
  WriteIntactDatadir("primary");
  const size_t files = fs_.files().size();
  auto r = InspectDatadir(fs_, clock_, kData);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  const std::string msg = r.status().message();
  EXPECT_NE(msg.find("data present but completion marker missing: /vol/data/mysql"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("to accept it, create the marker (touch '/vol/data/.mysqlset-complete')"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("refusing to discard it"), std::string::npos) << msg;
  EXPECT_EQ(Read("/vol/data/mysql/ibdata1"), "rows of primary");
  EXPECT_EQ(fs_.files().size(), files) << "nothing written, moved or removed";
  // Accepting it as the message says: the marker's presence is what counts.
  ASSERT_TRUE(fs_.WriteFileAtomic(MarkerPathOf(kData), "", 0644).ok());
  r = InspectDatadir(fs_, clock_, kData);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, DataState::kReady);
}

TEST_F(DataStepTest, HalfMadeDatadirsAreKeptTimestampedNeverReplaced) {
  WriteHalfDatadir("first");
  auto r = InspectDatadir(fs_, clock_, kData);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r, DataState::kIncomplete);
  EXPECT_FALSE(fs_.Exists("/vol/data/mysql"));
  // 1700000000 is 2023-11-14T22:13:20Z.
  EXPECT_EQ(Read("/vol/data/mysql.discarded.20231114T221320Z/ibdata1"), "first");
  // The second loss in the same second gets its own name; the first copy is untouched.
  WriteHalfDatadir("second");
  ASSERT_TRUE(InspectDatadir(fs_, clock_, kData).ok());
  EXPECT_EQ(Read("/vol/data/mysql.discarded.20231114T221320Z/ibdata1"), "first");
  EXPECT_EQ(Read("/vol/data/mysql.discarded.20231114T221320Z-2/ibdata1"), "second");
  clock_.Advance(std::chrono::hours(1));
  WriteHalfDatadir("third");
  ASSERT_TRUE(InspectDatadir(fs_, clock_, kData).ok());
  const auto kept = ListKeptDatadirs(fs_, kData);
  ASSERT_EQ(kept.size(), 3u);
  EXPECT_EQ(kept[0].path, "/vol/data/mysql.discarded.20231114T221320Z");
  EXPECT_EQ(kept[0].kept_at, "2023-11-14T22:13:20Z");
  EXPECT_EQ(kept[0].bytes,
            std::string("first").size() + std::string("backup_type = full-backuped\n").size());
  EXPECT_EQ(kept[1].path, "/vol/data/mysql.discarded.20231114T221320Z-2");
  EXPECT_EQ(kept[2].path, "/vol/data/mysql.discarded.20231114T231320Z");
  const std::string text = DescribeKeptDatadirs(kept);
  EXPECT_NE(text.find("kept datadirs: /vol/data/mysql.discarded.20231114T221320Z (0.0 MiB, kept "
                      "2023-11-14T22:13:20Z)"),
            std::string::npos)
      << text;
}

// Issue 13: an errant member's agent asks for a re-clone; the datadir is kept, never deleted,
// and nothing vouches for it any more, so the member clones.
TEST_F(DataStepTest, RecloneRequestSetsTheDatadirAsideAndDropsWhatVouchedForIt) {
  WriteIntactDatadir("ex-primary");
  ASSERT_TRUE(fs_.WriteFileAtomic(MarkerPathOf(kData), "", 0644).ok());
  ASSERT_TRUE(fs_.WriteFileAtomic(RecloneRequestPathOf(kData), "errant GTIDs 0-100-7", 0644).ok());
  ASSERT_TRUE(SetAsideForReclone(fs_, clock_, kData).ok());
  EXPECT_EQ(Read("/vol/data/mysql.discarded.20231114T221320Z/ibdata1"), "rows of ex-primary");
  EXPECT_FALSE(fs_.Exists("/vol/data/mysql"));
  EXPECT_FALSE(fs_.Exists(MarkerPathOf(kData)));
  EXPECT_FALSE(fs_.Exists(RecloneRequestPathOf(kData)));
  auto r = InspectDatadir(fs_, clock_, kData);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, DataState::kEmpty);
  // Done: a second run (no request) touches nothing.
  WriteIntactDatadir("clone");
  ASSERT_TRUE(fs_.WriteFileAtomic(MarkerPathOf(kData), "", 0644).ok());
  ASSERT_TRUE(SetAsideForReclone(fs_, clock_, kData).ok());
  EXPECT_EQ(Read("/vol/data/mysql/ibdata1"), "rows of clone");
  EXPECT_TRUE(fs_.Exists(MarkerPathOf(kData)));
}

// Killed after the rename: the request is still there and the stale marker goes next time.
TEST_F(DataStepTest, RecloneRequestFinishesAfterAKillBetweenItsSteps) {
  ASSERT_TRUE(fs_.MakeDirs(kData, 0750).ok());
  ASSERT_TRUE(fs_.WriteFileAtomic(MarkerPathOf(kData), "", 0644).ok());
  ASSERT_TRUE(fs_.WriteFileAtomic(RecloneRequestPathOf(kData), "diverged", 0644).ok());
  ASSERT_TRUE(SetAsideForReclone(fs_, clock_, kData).ok());
  EXPECT_FALSE(fs_.Exists(MarkerPathOf(kData)));
  EXPECT_FALSE(fs_.Exists(RecloneRequestPathOf(kData)));
  EXPECT_TRUE(ListKeptDatadirs(fs_, kData).empty());
}

TEST_F(DataStepTest, UntimestampedCopyFromAnOlderVersionIsListedAndKept) {
  ASSERT_TRUE(fs_.MakeDirs("/vol/data/mysql.discarded", 0750).ok());
  ASSERT_TRUE(fs_.WriteFileAtomic("/vol/data/mysql.discarded/ibdata1", "old", 0640).ok());
  WriteHalfDatadir("new");
  ASSERT_TRUE(InspectDatadir(fs_, clock_, kData).ok());
  EXPECT_EQ(Read("/vol/data/mysql.discarded/ibdata1"), "old");
  const auto kept = ListKeptDatadirs(fs_, kData);
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].path, "/vol/data/mysql.discarded");
  EXPECT_EQ(kept[0].kept_at, "");
}

TEST_F(DataStepTest, InstallCutBeforeTheMarkerIsFinished) {
  WriteIntactDatadir("clone");
  ASSERT_TRUE(
      fs_.WriteFileAtomic(PendingMarkerPathOf(kData), "{\"source\":\"clone\"}\n", 0644).ok());
  auto r = InspectDatadir(fs_, clock_, kData);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r, DataState::kReady);
  EXPECT_EQ(Read(MarkerPathOf(kData)), "{\"source\":\"clone\"}\n");
  EXPECT_FALSE(fs_.Exists(PendingMarkerPathOf(kData)));
  EXPECT_TRUE(ListKeptDatadirs(fs_, kData).empty());
}

TEST_F(DataStepTest, StalePendingMarkerNeverVouchesForALaterDatadir) {
  ASSERT_TRUE(fs_.MakeDirs(kData, 0750).ok());
  ASSERT_TRUE(fs_.WriteFileAtomic(PendingMarkerPathOf(kData), "{}", 0644).ok());
  auto r = InspectDatadir(fs_, clock_, kData);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, DataState::kEmpty);
  EXPECT_FALSE(fs_.Exists(PendingMarkerPathOf(kData)));
}

TEST_F(DataStepTest, InstallWritesTheMarkerLastThroughThePendingOne) {
  ASSERT_TRUE(fs_.MakeDirs("/vol/data/mysql.staging", 0750).ok());
  ASSERT_TRUE(fs_.WriteFileAtomic("/vol/data/mysql.staging/ibdata1", "x", 0640).ok());
  ASSERT_TRUE(InstallDatadir(fs_, clock_, "/vol/data/mysql.staging", kData, "clone", "d").ok());
  EXPECT_TRUE(fs_.Exists("/vol/data/mysql/ibdata1"));
  EXPECT_TRUE(fs_.Exists(MarkerPathOf(kData)));
  EXPECT_FALSE(fs_.Exists(PendingMarkerPathOf(kData)));
  EXPECT_FALSE(fs_.Exists("/vol/data/mysql.staging"));
}

// Review finding: a failed rename left the pending marker, which then certified whatever was
// put at DATA/mysql next (a half-copied datadir moved there by hand) as complete.
TEST_F(DataStepTest, FailedInstallLeavesNoPendingMarkerToVouchForALaterDatadir) {
  ASSERT_TRUE(fs_.MakeDirs(kData, 0750).ok());
  // No staging: the rename fails.
  EXPECT_FALSE(InstallDatadir(fs_, clock_, "/vol/data/mysql.staging", kData, "clone", "d").ok());
  EXPECT_FALSE(fs_.Exists(PendingMarkerPathOf(kData)));
  EXPECT_FALSE(fs_.Exists(MarkerPathOf(kData)));
  // A datadir that then appears by hand, lacking files, is never taken for a finished install.
  ASSERT_TRUE(fs_.MakeDirs("/vol/data/mysql", 0750).ok());
  ASSERT_TRUE(fs_.WriteFileAtomic("/vol/data/mysql/ibdata1", "half", 0640).ok());
  auto r = InspectDatadir(fs_, clock_, kData);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_NE(*r, DataState::kReady);
  EXPECT_FALSE(fs_.Exists(MarkerPathOf(kData)));
}

}  // namespace
}  // namespace mysqlset
