// RunCloneStep against fakes: the datadir kept, an install cut before its marker finished,
// a replica cloned, a primary bootstrapped only when no peer holds data.

#include "agent/clone_step.h"

#include <algorithm>

#include "agent/clone_fakes.h"
#include "agent/data_step.h"
#include "core/data_state.h"
#include "formats/store_records.h"
#include "gtest/gtest.h"
#include "testing/fake_coord_store.h"

namespace mysqlset {
namespace {

constexpr const char* kData = "/v";
const Secrets kSecrets{"pw-admin", "pw-repl", "pw-backup", "pw-monitor", "tok3n"};

class CloneStepTest : public ::testing::Test {
 protected:
  CloneStepOptions Options(const std::string& pod) {
    CloneStepOptions s;
    s.data_dir = kData;
    s.conf_dir = "/conf";
    s.self = *ParseIdentity(pod, 100);
    s.peers_to_ask = 2;
    return s;
  }
  // mysql-1 with one donor, mysql-0, whose fake stream carries GTID 0-100-3.
  CloneStepOptions Mysql1ClonesFromMysql0() {
    CloneStepOptions s = Options("mysql-1");
    s.donors = {"127.0.0.1:4000"};
    f_.dialer.donors["127.0.0.1"].hello = {"mysql-0", 3};
    f_.pipes.files = {{"mariadb_backup_binlog_info", "b.000001\t4\t0-100-3\n"}};
    return s;
  }
  FakeCloneEnv f_;
};

TEST_F(CloneStepTest, CompleteDatadirIsKept) {
  ASSERT_TRUE(f_.fs.MakeDirs("/v/mysql", 0750).ok());
  ASSERT_TRUE(f_.fs.WriteFileAtomic(MarkerPathOf(kData), "{}", 0644).ok());
  EXPECT_TRUE(RunCloneStep(f_.env, Options("mysql-1"), kSecrets).ok());
  EXPECT_TRUE(f_.dialer.calls.empty());
  EXPECT_TRUE(f_.runner.calls.empty());
}

void WriteIntactDatadir(FileSystem& fs) {
  ASSERT_TRUE(fs.MakeDirs("/v/mysql/mysql", 0750).ok());
  for (const char* name : {"ibdata1", "ib_logfile0", "mysql/global_priv.MAD"}) {
    ASSERT_TRUE(fs.WriteFileAtomic(std::string("/v/mysql/") + name, "x", 0640).ok());
  }
}

// Killed between renaming the datadir into place and the marker: the next run finishes the
// install by renaming the pending marker, and neither clones nor bootstraps.
TEST_F(CloneStepTest, InstallCutBeforeTheMarkerIsFinished) {
  for (const char* pod : {"mysql-0", "mysql-1"}) {
    SCOPED_TRACE(pod);
    FakeCloneEnv f;
    WriteIntactDatadir(f.fs);
    ASSERT_TRUE(f.fs.WriteFileAtomic(PendingMarkerPathOf(kData), "{}", 0644).ok());
    EXPECT_TRUE(RunCloneStep(f.env, Options(pod), kSecrets).ok());
    EXPECT_TRUE(f.fs.Exists(MarkerPathOf(kData)));
    EXPECT_FALSE(f.fs.Exists(PendingMarkerPathOf(kData)));
    EXPECT_TRUE(f.dialer.calls.empty());
    EXPECT_TRUE(f.runner.calls.empty());
  }
}

// A pending marker does not vouch for a datadir missing its files: that one is set aside
// (kept) and the replica clones afresh.
TEST_F(CloneStepTest, PendingMarkerBesideAHalfDatadirIsSetAsideAndCloned) {
  ASSERT_TRUE(f_.fs.MakeDirs("/v/mysql", 0750).ok());
  ASSERT_TRUE(f_.fs.WriteFileAtomic("/v/mysql/ibdata1", "half", 0640).ok());
  ASSERT_TRUE(f_.fs.WriteFileAtomic(PendingMarkerPathOf(kData), "{}", 0644).ok());
  const CloneStepOptions s = Mysql1ClonesFromMysql0();
  const Status st = RunCloneStep(f_.env, s, kSecrets);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(f_.dialer.calls.size(), 1u);
  EXPECT_TRUE(f_.fs.Exists(MarkerPathOf(kData)));
  EXPECT_FALSE(f_.fs.Exists("/v/mysql/ibdata1")) << "the clone's datadir, not the half one";
  EXPECT_EQ(ListKeptDatadirs(f_.fs, kData).size(), 1u);
}

TEST_F(CloneStepTest, ReplicaWithoutDataClonesFromTheGivenDonor) {
  CloneStepOptions s = Options("mysql-1");
  s.donors = {"127.0.0.1:4000"};
  s.use_memory = "1G";
  s.run_as_root = true;
  f_.dialer.donors["127.0.0.1"].hello = {"mysql-0", 3};
  f_.dialer.donors["127.0.0.1"].chunks = {"abc"};
  f_.pipes.files = {{"mariadb_backup_binlog_info", "b.000001\t4\t0-100-3\n"}};
  const Status st = RunCloneStep(f_.env, s, kSecrets);
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(f_.dialer.calls.size(), 1u);
  EXPECT_EQ(f_.dialer.calls[0].port, 4000);
  ASSERT_EQ(f_.runner.calls.size(), 2u) << "mariabackup --prepare, then the rollback pass";
  EXPECT_EQ(f_.runner.calls[0].argv.back(), "--use-memory=1G");
  const auto& pass = f_.runner.calls[1].argv;
  EXPECT_EQ(pass.back(), "--tc-heuristic-recover=ROLLBACK");
  EXPECT_NE(std::find(pass.begin(), pass.end(), "--user=root"), pass.end()) << "run_as_root";
  EXPECT_TRUE(f_.fs.Exists(MarkerPathOf(kData)));
}

TEST_F(CloneStepTest, ReplicaWithABadDonorFlagSaysWhatToGive) {
  CloneStepOptions s = Options("mysql-1");
  s.donors = {"no-port"};
  const Status st = RunCloneStep(f_.env, s, kSecrets);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(f_.dialer.calls.empty());
}

TEST_F(CloneStepTest, PrimaryWithoutDataBootstrapsWhenNoPeerHoldsData) {
  CloneStepOptions s = Options("mysql-0");
  s.donors = {"not parsed for a primary"};
  const Status st = RunCloneStep(f_.env, s, kSecrets);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(f_.peers.reads, 2);
  EXPECT_EQ(f_.runner.calls.size(), 2u) << "install-db, then the securing bootstrap";
  EXPECT_TRUE(f_.dialer.calls.empty());
  EXPECT_TRUE(f_.fs.Exists(MarkerPathOf(kData)));
}

TEST_F(CloneStepTest, PrimaryWithoutDataRefusesWhenAPeerHoldsData) {
  PeerStatus holder;
  holder.ordinal = 2;
  holder.gtid = "0-100-42";
  f_.peers.statuses[2] = holder;
  const Status st = RunCloneStep(f_.env, Options("mysql-0"), kSecrets);
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("mysql-2 holds data up to GTID 0-100-42"), std::string::npos)
      << st.message();
  EXPECT_TRUE(f_.runner.calls.empty());
  EXPECT_FALSE(f_.fs.Exists("/v/mysql"));
}

// Local mode: another member's volume on this machine holds a datadir (its marker lost).
// The refusal names it and the copy mysqlset kept in the primary's own volume.
TEST_F(CloneStepTest, PrimaryWithoutDataRefusesWhenALocalPeerVolumeHoldsADatadir) {
  ASSERT_TRUE(f_.fs.MakeDirs("/peer1/mysql", 0750).ok());
  ASSERT_TRUE(f_.fs.MakeDirs("/v/mysql.discarded.20261129T214500Z", 0750).ok());
  CloneStepOptions s = Options("mysql-0");
  s.peer_data_dirs = {"/peer1"};
  const Status st = RunCloneStep(f_.env, s, kSecrets);
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("/peer1 holds a datadir without its marker"), std::string::npos)
      << st.message();
  EXPECT_NE(st.message().find("kept datadirs: /v/mysql.discarded.20261129T214500Z"),
            std::string::npos)
      << st.message();
  EXPECT_EQ(f_.peers.reads, 0) << "the local volume answers first";
  EXPECT_TRUE(f_.runner.calls.empty());
}

