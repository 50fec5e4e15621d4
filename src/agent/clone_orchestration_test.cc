// CloneReplica's orchestration against fakes (clone_fakes.h), in milliseconds: donor choice
// and rotation, retries and their backoff, the stop on a refused token, staging removed
// after every failure point, and the completion marker written last. The real tools and
// streams run in tests/integration/clone_test.cc.

#include <algorithm>

#include "agent/clone_fakes.h"
#include "core/data_state.h"
#include "formats/clone_progress.h"
#include "formats/clone_record.h"
#include "gtest/gtest.h"
#include "mariadb/tools.h"

namespace mysqlset {
namespace {

using std::chrono::milliseconds;

constexpr const char* kData = "/v";
constexpr const char* kStaging = "/v/mysql.staging";
const Secrets kSecrets{"pw-admin", "pw-repl", "pw-backup", "pw-monitor", "tok3n"};

PeerStatus Ready(uint32_t ordinal, std::optional<double> lag, bool primary = false) {
  PeerStatus s;
  s.ordinal = ordinal;
  s.is_primary = primary;
  s.ready = true;
  s.lag_seconds = lag;
  s.gtid = "0-100-7";
  return s;
}

// A donor whose backup extracts cleanly.
DonorScript GoodDonor(const std::string& pod) {
  DonorScript d;
  d.hello = {pod, 6};
  d.chunks = {"abc", "def"};
  return d;
}

// What a failed clone must leave: nothing that looks installed, nothing half-made, no
// mbstream running.
void ExpectNothingLeft(const FakeCloneEnv& f, const std::string& context) {
  EXPECT_FALSE(f.fs.Exists(kStaging)) << context;
  EXPECT_FALSE(f.fs.Exists("/v/mysql")) << context;
  EXPECT_FALSE(f.fs.Exists(MarkerPathOf(kData))) << context;
  EXPECT_FALSE(f.fs.Exists(PendingMarkerPathOf(kData))) << context;
  EXPECT_FALSE(f.fs.Exists(formats::CloneProgressPath(kData))) << context;
  for (const auto& run : f.pipes.runs) {
    EXPECT_TRUE(run.finished || run.killed) << context << ": mbstream left running";
  }
}

class CloneOrchestrationTest : public ::testing::Test {
 protected:
  CloneOrchestrationTest() {
    o_.data_dir = kData;
    o_.self = *ParseIdentity("mysql-3", 100);
    o_.max_attempts = 3;
    o_.backoff.initial = milliseconds(100);
    o_.backoff.max = milliseconds(250);
    f_.pipes.files = {{"mariadb_backup_binlog_info", "mysql-bin.000002\t1234\t0-100-7\n"},
                      {"ibdata1", "rows"}};
    // mysql-1 lags least, then mysql-2, then the primary: the ranking tries them in turn.
    f_.peers.statuses = {
        {0, Ready(0, std::nullopt, /*primary=*/true)}, {1, Ready(1, 0.5)}, {2, Ready(2, 3.0)}};
  }
  Result<formats::CloneRecord> Clone() { return CloneReplica(f_.env, o_, kSecrets); }
  std::vector<std::string> DialedHosts() const {
    std::vector<std::string> hosts;
    for (const auto& c : f_.dialer.calls) hosts.push_back(c.host);
    return hosts;
  }
  FakeCloneEnv f_;
  CloneReceiverOptions o_;
};

TEST_F(CloneOrchestrationTest, CloneInstallsTheDatadirWithTheMarkerWrittenLast) {
  f_.dialer.donors["mysql-1.mysql"] = GoodDonor("mysql-1");
  auto r = Clone();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->donor, "mysql-1");
  EXPECT_EQ(r->donor_address, "mysql-1.mysql:3307");
  EXPECT_EQ(r->gtid, "0-100-7");
  EXPECT_EQ(r->bytes, 6u);
  ASSERT_EQ(f_.dialer.calls.size(), 1u);
  EXPECT_EQ(f_.dialer.calls[0].token, "tok3n");
  EXPECT_EQ(f_.dialer.calls[0].port, 3307);
  ASSERT_EQ(f_.pipes.runs.size(), 1u);
  EXPECT_EQ(f_.pipes.runs[0].argv, tools::ExtractStreamArgv(kStaging));
  EXPECT_EQ(f_.pipes.runs[0].received, "abcdef");
  ASSERT_EQ(f_.runner.calls.size(), 2u);
  EXPECT_EQ(f_.runner.calls[0].argv, tools::PrepareBackupArgv(kStaging, "256M"));
  EXPECT_EQ(f_.runner.calls[1].argv,
            tools::RollbackPreparedArgv(kStaging, "/v/tmp/r.sock", "/v/tmp", false,
                                        kDefaultInnodbLogFileSize));
  EXPECT_EQ(f_.runner.calls[1].output_file, CloneLogPathOf(kData));
  EXPECT_TRUE(f_.fs.Exists("/v/mysql/ibdata1"));
  EXPECT_TRUE(f_.fs.Exists(MarkerPathOf(kData)));
  EXPECT_TRUE(f_.fs.Exists(formats::CloneRecordPath(kData)));
  EXPECT_FALSE(f_.fs.Exists(kStaging));
  EXPECT_FALSE(f_.fs.Exists(PendingMarkerPathOf(kData)));
  EXPECT_FALSE(f_.fs.Exists(formats::CloneProgressPath(kData)));

