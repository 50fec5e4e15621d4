#include "core/settling.h"

#include "gtest/gtest.h"

namespace mysqlset {
namespace {

using std::chrono::milliseconds;

SettleInput Base(RoleVerdict verdict) {
  SettleInput in;
  in.verdict = verdict;
  in.semi_sync = true;
  in.reachable = true;
  in.self = "mysql-1";
  in.since_leader_change = milliseconds(500);
  return in;
}

struct Case {
  const char* name;
  SettleInput in;
  bool settling;
};

TEST(SettlingTest, FastTicksOnlyWhileThisMembersPartOfTheChangeIsUnderWay) {
  std::vector<Case> cases;
  {
    SettleInput in = Base(RoleVerdict::kLead);
    in.writable = false;
    in.sync = "mysql-2";
    cases.push_back({"a new leader held read-only until its sync replica acks", in, true});
  }
  {
    SettleInput in = Base(RoleVerdict::kLead);
    in.writable = true;
    in.sync = "";
    cases.push_back({"a writable leader that has named no sync replica yet", in, true});
  }
  {
    SettleInput in = Base(RoleVerdict::kFollow);
    in.replicating = false;
    in.replication_broken = true;
    cases.push_back(
        {"a follower whose replication broke (1236, errant): no tick fixes it", in, false});
  }
  {
    SettleInput in = Base(RoleVerdict::kLead);
    in.writable = true;
    in.sync = "mysql-2";
    cases.push_back({"a writable leader with its sync replica: done", in, false});
  }
  {
    SettleInput in = Base(RoleVerdict::kLead);
    in.semi_sync = false;
    in.writable = true;
    cases.push_back({"a writable leader without semi-sync: done", in, false});
  }
  {
    SettleInput in = Base(RoleVerdict::kFollow);
    in.replicating = false;
    cases.push_back({"a replica re-pointed, not replicating yet", in, true});
  }
  {
    SettleInput in = Base(RoleVerdict::kFollow);
    in.replicating = true;
    in.sync = "";
    cases.push_back({"a replica while the leader chooses its sync replica", in, true});
  }
  {
    SettleInput in = Base(RoleVerdict::kFollow);
    in.replicating = true;
    in.sync = "mysql-1";
    in.acks = false;
    cases.push_back({"the named replica before its ack side is on", in, true});
  }
  {
    SettleInput in = Base(RoleVerdict::kFollow);
    in.replicating = true;
    in.sync = "mysql-1";
    in.acks = true;
    cases.push_back({"the named replica that acks: done", in, false});
  }
  {
    SettleInput in = Base(RoleVerdict::kFollow);
    in.replicating = true;
    in.sync = "mysql-2";
    cases.push_back({"a replica following while another one is named: done", in, false});
  }
  {
    SettleInput in = Base(RoleVerdict::kFollow);
    in.semi_sync = false;
    in.replicating = true;
    cases.push_back({"a replicating replica without semi-sync: done", in, false});
  }
  cases.push_back({"no leader, this member campaigns", Base(RoleVerdict::kCampaign), true});
  cases.push_back({"no leader, this member waits", Base(RoleVerdict::kWait), true});
  cases.push_back({"a fenced former leader", Base(RoleVerdict::kFence), true});
  {
    SettleInput in = Base(RoleVerdict::kWait);
    in.since_leader_change = milliseconds(10000);
    cases.push_back({"past the window: back to the normal tick, even with no leader", in, false});
  }
  {
    SettleInput in = Base(RoleVerdict::kLead);
    in.writable = false;
    in.since_leader_change = milliseconds(60000);
    cases.push_back({"past the window: a leader still held read-only ticks normally", in, false});
  }
  {
    SettleInput in = Base(RoleVerdict::kFollow);
    in.reachable = false;
    cases.push_back({"a server that does not answer backs off instead", in, false});
  }
  {
    SettleInput in = Base(RoleVerdict::kFollow);
    in.replicating = true;
    in.sync = "mysql-1";
    in.acks = true;
    in.since_leader_change = milliseconds(600000);
    in.leader_late = true;
    cases.push_back(
        {"a settled follower whose leader went quiet long after the change: fast", in, true});
  }
  {
    SettleInput in = Base(RoleVerdict::kFollow);
    in.replicating = true;
    in.since_leader_change = milliseconds(600000);
    in.leader_late = true;
    in.reachable = false;
    cases.push_back({"a late leader, but this server does not answer: backs off", in, false});
  }
  {
    SettleInput in = Base(RoleVerdict::kLead);
    in.writable = true;
    in.sync = "mysql-2";
    in.since_leader_change = milliseconds(600000);
    in.leader_late = true;
    cases.push_back({"the leader itself is never late to itself", in, false});
  }
  for (const Case& c : cases) {
    EXPECT_EQ(Settling(c.in), c.settling) << c.name;
  }
}

TEST(SettlingTest, ALeaderIsLateOnceItsRecordIsStillForATickAndAHalf) {
  const milliseconds tick(1000);
  const milliseconds ttl(3000);
  struct {
    milliseconds still;
    bool late;
  } cases[] = {{milliseconds(0), false},
               {milliseconds(1000), false},  // one tick: renewed on time
               {milliseconds(1500), false},  // a slow tick of a healthy leader
               {milliseconds(1501), true},
               {milliseconds(3000), true},  // a whole TTL: about to expire
               {milliseconds(4000), true},  // a TTL and a tick: the last look
               // Past that its lease is still renewed (its key is there) while its record
               // stands still (a failing write): polling fast would change nothing.
               {milliseconds(4001), false},
               {milliseconds(60000), false}};
  for (const auto& c : cases) {
    EXPECT_EQ(LeaderHeartbeatLate(c.still, tick, ttl), c.late) << c.still.count() << " ms";
  }
}

}  // namespace
}  // namespace mysqlset