// --- the bootstrap guard with the store (docs/roles.md: Bootstrap) ---------------------

class CloneStepStoreTest : public CloneStepTest {
 protected:
  void SetUp() override { f_.env.store = &store_; }
  std::optional<formats::InitializedRecord> Initialized() {
    auto v = store_.Get(formats::StoreKeys("mysql").Initialized());
    if (!v.ok() || !v->has_value()) return std::nullopt;
    auto r = formats::FromJson<formats::InitializedRecord>((*v)->value);
    return r.ok() ? std::optional(*r) : std::nullopt;
  }
  FakeCoordStore store_{&f_.clock};
};

TEST_F(CloneStepStoreTest, OrdinalZeroOfANewClusterClaimsInitializedAndBootstraps) {
  const Status st = RunCloneStep(f_.env, Options("mysql-0"), kSecrets);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(f_.runner.calls.size(), 2u) << "install-db, then the securing bootstrap";
  EXPECT_TRUE(f_.fs.Exists(MarkerPathOf(kData)));
  ASSERT_TRUE(Initialized().has_value());
  EXPECT_EQ(Initialized()->by, "mysql-0");
  EXPECT_EQ(Initialized()->state, "done");
}

// Killed right after winning the claim, before its datadir existed: the record still says
// "bootstrapping" and nobody has led, so no data was ever made from it. On restart it takes
// its own claim over and bootstraps, instead of every member waiting for a donor for ever.
TEST_F(CloneStepStoreTest, AClaimLeftByAKilledBootstrapIsBootstrappedAgainWhileNobodyLed) {
  const std::string key = formats::StoreKeys("mysql").Initialized();
  const formats::InitializedRecord left{"mysql-0", 1, formats::kInitializedBootstrapping};
  ASSERT_TRUE(store_.Put(key, formats::ToJson(left)).ok());
  const Status st = RunCloneStep(f_.env, Options("mysql-0"), kSecrets);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(f_.runner.calls.size(), 2u) << "install-db, then the securing bootstrap";
  EXPECT_TRUE(f_.fs.Exists(MarkerPathOf(kData)));
  EXPECT_TRUE(f_.dialer.calls.empty());
  ASSERT_TRUE(Initialized().has_value());
  EXPECT_EQ(Initialized()->by, "mysql-0");
  EXPECT_EQ(Initialized()->state, "done");
}