  // The order of writes and renames: record, pending marker, datadir, marker; after the
  // marker only the progress file goes.
  const auto& ops = f_.fs.ops;
  auto at = [&](const std::string& op) {
    return std::find(ops.begin(), ops.end(), op) - ops.begin();
  };
  const auto record = at("write /v/.mysqlset-clone.json");
  const auto pending = at("write /v/.mysqlset-complete.pending");
  const auto datadir = at("rename /v/mysql.staging -> /v/mysql");
  const auto marker = at("rename /v/.mysqlset-complete.pending -> /v/.mysqlset-complete");
  ASSERT_LT(marker, static_cast<long>(ops.size()));
  EXPECT_LT(record, pending);
  EXPECT_LT(pending, datadir);
  EXPECT_LT(datadir, marker);
  for (size_t i = marker + 1; i < ops.size(); ++i) {
    EXPECT_EQ(ops[i], "remove /v/.mysqlset-clone-progress.json") << "after the marker";
  }
}

// The rollback pass (tools::RollbackPreparedArgv) exits 1 even when it did its work: its
// log decides. The binary log it began and its buffer pool dump never reach the member's
// datadir (the files a real pass on a prepared backup left, mariadbd 10.11).
TEST_F(CloneOrchestrationTest, RollbackPassThatSaysDoneIsInstalledWithoutItsBinlog) {
  f_.dialer.donors["mysql-1.mysql"] = GoodDonor("mysql-1");
  f_.runner.results = {ProcessResult{0, 0, ""}, ProcessResult{1, 0, ""}};
  f_.runner.on_run = [&](const ProcessSpec& spec) {
    if (spec.argv[0] != tools::kMariadbd) return;
    for (const char* name :
         {"mysql-bin.000001", "mysql-bin.index", "mysql-bin.state", "ib_buffer_pool"}) {
      ASSERT_TRUE(f_.fs.WriteFileAtomic(std::string(kStaging) + "/" + name, "x", 0640).ok());
    }
  };
  o_.run_as_root = true;
  o_.redo_log_bytes = 1u << 30;
  auto r = Clone();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->gtid, "0-100-7");
  ASSERT_EQ(f_.runner.calls.size(), 2u);
  EXPECT_EQ(f_.runner.calls[1].argv,
            tools::RollbackPreparedArgv(kStaging, "/v/tmp/r.sock", "/v/tmp", true, 1u << 30));
  EXPECT_TRUE(f_.fs.Exists(MarkerPathOf(kData)));
  EXPECT_TRUE(f_.fs.Exists("/v/mysql/ibdata1"));
  EXPECT_TRUE(f_.fs.Exists("/v/mysql/mariadb_backup_binlog_info"));
  for (const char* name :
       {"mysql-bin.000001", "mysql-bin.index", "mysql-bin.state", "ib_buffer_pool"}) {
    EXPECT_FALSE(f_.fs.Exists(std::string("/v/mysql/") + name)) << name;
  }
}

