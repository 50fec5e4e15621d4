// Issue 13, automatic failover, on a real local cluster (3 members, 3 etcd members; the
// fixture is ha_cluster.h's): under a writer that records every acknowledged insert and a
// sampler of which members accept writes every 50 ms,
// (a) kill -9 of the primary's mariadbd and agent together,
// (b) SIGSTOP of the whole primary member for 15 s, then SIGCONT: it fences and rejoins,
// (c) two failovers in a row (the second within the first's cool-down),
// (d) the primary and the sync replica lost together: nobody is promoted, and the survivor's
//     decision says why and names `mysqlset failover --force`.
// Each: 0 acknowledged writes lost, never two writable members, equal checksums.
//
// "Held back": the supervisor restarts what dies within a second, which would make a kill a
// mere restart. Its pid is SIGSTOPped before the kill (it then neither reaps nor restarts;
// the processes it started keep running, etcd and HAProxy included) and SIGCONTed once the
// failover is checked, so that the lost member comes back and must rejoin as a replica.
//
// MYSQLSET_FAULTS=long repeats (a) five times.

#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include "agent/cluster_view.h"
#include "etcd/etcd_store.h"
#include "gtest/gtest.h"
#include "local/cluster_spec.h"
#include "net/http_client.h"
#include "nlohmann/json.hpp"
#include "tests/integration/ha_cluster.h"
#include "tests/integration/harness.h"

namespace mysqlset::testing {
namespace {

using json = nlohmann::json;

class FailoverCluster : public HaCluster {
 public:
  FailoverCluster() : HaCluster("failover") {}

  // The cluster's keys, read from etcd (nullopt when it does not answer).
  std::optional<ClusterView> View() {
    if (!store_) {
      local::ClusterSpec spec;
      spec.base_port = base_;
      spec.etcd_members = 3;
      auto store = etcd::OpenEtcdStore(local::EtcdEndpoints(spec));
      if (!store.ok()) return std::nullopt;
      store_ = std::move(*store);
    }
    const formats::StoreKeys keys("mysql");
    auto values = store_->List(keys.prefix);
    if (!values.ok()) return std::nullopt;
    return ParseClusterView(keys, *values).view;
  }
  std::string Leader() {
    auto v = View();
    return v && v->leader ? v->leader->name : "";
  }
  // The leader and its designated sync replica, once both are published (up to 60 s).
  std::pair<std::string, std::string> LeaderAndSync() {
    std::pair<std::string, std::string> out;
    WaitFor(60, [&] {
      auto v = View();
      if (!v || !v->leader || v->sync.empty() || v->sync == v->leader->name) return false;
      out = {v->leader->name, v->sync};
      return true;
    });
    return out;
  }

  pid_t Pid(const std::string& member, const char* key) {
    const json s = json::parse(ReadAll(dir_ + "/state.json"), nullptr, false);
    if (s.is_discarded()) return 0;
    for (const auto& m : s.value("members", json::array())) {
      if (m.value("name", "") == member) return m.value(key, 0);
    }
    return 0;
  }
  pid_t SupervisorPid() {
    return static_cast<pid_t>(std::atol(ReadAll(dir_ + "/supervisor.pid").c_str()));
  }

  // The agent's own view of its decision (GET /v1/status).
  json AgentStatus(const std::string& member) {
    const int ordinal = member.back() - '0';
    auto reply = net::HttpGet("127.0.0.1", static_cast<uint16_t>(base_ + 1 + 10 * ordinal),
                              "/v1/status", std::chrono::seconds(3));
    if (!reply.ok() || reply->status != 200) return json::object();
    auto j = json::parse(reply->body, nullptr, false);
    return j.is_discarded() ? json::object() : j;
  }