// The same claim once a member has led (last_leader exists), another member's claim, or a
// finished one: data may exist elsewhere, so it clones, as after a lost volume.
TEST_F(CloneStepStoreTest, AnUnfinishedClaimIsNeverTakenOverOnceSomeoneLedOrByAnother) {
  const std::string key = formats::StoreKeys("mysql").Initialized();
  struct Case {
    const char* name;
    formats::InitializedRecord record;
    bool led;
  } cases[] = {
      {"someone led since", {"mysql-0", 1, formats::kInitializedBootstrapping}, true},
      {"another member's claim", {"mysql-9", 1, formats::kInitializedBootstrapping}, false},
      {"a finished claim", {"mysql-0", 1, "done"}, false},
  };
  for (const Case& c : cases) {
    ASSERT_TRUE(store_.Put(key, formats::ToJson(c.record)).ok());
    if (c.led) {
      ASSERT_TRUE(store_
                      .Put(formats::StoreKeys("mysql").LastLeader(),
                           formats::ToJson(formats::LeaderRecord{"mysql-1", 2, 1}))
                      .ok());
    }
    const auto value = store_.Get(key)->value().value;
    CloneStepOptions s = Options("mysql-0");
    s.donors = {"127.0.0.1:4010"};
    f_.dialer.donors["127.0.0.1"].hello = {"mysql-1", 3};
    f_.pipes.files = {{"mariadb_backup_binlog_info", "b.000001\t4\t0-100-3\n"}};
    f_.dialer.calls.clear();
    const Status st = RunCloneStep(f_.env, s, kSecrets);
    EXPECT_TRUE(st.ok()) << c.name << ": " << st.ToString();
    EXPECT_EQ(f_.dialer.calls.size(), 1u) << c.name;
    EXPECT_EQ(f_.peers.reads, 0) << c.name << ": no bootstrap, so no peer check";
    EXPECT_EQ(store_.Get(key)->value().value, value) << c.name << ": the claim is untouched";
    ASSERT_TRUE(f_.fs.RemoveAll(kData).ok());
  }
}

// Ordinal 0 lost its volume after the cluster was initialized: it copies the data the
// others hold rather than start a second, empty history.
TEST_F(CloneStepStoreTest, OrdinalZeroClonesOnceTheClusterWasInitialized) {
  const std::string key = formats::StoreKeys("mysql").Initialized();
  ASSERT_TRUE(store_.Put(key, formats::ToJson(formats::InitializedRecord{"mysql-0", 1})).ok());
  CloneStepOptions s = Options("mysql-0");
  s.donors = {"127.0.0.1:4010"};
  f_.dialer.donors["127.0.0.1"].hello = {"mysql-1", 3};
  f_.pipes.files = {{"mariadb_backup_binlog_info", "b.000001\t4\t0-100-3\n"}};
  const Status st = RunCloneStep(f_.env, s, kSecrets);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(f_.dialer.calls.size(), 1u);
  EXPECT_EQ(f_.peers.reads, 0) << "no bootstrap, so no peer check";
  ASSERT_EQ(f_.runner.calls.size(), 2u) << "mariabackup --prepare and the rollback pass only, "
                                           "no install-db";
  EXPECT_TRUE(f_.fs.Exists(MarkerPathOf(kData)));
}