// A done line an earlier attempt's pass wrote to the clone log does not count for this one.
TEST_F(CloneOrchestrationTest, RollbackPassIsJudgedByWhatItLoggedThisAttempt) {
  f_.dialer.donors["mysql-1.mysql"] = GoodDonor("mysql-1");
  f_.dialer.donors["mysql-2.mysql"] = GoodDonor("mysql-2");
  o_.max_attempts = 2;
  int passes = 0;
  f_.runner.on_run = [&](const ProcessSpec& spec) {
    if (spec.argv[0] != tools::kMariadbd) return;
    if (++passes == 1) {
      f_.fs.fail_write_of = formats::CloneRecordPath(kData);  // attempt 1 fails after the pass
    } else {
      f_.fs.fail_write_of.clear();
      f_.runner.log_text[tools::kMariadbd] = "[ERROR] Aborting\n";
    }
  };
  auto r = Clone();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(passes, 2);
  EXPECT_NE(r.status().message().find("the backup left prepared failed"), std::string::npos)
      << r.status().message();
  ExpectNothingLeft(f_, "second pass failed");
}

TEST_F(CloneOrchestrationTest, LeftoverStagingIsReplacedNotInstalled) {
  ASSERT_TRUE(f_.fs.WriteFileAtomic("/v/mysql.staging/stale", "from a killed run", 0640).ok());
  f_.dialer.donors["mysql-1.mysql"] = GoodDonor("mysql-1");
  ASSERT_TRUE(Clone().ok());
  EXPECT_TRUE(f_.fs.Exists("/v/mysql/ibdata1"));
  EXPECT_FALSE(f_.fs.Exists("/v/mysql/stale"));
}

TEST_F(CloneOrchestrationTest, FirstDonorFailsNextDonorServes) {
  // mysql-1 is unreachable (no script); mysql-2 serves.
  f_.dialer.donors["mysql-2.mysql"] = GoodDonor("mysql-2");
  auto r = Clone();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->donor, "mysql-2");
  EXPECT_EQ(DialedHosts(), (std::vector<std::string>{"mysql-1.mysql", "mysql-2.mysql"}));
  EXPECT_EQ(f_.clock.sleeps, (std::vector<milliseconds>{milliseconds(100)}));
  EXPECT_EQ(f_.peers.reads, 6) << "each attempt asks ordinals 0..2 again";
}

TEST_F(CloneOrchestrationTest, GivenDonorsAreTriedInTurn) {
  o_.donors = {*ParseDonorEndpoint("10.0.0.1:4000"), *ParseDonorEndpoint("10.0.0.2:4000")};
  f_.dialer.donors["10.0.0.1"].connect = ResourceExhausted("donor is busy");
  f_.dialer.donors["10.0.0.2"] = GoodDonor("mysql-0");
  auto r = Clone();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(DialedHosts(), (std::vector<std::string>{"10.0.0.1", "10.0.0.2"}));
  EXPECT_EQ(f_.peers.reads, 0) << "given donors skip discovery";
}

TEST_F(CloneOrchestrationTest, RetriesWithBackoffUpToMaxAttempts) {
  o_.max_attempts = 4;
  auto r = Clone();  // no donor answers
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("after 4 attempt(s)"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(f_.dialer.calls.size(), 4u);
  // 100, 200, then capped at 250; none before the first attempt.
  EXPECT_EQ(f_.clock.sleeps,
            (std::vector<milliseconds>{milliseconds(100), milliseconds(200), milliseconds(250)}));
  EXPECT_EQ(DialedHosts(), (std::vector<std::string>{"mysql-1.mysql", "mysql-2.mysql",
                                                     "mysql-0.mysql", "mysql-1.mysql"}));
  ExpectNothingLeft(f_, "all attempts failed");
}

TEST_F(CloneOrchestrationTest, NoReadyDonorWaitsAndAsksAgainWithoutDialing) {
  for (auto& [ordinal, s] : f_.peers.statuses) s.ready = false;
  auto r = Clone();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("no ready donor among mysql-0..mysql-2"), std::string::npos)
      << r.status().message();
  EXPECT_TRUE(f_.dialer.calls.empty());
  EXPECT_EQ(f_.clock.sleeps.size(), 2u);
}