  // Kills mariadbd and the agent of `member` with the supervisor held back.
  void KillMember(const std::string& member) {
    const pid_t mariadbd = Pid(member, "mariadbd_pid"), agent = Pid(member, "agent_pid");
    ASSERT_GT(mariadbd, 0);
    ASSERT_GT(agent, 0);
    ASSERT_EQ(kill(mariadbd, SIGKILL), 0);
    ASSERT_EQ(kill(agent, SIGKILL), 0);
  }
  void HoldSupervisor() {
    supervisor_ = SupervisorPid();
    ASSERT_GT(supervisor_, 0);
    ASSERT_EQ(kill(supervisor_, SIGSTOP), 0);
  }
  void ReleaseSupervisor() {
    if (supervisor_ > 0) kill(supervisor_, SIGCONT);
    supervisor_ = 0;
  }

  // `member` is back as a ready replica of the current leader.
  bool Rejoined(const std::string& member, double seconds) {
    return WaitFor(seconds, [&] {
      const json m = MemberStatus(member);
      // "role" is null while the member's agent does not answer.
      return m.contains("role") && m["role"] == "replica" && m.value("ready", false);
    });
  }

  std::unique_ptr<CoordStore> store_;
  pid_t supervisor_ = 0;
};

class FailoverTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cluster_ = new FailoverCluster();
    cluster_->Start(/*semi_sync=*/true);
  }
  static void TearDownTestSuite() {
    cluster_->ReleaseSupervisor();
    cluster_->CheckNeverTwoWritable("the whole suite");
    cluster_->Finish();
    delete cluster_;
  }
  void SetUp() override {
    ASSERT_TRUE(cluster_->up_) << "the cluster did not come up";
    const auto [leader, sync] = c().LeaderAndSync();
    ASSERT_FALSE(sync.empty()) << "no sync replica designated (the semi-sync part publishes the "
                                  "\"sync\" key): no automatic failover can happen";
  }
  void TearDown() override { c().ReleaseSupervisor(); }
  FailoverCluster& c() { return *cluster_; }

  // Loses the primary's mariadbd and agent; the sync replica must take over and the lost
  // member rejoin once the supervisor restarts it.
  void KillPrimaryAndRejoin(const std::string& round) {
    const auto [primary, sync] = c().LeaderAndSync();
    ASSERT_FALSE(sync.empty());
    c().HoldSupervisor();
    c().KillMember(primary);
    EXPECT_TRUE(c().WaitFor(30, [&] { return c().Leader() == sync; }))
        << round << ": " << sync << " did not take over from " << primary;
    EXPECT_TRUE(c().writer_->WaitForProgress(30)) << round << ": no writes after the failover";
    auto v = c().View();
    ASSERT_TRUE(v && v->last_epoch) << round << ": no history entry";
    EXPECT_EQ(v->last_epoch->reason, "failover");
    EXPECT_EQ(v->last_epoch->name, sync);
    EXPECT_EQ(v->last_epoch->from, primary);
    c().ReleaseSupervisor();
    EXPECT_TRUE(c().Rejoined(primary, 90)) << round << ": " << primary << " did not rejoin";
    c().CheckLedger(round);
    c().CheckNeverTwoWritable(round);
  }

  static FailoverCluster* cluster_;
};
FailoverCluster* FailoverTest::cluster_ = nullptr;

TEST_F(FailoverTest, KillingThePrimaryMemberFailsOverToTheSyncReplica) {
  const char* faults = std::getenv("MYSQLSET_FAULTS");
  const int rounds = faults && std::string(faults) == "long" ? 5 : 1;
  for (int i = 0; i < rounds && !HasFatalFailure(); ++i) {
    KillPrimaryAndRejoin("kill -9 round " + std::to_string(i + 1));
  }
}

TEST_F(FailoverTest, AFrozenPrimaryIsReplacedThenFencesAndRejoins) {
  const auto [primary, sync] = c().LeaderAndSync();
  const pid_t mariadbd = c().Pid(primary, "mariadbd_pid"), agent = c().Pid(primary, "agent_pid");
  ASSERT_GT(mariadbd, 0);
  ASSERT_GT(agent, 0);
  ASSERT_EQ(kill(mariadbd, SIGSTOP), 0);
  ASSERT_EQ(kill(agent, SIGSTOP), 0);
  const bool took_over = c().WaitFor(15, [&] { return c().Leader() == sync; });
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const bool writes = c().writer_->WaitForProgress(10);
  // Both at once, as a paused VM resumes.
  kill(mariadbd, SIGCONT);
  kill(agent, SIGCONT);
  EXPECT_TRUE(took_over) << sync << " did not take over from the frozen " << primary;
  EXPECT_TRUE(writes) << "no writes while " << primary << " was frozen";
  EXPECT_TRUE(c().Rejoined(primary, 60)) << primary << " did not fence and rejoin";
  EXPECT_EQ(c().Leader(), sync);
  c().CheckLedger("after the frozen primary rejoined");
  c().CheckNeverTwoWritable("frozen primary");
}