// The peer check stays: with `initialized` absent (a new store over old volumes), a peer
// holding data still forbids the bootstrap, and the claim is not made.
TEST_F(CloneStepStoreTest, APeerHoldingDataStillForbidsTheBootstrapAndNothingIsClaimed) {
  PeerStatus holder;
  holder.ordinal = 1;
  holder.gtid = "0-100-9";
  f_.peers.statuses[1] = holder;
  const Status st = RunCloneStep(f_.env, Options("mysql-0"), kSecrets);
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition) << st.ToString();
  EXPECT_FALSE(Initialized().has_value());
  EXPECT_TRUE(f_.runner.calls.empty());
}

TEST_F(CloneStepStoreTest, AFailedBootstrapWithdrawsItsClaim) {
  f_.runner.results.push_back(ProcessResult{.exit_code = 1});
  const Status st = RunCloneStep(f_.env, Options("mysql-0"), kSecrets);
  EXPECT_FALSE(st.ok());
  EXPECT_FALSE(Initialized().has_value()) << "the next attempt may bootstrap again";
}

TEST_F(CloneStepStoreTest, AnUnreachableStoreIsAnErrorAndNothingIsWritten) {
  store_.SetUnavailable(true);
  for (const char* pod : {"mysql-0", "mysql-1"}) {
    const Status st = RunCloneStep(f_.env, Options(pod), kSecrets);
    EXPECT_EQ(st.code(), StatusCode::kUnavailable) << pod << ": " << st.ToString();
    EXPECT_NE(st.message().find("is etcd up?"), std::string::npos) << st.message();
  }
  EXPECT_TRUE(f_.runner.calls.empty());
  EXPECT_TRUE(f_.dialer.calls.empty());
  EXPECT_FALSE(f_.fs.Exists("/v/mysql"));
}

// A member with a complete datadir never needs the store.
TEST_F(CloneStepStoreTest, ACompleteDatadirDoesNotAskTheStore) {
  store_.SetUnavailable(true);
  ASSERT_TRUE(f_.fs.MakeDirs("/v/mysql", 0750).ok());
  ASSERT_TRUE(f_.fs.WriteFileAtomic(MarkerPathOf(kData), "{}", 0644).ok());
  EXPECT_TRUE(RunCloneStep(f_.env, Options("mysql-0"), kSecrets).ok());
}

TEST_F(CloneStepTest, DatadirThatIsAFileIsLeftAlone) {
  ASSERT_TRUE(f_.fs.WriteFileAtomic("/v/mysql", "not a dir", 0644).ok());
  const Status st = RunCloneStep(f_.env, Options("mysql-1"), kSecrets);
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(*f_.fs.ReadFile("/v/mysql"), "not a dir");
  EXPECT_TRUE(f_.dialer.calls.empty());
}

// --- a re-clone request (core/reclone.h) is acted on only while another member leads -----

TEST_F(CloneStepStoreTest, ARecloneRequestKeepsTheDatadirUnlessAnotherMemberLeads) {
  WriteIntactDatadir(f_.fs);
  ASSERT_TRUE(f_.fs.WriteFileAtomic(MarkerPathOf(kData), "{}", 0644).ok());
  ASSERT_TRUE(f_.fs.WriteFileAtomic(RecloneRequestPathOf(kData), "errant", 0644).ok());
  const std::string leader = formats::StoreKeys("mysql").Leader();
  // Nobody leads, then this member leads: the request stands, the datadir is kept.
  for (const char* name : {"", "mysql-1"}) {
    if (*name) {
      ASSERT_TRUE(store_.Put(leader, formats::ToJson(formats::LeaderRecord{name, 2, 0})).ok());
    }
    const Status st = RunCloneStep(f_.env, Options("mysql-1"), kSecrets);
    ASSERT_TRUE(st.ok()) << name << ": " << st.ToString();
    EXPECT_TRUE(f_.fs.Exists("/v/mysql/ibdata1")) << name;
    EXPECT_TRUE(f_.fs.Exists(RecloneRequestPathOf(kData))) << name;
    EXPECT_TRUE(f_.dialer.calls.empty()) << name;
  }
  // Another member leads: set aside, then cloned.
  ASSERT_TRUE(store_.Put(leader, formats::ToJson(formats::LeaderRecord{"mysql-0", 3, 0})).ok());
  ASSERT_TRUE(store_
                  .Put(formats::StoreKeys("mysql").Initialized(),
                       formats::ToJson(formats::InitializedRecord{"mysql-0", 1}))
                  .ok());
  const CloneStepOptions s = Mysql1ClonesFromMysql0();
  const Status st = RunCloneStep(f_.env, s, kSecrets);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_FALSE(f_.fs.Exists(RecloneRequestPathOf(kData)));
  EXPECT_EQ(f_.dialer.calls.size(), 1u);
  EXPECT_FALSE(ListKeptDatadirs(f_.fs, kData).empty());
}

}  // namespace
}  // namespace mysqlset