TEST_F(CloneOrchestrationTest, DonorPollStartsAsSoonAsADonorIsReady) {
  for (auto& [ordinal, s] : f_.peers.statuses) s.ready = false;
  f_.peers.ready_after_reads = 6;  // the first attempt's 3 reads, then one poll's 3
  for (int i = 0; i < 3; ++i) {
    f_.dialer.donors[fmt::format("mysql-{}.mysql", i)] = GoodDonor(fmt::format("mysql-{}", i));
  }
  o_.backoff.initial = o_.backoff.max = milliseconds(1000);
  o_.donor_poll = milliseconds(200);
  auto r = Clone();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(f_.dialer.calls.size(), 1u);
  // One 200 ms poll found nobody, the second found the donor: 400 ms, not the 1 s backoff.
  EXPECT_EQ(f_.clock.sleeps, (std::vector<milliseconds>{milliseconds(200), milliseconds(200)}));
}

TEST_F(CloneOrchestrationTest, DonorPollNeverWaitsPastTheBackoff) {
  for (auto& [ordinal, s] : f_.peers.statuses) s.ready = false;
  o_.max_attempts = 2;
  o_.backoff.initial = o_.backoff.max = milliseconds(500);
  o_.donor_poll = milliseconds(200);
  auto r = Clone();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no ready donor"), std::string::npos);
  EXPECT_EQ(f_.clock.sleeps,
            (std::vector<milliseconds>{milliseconds(200), milliseconds(200), milliseconds(100)}));
  EXPECT_TRUE(f_.dialer.calls.empty());
}

TEST_F(CloneOrchestrationTest, RefusedTokenStopsAtOnce) {
  for (const char* host : {"mysql-0.mysql", "mysql-1.mysql", "mysql-2.mysql"}) {
    f_.dialer.donors[host].connect =
        PermissionDenied("the donor refused our backup token: check the backup-token secret");
  }
  o_.max_attempts = 50;
  auto r = Clone();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(r.status().message().find("after 1 attempt(s)"), std::string::npos);
  EXPECT_EQ(f_.dialer.calls.size(), 1u);
  EXPECT_TRUE(f_.clock.sleeps.empty());
  ExpectNothingLeft(f_, "token refused");
}