TEST_F(FailoverTest, TwoFailoversInARow) {
  const auto [first, sync] = c().LeaderAndSync();
  c().HoldSupervisor();
  c().KillMember(first);
  ASSERT_TRUE(c().WaitFor(30, [&] { return c().Leader() == sync; })) << "first failover";
  // The new primary designates the remaining replica; then it is lost too, normally within
  // the first failover's cool-down (30 s): its own loss still fails over. When the remaining
  // replica had received the lost primary's unacknowledged tail (an async replica may get it
  // before the sync replica acks), it is errant and re-cloned first (after 30 s; docs/roles.md
  // "Errant transactions"), so it is named later, past the cool-down.
  std::string next;
  ASSERT_TRUE(c().WaitFor(120,
                          [&] {
                            auto v = c().View();
                            if (!v || v->sync.empty() || v->sync == sync || v->sync == first)
                              return false;
                            next = v->sync;
                            return true;
                          }))
      << sync << " designated no new sync replica";
  c().KillMember(sync);
  EXPECT_TRUE(c().WaitFor(30, [&] { return c().Leader() == next; })) << "second failover";
  auto v = c().View();
  ASSERT_TRUE(v && v->last_epoch);
  EXPECT_EQ(v->last_epoch->reason, "failover");
  EXPECT_EQ(v->last_epoch->from, sync);
  // Alone, the new primary has no replica to acknowledge a write: writes resume once the
  // two lost members are back.
  c().ReleaseSupervisor();
  EXPECT_TRUE(c().Rejoined(first, 90)) << first << " did not rejoin";
  EXPECT_TRUE(c().Rejoined(sync, 90)) << sync << " did not rejoin";
  EXPECT_TRUE(c().writer_->WaitForProgress(30)) << "no writes after two failovers";
  c().CheckLedger("after two failovers in a row");
  c().CheckNeverTwoWritable("two failovers in a row");
}

TEST_F(FailoverTest, PrimaryAndSyncReplicaLostTogetherPromoteNobody) {
  const auto [primary, sync] = c().LeaderAndSync();
  std::string survivor;
  for (int i = 0; i < kMembers; ++i) {
    const std::string m = "mysql-" + std::to_string(i);
    if (m != primary && m != sync) survivor = m;
  }
  c().HoldSupervisor();
  c().KillMember(primary);
  c().KillMember(sync);
  std::string reason;
  EXPECT_TRUE(c().WaitFor(20,
                          [&] {
                            reason = c().AgentStatus(survivor).value("decision_reason", "");
                            return reason.find("both lost") != std::string::npos;
                          }))
      << survivor << "'s decision: " << reason;
  EXPECT_NE(reason.find("mysqlset failover --force"), std::string::npos) << reason;
  std::this_thread::sleep_for(std::chrono::seconds(5));  // past any lease: still nobody
  EXPECT_EQ(c().Leader(), "") << "an async replica was promoted";
  c().ReleaseSupervisor();
  // The last leader comes back and is elected again: nothing was lost.
  EXPECT_TRUE(c().WaitFor(90, [&] { return c().Leader() == primary; }));
  EXPECT_TRUE(c().Rejoined(sync, 90));
  EXPECT_TRUE(c().Rejoined(survivor, 90));
  EXPECT_TRUE(c().writer_->WaitForProgress(30));
  c().CheckLedger("after the primary and the sync replica came back");
  c().CheckNeverTwoWritable("primary and sync replica lost");
}

}  // namespace
}  // namespace mysqlset::testing
