#include "core/sync_replica.h"

#include "gtest/gtest.h"

namespace mysqlset {
namespace {

GtidList G(const char* text) { return GtidList::Parse(text).value(); }

MemberView Member(uint32_t ord, const char* gtid, std::optional<double> lag = 0.0) {
  MemberView m;
  m.name = "mysql-" + std::to_string(ord);
  m.ordinal = ord;
  m.lease = 1000 + ord;
  m.mysql_reachable = true;
  m.has_data = true;
  m.gtid_binlog = G(gtid);
  m.replicating = ord != 0;
  m.lag_seconds = ord != 0 ? lag : std::nullopt;
  m.role = ord == 0 ? "primary" : "replica";
  return m;
}

MemberView With(MemberView m, void (*edit)(MemberView&)) {
  edit(m);
  return m;
}

// The leader is mysql-0 with gtid 0-100-10. `sync`: nullptr, the key is absent.
SyncInput In(std::vector<MemberView> members, const char* sync, bool seen_acking = false,
             uint32_t expected = 3) {
  SyncInput in;
  in.self = "mysql-0";
  in.self_gtid = G("0-100-10");
  in.expected_members = expected;
  in.view.leader = LeaderView{"mysql-0", 2, 1000, 5};
  in.view.members = std::move(members);
  if (sync) {
    in.view.sync = sync;
    in.view.sync_mod_revision = 42;
  }
  in.sync_seen_acking = seen_acking;
  return in;
}

struct Case {
  const char* name;
  SyncInput in;
  const char* want_sync;
  bool want_write;
  bool want_master;
  const char* reason_part;
};

TEST(DecideSyncTest, Table) {
  const MemberView p = Member(0, "0-100-10");
  const MemberView acking1 =
      With(Member(1, "0-100-10"), [](MemberView& m) { m.semi_sync_replica = true; });
  const std::vector<Case> cases = {
      {"--replicas 1: off, nothing written", In({p}, nullptr, false, 1), "", false, false,
       "single member: writes are not replicated"},
      {"--replicas 1 after a scale-down clears the key", In({p}, "mysql-1", false, 1), "", true,
       false, "not replicated"},
      {"bootstrap, no replica yet: off (pitfall 1)", In({p}, nullptr), "", false, false,
       "no replica has caught up yet"},
      {"first designation: the lowest lag",
       In({p, Member(1, "0-100-9", 3.0), Member(2, "0-100-8", 1.0)}, nullptr), "mysql-2", true,
       true, "mysql-2 is the sync replica"},
      {"first designation: lag tie goes to the lowest ordinal",
       In({p, Member(1, "0-100-9", 1.0), Member(2, "0-100-9", 1.0)}, nullptr), "mysql-1", true,
       true, ""},
      {"first designation: none within the lag bound", In({p, Member(1, "0-100-1", 11.0)}, nullptr),
       "", false, false, "no replica has caught up"},
      {"first designation skips errant, unknown lag and not replicating",
       In({p, With(Member(1, "0-100-10"), [](MemberView& m) { m.errant_gtids = G("0-101-1"); }),
           Member(2, "0-100-10", std::nullopt),
           With(Member(3, "0-100-10"), [](MemberView& m) { m.replicating = false; }),
           Member(4, "0-100-10", 2.0)},
          nullptr),
       "mysql-4", true, true, ""},
      {"keep a healthy sync replica", In({p, acking1, Member(2, "0-100-10")}, "mysql-1", true),
       "mysql-1", false, true, "mysql-1 is the sync replica"},
      {"keep one that has not started acking yet",
       In({p, Member(1, "0-100-10"), Member(2, "0-100-10")}, "mysql-1", false), "mysql-1", false,
       true, ""},
      {"gone: the best replica holding everything takes over",
       In({p, Member(2, "0-100-9", 0.0), Member(3, "0-100-10", 2.0)}, "mysql-1"), "mysql-3", true,
       true, "mysql-3 is the sync replica"},
      {"gone: received but unapplied counts (gtid_io)",
       In({p, With(Member(2, "0-100-8", 1.0), [](MemberView& m) { m.gtid_io = G("0-100-10"); })},
          "mysql-1"),
       "mysql-2", true, true, ""},
      {"gone, and nobody holds everything: writes wait", In({p, Member(2, "0-100-9")}, "mysql-1"),
       "", true, true, "writes wait: mysql-1 is gone; no other replica holds everything"},
      {"every replica gone: writes wait", In({p}, "mysql-1"), "", true, true,
       "writes wait: mysql-1 is gone"},
      {"not replicating but still acking: cleared first, no one designated yet",
       In({p, With(acking1, [](MemberView& m) { m.replicating = false; }), Member(2, "0-100-10")},
          "mysql-1", true),
       "", true, true, "mysql-1 must stop acking before another replica is designated"},
      {"lagging and still acking: cleared first",
       In({p, With(acking1, [](MemberView& m) { m.lag_seconds = 20.0; }), Member(2, "0-100-10")},
          "mysql-1", true),
       "", true, true, "mysql-1 lags 20 s"},
      {"not replicating, still acking, nobody else healthy: kept",
       In({p, With(acking1, [](MemberView& m) { m.replicating = false; }),
           With(Member(2, "0-100-10"), [](MemberView& m) { m.replicating = false; })},
          "mysql-1", true),
       "mysql-1", false, true, "no other replica to take over"},
      {"stopped acking after a restart: replaced by one that holds everything",
       In({p, Member(1, "0-100-7"), Member(2, "0-100-10")}, "mysql-1", true), "mysql-2", true, true,
       ""},
      {"stopped acking, nobody else caught up: writes wait, key cleared",
       In({p, Member(1, "0-100-7"), Member(2, "0-100-9")}, "mysql-1", true), "", true, true,
       "mysql-1 stopped acking"},
      {"restarted and caught up again: it may keep the role",
       In({p, Member(1, "0-100-10"), Member(2, "0-100-9")}, "mysql-1", true), "mysql-1", false,
       true, ""},
      {"cleared key: designate once the old one stopped acking",
       In({p, Member(1, "0-100-10"), Member(2, "0-100-10", 1.0)}, ""), "mysql-1", true, true, ""},
      {"cleared key: the old one still acks, nobody is designated",
       In({p, acking1, Member(2, "0-100-10")}, ""), "", false, true,
       "writes wait: mysql-1 is not the sync replica; mysql-1 must stop acking"},
      {"cleared key: nobody holds everything yet, writes wait",
       In({p, Member(1, "0-100-9"), Member(2, "0-100-8")}, ""), "", false, true,
       "writes wait: no replica holds everything"},
      {"new leader (the key names it): designate another, arming at once",
       In({p, Member(1, "0-100-10")}, "mysql-0"), "mysql-1", true, true, ""},
      {"new leader alone: the key is cleared and writes wait", In({p}, "mysql-0"), "", true, true,
       "writes wait"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const SyncDecision d = DecideSync(c.in);
    EXPECT_EQ(d.sync, c.want_sync);
    EXPECT_EQ(d.write_key, c.want_write);
    EXPECT_EQ(d.master_enabled, c.want_master);
    EXPECT_NE(d.reason.find(c.reason_part), std::string::npos) << d.reason;
  }
}

TEST(DecideSyncTest, AReplacementAsksForAFreshGtid) {
  const SyncDecision d = DecideSync(In({Member(0, "0-100-10"), Member(2, "0-100-10")}, "mysql-1"));
  EXPECT_EQ(d.sync, "mysql-2");
  EXPECT_TRUE(d.needs_fresh_gtid);
  // The first designation does not: nothing was acknowledged semi-synchronously before it.
  EXPECT_FALSE(
      DecideSync(In({Member(0, "0-100-10"), Member(2, "0-100-10")}, nullptr)).needs_fresh_gtid);
}

ServerState Replica(ThreadState io = ThreadState::kYes, std::optional<int64_t> lag = 0) {
  ServerState s;
  s.reachable = true;
  ReplicaStatus r;
  r.source_host = "127.0.0.10";
  r.io = io;
  r.sql = ThreadState::kYes;
  r.seconds_behind = lag;
  s.replica = r;
  return s;
}

TEST(WantSemiSyncReplicaTest, Table) {
  ClusterView v;
  v.leader = LeaderView{"mysql-0", 2, 1000, 5};
  v.sync = "mysql-1";
  v.sync_mod_revision = 9;
  ClusterView other = v;
  other.sync = "mysql-2";
  ClusterView self_leads = v;
  self_leads.leader->name = "mysql-1";
  ClusterView no_leader = v;
  no_leader.leader.reset();
  const SyncPolicy policy;
  struct C {
    const char* name;
    std::optional<ClusterView> view;
    ServerState state;
    bool want;
    bool own_lease_alive = true;
  };
  ServerState acking = Replica();
  acking.semi_sync_slave_enabled = true;
  const std::vector<C> cases = {
      {"named, caught up", v, Replica(), true},
      {"named another", other, Replica(), false},
      {"the store does not answer, side off: stays off", std::nullopt, Replica(), false},
      {"the store does not answer, side on, own lease alive: stays on", std::nullopt, acking, true},
      {"the store does not answer past the fence deadline: off", std::nullopt, acking, false,
       false},
      {"it leads (never both sides, pitfall 2)", self_leads, Replica(), false},
      {"no leader (failover under way)", no_leader, Replica(), false},
      {"IO thread connecting", v, Replica(ThreadState::kConnecting), false},
      {"lagging: it still acks what it received", v, Replica(ThreadState::kYes, 11), true},
      {"applier stopped (lag unknown): it still acks", v, Replica(ThreadState::kYes, std::nullopt),
       true},
      {"not replicating", v, ServerState{.reachable = true}, false},
  };
  for (const C& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(WantSemiSyncReplica(c.view, "mysql-1", c.state, policy, c.own_lease_alive), c.want);
  }
}

TEST(HoldWritesUntilArmedTest, Table) {
  struct C {
    const char* name;
    bool master_wanted, armed_before;
    uint32_t expected_members;
    bool hold;
  };
  const std::vector<C> cases = {
      // The CI failure on ed22196: a new 3-member cluster acknowledged writes before its first
      // sync replica acked, then lost them in a failover.
      {"new cluster, no replica caught up yet", false, false, 3, true},
      {"new cluster, first sync replica named, not acking yet", true, false, 3, true},
      {"new two-member cluster", false, false, 2, true},
      {"armed before: a promotion or a restart", true, true, 3, true},
      {"armed before, master side not wanted (no candidate)", false, true, 3, true},
      {"one member expected: nothing to wait for", false, false, 1, false},
      {"one member expected, never armed, another registered", true, false, 1, false},
      {"one member expected, armed before (scaled down)", true, true, 1, true},
      {"one member expected, armed before, master side not wanted", false, true, 1, false},
  };
  for (const C& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(HoldWritesUntilArmed(c.master_wanted, c.armed_before, c.expected_members), c.hold);
  }
}

TEST(WritesWaitReasonTest, Table) {
  ServerState s;
  s.reachable = true;
  EXPECT_EQ(WritesWaitReason(s), "");  // semi-sync off
  s.semi_sync_master_enabled = true;
  EXPECT_EQ(WritesWaitReason(s), "writes wait: no semi-sync replica acknowledges");
  s.semi_sync_master_clients = 1;
  EXPECT_EQ(WritesWaitReason(s), "");
  s.semi_sync_master_wait_sessions = 3;
  EXPECT_EQ(WritesWaitReason(s), "writes wait: 3 commit(s) wait for a semi-sync ack");
}

// A writable leader with its master side on, one semi-sync client, and 1 commit waiting
// since the previous tick with 40 commits acknowledged then and now: stuck.
AckNudgeInput StuckLeader() {
  AckNudgeInput in;
  in.state.reachable = true;
  in.state.read_only = false;
  in.state.semi_sync_master_enabled = true;
  in.state.semi_sync_master_clients = 1;
  in.state.semi_sync_master_wait_sessions = 1;
  in.state.semi_sync_master_acked_commits = 40;
  in.named_acking = true;
  in.designated_since_waits_began = true;
  in.acked_when_waiting_before = 40;
  in.now_ms = 100000;
  return in;
}

TEST(ShouldNudgeAckTest, Table) {
  auto stuck = [] { return StuckLeader(); };
  struct C {
    const char* name;
    void (*edit)(AckNudgeInput&);
    bool want;
  };
  const std::vector<C> cases = {
      {"stuck: nudge", [](AckNudgeInput&) {}, true},
      {"acks flow (a commit was acknowledged since): slow, not stuck",
       [](AckNudgeInput& in) { in.state.semi_sync_master_acked_commits = 41; }, false},
      {"no commit waited on the previous tick: give the ack a tick",
       [](AckNudgeInput& in) { in.acked_when_waiting_before.reset(); }, false},
      {"nothing waits", [](AckNudgeInput& in) { in.state.semi_sync_master_wait_sessions = 0; },
       false},
      {"no semi-sync client to ack the nudge: it would only wait too",
       [](AckNudgeInput& in) { in.state.semi_sync_master_clients = 0; }, false},
      {"the old sync replica still connected too (frozen): a nudge would block writes",
       [](AckNudgeInput& in) { in.state.semi_sync_master_clients = 2; }, false},
      {"the same replica named since the waiting began: it received them with semi-sync on",
       [](AckNudgeInput& in) { in.designated_since_waits_began = false; }, false},
      // The netns nemesis (seed 23): the named replica's agent lost its lease in a partition,
      // turned its slave side off and on, and received a commit in between; it waited for good.
      {"the same replica named throughout, but no ack for 10 s: stuck all the same",
       [](AckNudgeInput& in) {
         in.designated_since_waits_began = false;
         in.waited_ms = 10000;
       },
       true},
      {"the same replica named throughout, no ack for 9 s: not yet",
       [](AckNudgeInput& in) {
         in.designated_since_waits_began = false;
         in.waited_ms = 9000;
       },
       false},
      {"the named replica's record does not say it acks",
       [](AckNudgeInput& in) { in.named_acking = false; }, false},
      {"read-only (fenced, or not yet writable): never write",
       [](AckNudgeInput& in) { in.state.read_only = true; }, false},
      {"master side off: nothing can wait",
       [](AckNudgeInput& in) { in.state.semi_sync_master_enabled = false; }, false},
      {"server unreachable", [](AckNudgeInput& in) { in.state.reachable = false; }, false},
      {"nudged 1 s ago: don't pile nudges up",
       [](AckNudgeInput& in) { in.last_nudge_ms = in.now_ms - 1000; }, false},
      {"nudged 3 s ago: again", [](AckNudgeInput& in) { in.last_nudge_ms = in.now_ms - 3000; },
       true},
  };
  for (const C& c : cases) {
    SCOPED_TRACE(c.name);
    AckNudgeInput in = stuck();
    c.edit(in);
    EXPECT_EQ(ShouldNudgeAck(in), c.want);
  }
}

TEST(ShouldReleaseStuckCommitsTest, Table) {
  // The nudge's stuck leader at 0-100-50 with 2 commits waiting; the named replica received
  // all of it, a nudge went out 2 s ago, and still no ack: the group commit holds the binlog.
  auto stuck = [] {
    StuckCommitsInput in;
    in.nudge = StuckLeader();
    in.nudge.state.semi_sync_master_wait_sessions = 2;
    in.nudge.state.gtid_binlog = *GtidList::Parse("0-100-50");
    in.nudge.last_nudge_ms = 98000;
    in.nudged_since_waits_began = true;
    in.named_received = *GtidList::Parse("0-100-50");
    return in;
  };
  struct C {
    const char* name;
    void (*edit)(StuckCommitsInput&);
    bool want;
  };
  const std::vector<C> cases = {
      {"holds everything, acks nothing, the nudge did not help: release", [](auto&) {}, true},
      {"the named replica lacks the last commit: its ack may still come",
       [](auto& in) { in.named_received = *GtidList::Parse("0-100-49"); }, false},
      {"its record shows no position", [](auto& in) { in.named_received = GtidList(); }, false},
      {"an ack came since the last tick: slow, not stuck",
       [](auto& in) { in.nudge.state.semi_sync_master_acked_commits = 41; }, false},
      {"no nudge tried since the waiting began: the gentler way first",
       [](auto& in) { in.nudged_since_waits_began = false; }, false},
      {"nudged 1 s ago: give it its chance",
       [](auto& in) { in.nudge.last_nudge_ms = in.nudge.now_ms - 1000; }, false},
      {"the same replica was named throughout: it received them with semi-sync on",
       [](auto& in) { in.nudge.designated_since_waits_began = false; }, false},
      {"the same replica named throughout, but no ack for 10 s while it holds them all",
       [](auto& in) {
         in.nudge.designated_since_waits_began = false;
         in.nudge.waited_ms = 10000;
       },
       true},
      // The netns nemesis (seed 23): the old sync replica's volume filled; its connection
      // stayed open for 60 s, so no nudge could run, and writes stopped that long.
      {"two semi-sync clients (the old sync replica full or frozen), waited 10 s: release",
       [](auto& in) {
         in.nudge.state.semi_sync_master_clients = 2;
         in.nudged_since_waits_began = false;
         in.nudge.last_nudge_ms.reset();
         in.nudge.waited_ms = 10000;
       },
       true},
      {"two semi-sync clients, waited 9 s: not yet",
       [](auto& in) {
         in.nudge.state.semi_sync_master_clients = 2;
         in.nudged_since_waits_began = false;
         in.nudge.waited_ms = 9000;
       },
       false},
      {"two semi-sync clients, waited 10 s, but the named replica lacks the last commit",
       [](auto& in) {
         in.nudge.state.semi_sync_master_clients = 2;
         in.nudge.waited_ms = 10000;
         in.named_received = *GtidList::Parse("0-100-49");
       },
       false},
      {"two semi-sync clients, waited 10 s, but an ack came since the last tick",
       [](auto& in) {
         in.nudge.state.semi_sync_master_clients = 2;
         in.nudge.waited_ms = 10000;
         in.nudge.state.semi_sync_master_acked_commits = 41;
       },
       false},
      {"no semi-sync client connected: nobody holds them as a replica does",
       [](auto& in) { in.nudge.state.semi_sync_master_clients = 0; }, false},
      {"the named replica does not ack", [](auto& in) { in.nudge.named_acking = false; }, false},
      {"nothing waits", [](auto& in) { in.nudge.state.semi_sync_master_wait_sessions = 0; }, false},
      {"read-only or near its fence deadline: it may lead no more",
       [](auto& in) { in.nudge.state.read_only = true; }, false},
      {"server unreachable", [](auto& in) { in.nudge.state.reachable = false; }, false},
  };
  for (const C& c : cases) {
    SCOPED_TRACE(c.name);
    StuckCommitsInput in = stuck();
    c.edit(in);
    EXPECT_EQ(ShouldReleaseStuckCommits(in), c.want);
  }
}

}  // namespace
}  // namespace mysqlset