// Every point where an attempt can fail leaves no staging, no datadir and no marker.
TEST_F(CloneOrchestrationTest, EveryFailurePointRemovesStaging) {
  struct Case {
    const char* name;
    std::function<void(FakeCloneEnv&)> break_it;
    StatusCode code;
    const char* says;
  } cases[] = {
      {"connect", [](FakeCloneEnv&) {}, StatusCode::kUnavailable, "refused"},
      {"mid-stream",
       [](FakeCloneEnv& f) {
         f.dialer.donors["mysql-1.mysql"].fail_after_chunks = 1;
         f.dialer.donors["mysql-1.mysql"].end = DataLoss("stream ended before its trailer");
       },
       StatusCode::kDataLoss, "before its trailer"},
      {"bad trailer (SHA-256)",
       [](FakeCloneEnv& f) {
         f.dialer.donors["mysql-1.mysql"].end = DataLoss("stream SHA-256 mismatch");
       },
       StatusCode::kDataLoss, "SHA-256 mismatch"},
      {"mbstream stops reading", [](FakeCloneEnv& f) { f.pipes.stops_reading_after = 4; },
       StatusCode::kDataLoss, "mbstream stopped reading"},
      {"mbstream cannot start",
       [](FakeCloneEnv& f) { f.pipes.start = NotFound("mbstream: not found in PATH"); },
       StatusCode::kNotFound, "not found in PATH"},
      {"mbstream exits non-zero", [](FakeCloneEnv& f) { f.pipes.exit_code = 2; },
       StatusCode::kDataLoss, "mbstream failed (exit 2, signal 0): mbstream: unexpected end"},
      {"prepare fails",
       [](FakeCloneEnv& f) {
         f.runner.results = {ProcessResult{1, 0, ""}};
       },
       StatusCode::kInternal, "mariabackup --prepare failed (exit 1, signal 0)"},
      {"rollback pass dies before its work",
       [](FakeCloneEnv& f) {
         f.runner.results = {ProcessResult{0, 0, ""}, ProcessResult{1, 0, ""}};
         f.runner.log_text[tools::kMariadbd] =
             "[ERROR] InnoDB: Plugin initialization aborted with error Generic error\n"
             "[ERROR] Aborting\n";
       },
       StatusCode::kInternal,
       "rolling back the transactions the backup left prepared failed (mariadbd "
       "--tc-heuristic-recover=ROLLBACK exit 1, signal 0); see /v/.mysqlset-clone.log"},
      {"rollback pass fails its recovery",
       [](FakeCloneEnv& f) {
         f.runner.log_text[tools::kMariadbd] =
             "[ERROR] Heuristic crash recovery failed\n"
             "[Note] Please restart without --tc-heuristic-recover\n";
       },
       StatusCode::kInternal, "the backup left prepared failed"},
      {"rollback pass cannot start", [](FakeCloneEnv& f) { f.runner.log_text.clear(); },
       StatusCode::kInternal, "see /v/.mysqlset-clone.log"},
      {"no binlog position",
       [](FakeCloneEnv& f) { f.pipes.files.erase("mariadb_backup_binlog_info"); },
       StatusCode::kFailedPrecondition, "no binlog position"},
      {"not enough space", [](FakeCloneEnv& f) { f.disk.free = 1024; },
       StatusCode::kResourceExhausted, "not enough space in /v"},
      {"clone record write fails",
       [](FakeCloneEnv& f) { f.fs.fail_write_of = "/v/.mysqlset-clone.json"; },
       StatusCode::kInternal, "Input/output error"},
      {"rename into place fails", [](FakeCloneEnv& f) { f.fs.fail_rename_to = "/v/mysql"; },
       StatusCode::kInternal, "rename /v/mysql.staging to /v/mysql"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    {
      FakeCloneEnv f;
      f.pipes.files = f_.pipes.files;
      f.peers.statuses = f_.peers.statuses;
      f.dialer.donors["mysql-1.mysql"] = GoodDonor("mysql-1");
      if (std::string(c.name) == "connect") f.dialer.donors.erase("mysql-1.mysql");
      c.break_it(f);
      o_.max_attempts = 1;
      auto r = CloneReplica(f.env, o_, kSecrets);
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.status().code(), c.code) << r.status().ToString();
      EXPECT_NE(r.status().message().find(c.says), std::string::npos) << r.status().message();
      ExpectNothingLeft(f, c.name);
      if (std::string(c.name) == "mid-stream") {
        ASSERT_EQ(f.pipes.runs.size(), 1u);
        EXPECT_TRUE(f.pipes.runs[0].killed) << "a broken stream kills mbstream";
        EXPECT_EQ(f.pipes.runs[0].received, "abc");
      }
    }
  }
}

// A data volume that fills up mid-stream says so, naming what mysqlset kept there.
TEST_F(CloneOrchestrationTest, FullDiskIsNamedInTheError) {
  f_.dialer.donors["mysql-1.mysql"] = GoodDonor("mysql-1");
  f_.dialer.donors["mysql-1.mysql"].hello.estimated_bytes = 0;
  f_.pipes.stops_reading_after = 3;
  f_.disk.free = 1024;
  o_.max_attempts = 1;
  o_.redo_log_bytes = 0;
  auto r = Clone();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(r.status().message().find("no space left on device in /v"), std::string::npos)
      << r.status().message();
  ExpectNothingLeft(f_, "disk full");
}

}  // namespace
}  // namespace mysqlset
