#include "agent/failover_step.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

#include "core/state_builder_testing.h"
#include "gtest/gtest.h"
#include "testing/fake_db.h"

namespace mysqlset {
namespace {

// Where every STOP SLAVE IO_THREAD of one fence must arrive before any returns: stops made one
// after another never all arrive, and the first gives up (a bounded wait, so that a
// regression fails the test rather than hanging it).
class Rendezvous {
 public:
  explicit Rendezvous(int expected) : expected_(expected) {}
  bool ArriveAndWait() {
    std::unique_lock<std::mutex> lock(mu_);
    ++arrived_;
    cv_.notify_all();
    return cv_.wait_for(lock, std::chrono::seconds(3), [this] { return arrived_ >= expected_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int arrived_ = 0;
  const int expected_;
};

class RendezvousDb : public FakeDb {
 public:
  explicit RendezvousDb(Rendezvous& r) : rendezvous_(r) {
    state = testing::StateBuilder().Replicating().Build();
  }
  Status StopReplicationIo() override {
    if (!rendezvous_.ArriveAndWait()) {
      return Unavailable("STOP SLAVE IO_THREAD ran alone: the stops were not made at once");
    }
    return FakeDb::StopReplicationIo();
  }

 private:
  Rendezvous& rendezvous_;
};

// A peer's server, replicating and answering.
Result<std::unique_ptr<Db>> ReplicatingPeer() {
  auto db = std::make_unique<FakeDb>();
  db->state = testing::StateBuilder().Replicating().Build();
  return std::unique_ptr<Db>(std::move(db));
}

MemberView Member(const std::string& name, uint32_t ordinal) {
  MemberView m;
  m.name = name;
  m.ordinal = ordinal;
  m.mysql_reachable = m.has_data = true;
  return m;
}

// mysql-0 led and is lost; mysql-1 is the candidate; mysql-2 and mysql-3 are its peers.
ClusterView LostMysql0() {
  ClusterView view;
  view.last_leader = LeaderView{"mysql-0", 3, 0, 1};
  view.sync = "mysql-1";
  view.members = {Member("mysql-0", 0), Member("mysql-1", 1), Member("mysql-2", 2),
                  Member("mysql-3", 3)};
  return view;
}

// Against a frozen primary each STOP SLAVE IO_THREAD can wait a second or more; one after
// another they delayed the failover by their sum (docs/roles.md "A frozen or cut-off leader").
TEST(FailoverFenceTest, StopsItsOwnAndEveryPeersIoThreadAtOnce) {
  Rendezvous all_three(3);
  RendezvousDb self(all_three);
  std::vector<std::string> asked;
  const PeerDbFactory peers = [&](const std::string& name) -> Result<std::unique_ptr<Db>> {
    asked.push_back(name);
    return std::unique_ptr<Db>(std::make_unique<RendezvousDb>(all_three));
  };
  const ClusterView view = LostMysql0();
  FailoverFenceContext ctx{.self = "mysql-1", .view = view, .self_db = self, .peer_db = peers};
  auto ready = FenceForFailover(ctx);
  ASSERT_TRUE(ready.ok()) << ready.status().message();
  EXPECT_TRUE(*ready);
  EXPECT_EQ(asked, (std::vector<std::string>{"mysql-2", "mysql-3"})) << "the lost leader skipped";
  EXPECT_EQ(ctx.progress.find("could not reach"), std::string::npos) << ctx.progress;
  EXPECT_NE(ctx.progress.find("IO threads stopped on mysql-1, mysql-2, mysql-3"), std::string::npos)
      << ctx.progress;
}

// A peer it cannot reach is cut off from the candidate and follows (or fences) by itself once
// it sees the key; the candidate's own server is what it must fence before it campaigns.
TEST(FailoverFenceTest, APeerThatCannotBeReachedIsNotedAndTheFenceGoesOn) {
  FakeDb self;
  self.state = testing::StateBuilder().Replicating().Build();
  const PeerDbFactory peers = [](const std::string& name) -> Result<std::unique_ptr<Db>> {
    if (name == "mysql-3") return Unavailable("connect {}: refused", name);
    return ReplicatingPeer();
  };
  const ClusterView view = LostMysql0();
  FailoverFenceContext ctx{.self = "mysql-1", .view = view, .self_db = self, .peer_db = peers};
  auto ready = FenceForFailover(ctx);
  ASSERT_TRUE(ready.ok()) << ready.status().message();
  EXPECT_TRUE(*ready);
  EXPECT_NE(ctx.progress.find("could not reach mysql-3 (connect mysql-3: refused)"),
            std::string::npos)
      << ctx.progress;
  EXPECT_NE(ctx.progress.find("IO threads stopped on mysql-1, mysql-2;"), std::string::npos)
      << ctx.progress;
}

// The peers' stops start before its own (all at once), so they are asked even then: harmless,
// since each peer's agent restarts its IO thread once it sees who leads.
TEST(FailoverFenceTest, ItsOwnStopFailingIsAnErrorAndNothingIsReadyToCampaign) {
  FakeDb self;
  self.state = testing::StateBuilder().Replicating().Build();
  self.state.reachable = false;  // every call fails
  std::vector<std::string> asked;
  const PeerDbFactory peers = [&](const std::string& name) -> Result<std::unique_ptr<Db>> {
    asked.push_back(name);
    return ReplicatingPeer();
  };
  const ClusterView view = LostMysql0();
  FailoverFenceContext ctx{.self = "mysql-1", .view = view, .self_db = self, .peer_db = peers};
  auto ready = FenceForFailover(ctx);
  EXPECT_FALSE(ready.ok()) << "an unfenced candidate must not campaign";
  EXPECT_TRUE(ctx.gtid.empty());
  EXPECT_TRUE(ctx.progress.empty()) << ctx.progress;
  EXPECT_EQ(asked, (std::vector<std::string>{"mysql-2", "mysql-3"}));
}

}  // namespace
}  // namespace mysqlset
