#include "local/member_lifecycle.h"

#include <gtest/gtest.h>

#include <functional>

#include "local/cluster_report.h"

namespace mysqlset::local {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Kind = MemberEffect::Kind;
using Level = MemberEffect::Level;
using P = MemberProcess;

const SteadyTime kNow = SteadyTime{} + seconds(1000);
const LifecyclePolicy kPolicy{.restart_backoff = {milliseconds(1000), milliseconds(30000), 2.0},
                              .backoff_reset = seconds(60),
                              .crashloop_threshold = 3,
                              .spawn_retry = seconds(5)};

MemberRecord Stopped() { return {.ordinal = 1, .pod = "m-1"}; }
MemberRecord With(MemberRecord m, const std::function<void(MemberRecord&)>& edit) {
  edit(m);
  return m;
}
MemberRecord InPhase(MemberPhase phase, pid_t prep_pid = 0) {
  return With(Stopped(), [&](MemberRecord& m) {
    m.phase = phase;
    m.prep.pid = prep_pid;
  });
}
// Ready, mariadbd pid 11 and agent pid 12, both started 10 s ago.
MemberRecord Serving() {
  return With(InPhase(MemberPhase::kServing), [](MemberRecord& m) {
    m.ready = true;
    m.mariadbd.pid = 11;
    m.agent.pid = 12;
    m.mariadbd.started = m.agent.started = kNow - seconds(10);
    m.haproxy_read_state = "UP";
  });
}

MemberEffect Spawn(P p) { return {.kind = Kind::kSpawn, .process = p}; }
MemberEffect Stop(std::vector<pid_t> pids, std::string what) {
  return {.kind = Kind::kStop, .pids = std::move(pids), .what = std::move(what)};
}
MemberEffect Log(Level level, std::string message) {
  return {.kind = Kind::kLog, .level = level, .message = std::move(message)};
}
const MemberEffect kRemoveStaging{.kind = Kind::kRemoveStaging};

struct Case {
  const char* name;
  MemberRecord before;
  MemberEvent event;
  MemberRecord want;
  std::vector<MemberEffect> effects;
};

TEST(ApplyEvent, Table) {
  const std::string crashloop =
      CrashLoopMessage("m-1", "agent", 3, "exit 2", "bad flag", "/l/agent.log");
  const std::vector<Case> cases = {
      // Starting: init, then clone, then mariadbd and agent.
      {"start runs init",
       Stopped(),
       event::Start{},
       InPhase(MemberPhase::kInit),
       {Spawn(P::kInit)}},
      {"a retry keeps the last error and failure count until it succeeds",
       With(InPhase(MemberPhase::kFailed), [](auto& m) { m.error = "old", m.prep_failures = 2; }),
       event::Start{},
       With(InPhase(MemberPhase::kInit), [](auto& m) { m.error = "old", m.prep_failures = 2; }),
       {Spawn(P::kInit)}},
      {"dirs not made: failed, retried after the backoff",
       Stopped(),
       event::StartFailed{"mkdir /d: Permission denied"},
       With(InPhase(MemberPhase::kFailed),
            [](auto& m) {
              m.retry_at = kNow + seconds(1);
              m.prep_failures = 1;
              m.error = "m-1: mkdir /d: Permission denied";
            }),
       {Log(Level::kError, "m-1: mkdir /d: Permission denied")}},
      {"init started",
       InPhase(MemberPhase::kInit),
       event::Spawned{P::kInit, 21},
       With(InPhase(MemberPhase::kInit, 21), [](auto& m) { m.prep.started = kNow; }),
       {}},
      {"init could not be started: failed, retried after the backoff",
       InPhase(MemberPhase::kInit),
       event::Spawned{P::kInit, 0},
       With(InPhase(MemberPhase::kFailed),
            [](auto& m) {
              m.prep.started = kNow;
              m.retry_at = kNow + seconds(1);
              m.prep_failures = 1;
            }),
       {}},
      {"clone could not be started: likewise",
       InPhase(MemberPhase::kClone),
       event::Spawned{P::kClone, 0},
       With(InPhase(MemberPhase::kFailed),
            [](auto& m) {
              m.prep.started = kNow;
              m.retry_at = kNow + seconds(1);
              m.prep_failures = 1;
            }),
       {}},
      {"mariadbd could not be started: tried again in 5 s",
       With(Serving(), [](auto& m) { m.mariadbd.pid = 0, m.ready = false; }),
       event::Spawned{P::kMariadbd, 0},
       With(Serving(),
            [](auto& m) {
              m.mariadbd.pid = 0, m.ready = false;
              m.mariadbd.started = kNow;
              m.mariadbd.restart_at = kNow + seconds(5);
            }),
       {}},
      {"init done: clone",
       InPhase(MemberPhase::kInit, 21),
       event::Exited{P::kInit, true, "exit 0", "", "/l/init.log"},
       With(InPhase(MemberPhase::kClone), [](auto& m) { m.prep.last_exit = "exit 0"; }),
       {Spawn(P::kClone)}},
      {"clone done: mariadbd and agent, with every count reset",
       With(InPhase(MemberPhase::kClone, 22),
            [](auto& m) {
              m.prep_failures = 2;
              m.mariadbd.restarts = m.agent.restarts = 4;
              m.mariadbd.exits_since_ready = m.agent.exits_since_ready = 5;
            }),
       event::Exited{P::kClone, true, "exit 0", "", "/l/clone.log"},
       With(InPhase(MemberPhase::kServing), [](auto& m) { m.prep.last_exit = "exit 0"; }),
       {Log(Level::kInfo, "m-1: data ready; starting mariadbd and agent"), Spawn(P::kMariadbd),
        Spawn(P::kAgent)}},
      // Failures of init and clone: failed, with the reason from the log; retried later.
      {"clone failed: the reason from its log, retry in 1 s",
       InPhase(MemberPhase::kClone, 22),
       event::Exited{P::kClone, false, "exit 1", "no donor answered", "/l/clone.log"},
       With(InPhase(MemberPhase::kFailed),
            [](auto& m) {
              m.prep.last_exit = "exit 1";
              m.retry_at = kNow + seconds(1);
              m.prep_failures = 1;
              m.error = "m-1: clone failed (exit 1): no donor answered; see /l/clone.log";
            }),
       {Log(Level::kError, "m-1: clone failed (exit 1): no donor answered; see /l/clone.log")}},
      {"third clone failure: retry in 4 s",
       With(InPhase(MemberPhase::kClone, 22), [](auto& m) { m.prep_failures = 2; }),
       event::Exited{P::kClone, false, "exit 1", "", "/l/clone.log"},
       With(InPhase(MemberPhase::kFailed),
            [](auto& m) {
              m.prep.last_exit = "exit 1";
              m.retry_at = kNow + seconds(4);
              m.prep_failures = 3;
              m.error = "m-1: clone failed (exit 1); see /l/clone.log";
            }),
       {Log(Level::kError, "m-1: clone failed (exit 1); see /l/clone.log")}},
      {"init killed, nothing in its log",
       InPhase(MemberPhase::kInit, 21),
       event::Exited{P::kInit, false, "signal 9", "", "/l/init.log"},
       With(InPhase(MemberPhase::kFailed),
            [](auto& m) {
              m.prep.last_exit = "signal 9";
              m.retry_at = kNow + seconds(1);
              m.prep_failures = 1;
              m.error = "m-1: init failed (signal 9); see /l/init.log";
            }),
       {Log(Level::kError, "m-1: init failed (signal 9); see /l/init.log")}},
      // Crashes of mariadbd and the agent: restarted in place with backoff.
      {"mariadbd crashed: not ready, restart in 1 s",
       Serving(),
       event::Exited{P::kMariadbd, false, "signal 11", "", "/l/mariadbd.log"},
       With(Serving(),
            [](auto& m) {
              m.ready = false;
              m.mariadbd = {.started = kNow - seconds(10),
                            .restart_at = kNow + seconds(1),
                            .restarts = 1,
                            .exits_since_ready = 1,
                            .last_exit = "signal 11"};
            }),
       {Log(Level::kWarn, "m-1: mariadbd exited (signal 11); restart #1 in 1000 ms")}},
      {"crashed again soon: the backoff doubles",
       With(Serving(), [](auto& m) { m.mariadbd.restarts = 1, m.ready = false; }),
       event::Exited{P::kMariadbd, false, "signal 11", "", "/l/mariadbd.log"},
       With(Serving(),
            [](auto& m) {
              m.ready = false;
              m.mariadbd = {.started = kNow - seconds(10),
                            .restart_at = kNow + seconds(2),
                            .restarts = 2,
                            .exits_since_ready = 1,
                            .last_exit = "signal 11"};
            }),
       {Log(Level::kWarn, "m-1: mariadbd exited (signal 11); restart #2 in 2000 ms")}},
      {"crashed after running backoff_reset: the backoff starts over",
       With(Serving(),
            [](auto& m) {
              m.mariadbd.restarts = 3;
              m.mariadbd.started = kNow - seconds(60);
            }),
       event::Exited{P::kMariadbd, false, "exit 1", "", "/l/mariadbd.log"},
       With(Serving(),
            [](auto& m) {
              m.ready = false;
              m.mariadbd = {.started = kNow - seconds(60),
                            .restart_at = kNow + seconds(1),
                            .restarts = 1,
                            .exits_since_ready = 1,
                            .last_exit = "exit 1"};
            }),
       {Log(Level::kWarn, "m-1: mariadbd exited (exit 1); restart #1 in 1000 ms")}},
      {"third exit without becoming ready: crash loop reported",
       With(Serving(),
            [](auto& m) {
              m.ready = false;
              m.agent.restarts = 2;
              m.agent.exits_since_ready = 2;
            }),
       event::Exited{P::kAgent, false, "exit 2", "bad flag", "/l/agent.log"},
       With(Serving(),
            [&](auto& m) {
              m.ready = false;
              m.agent = {.started = kNow - seconds(10),
                         .restart_at = kNow + seconds(4),
                         .restarts = 3,
                         .exits_since_ready = 3,
                         .last_exit = "exit 2"};
              m.error = crashloop;
            }),
       {Log(Level::kWarn, "m-1: agent exited (exit 2); restart #3 in 4000 ms"),
        Log(Level::kError, crashloop)}},
      // Issue 13: the agent of an errant replica asked for a re-clone.
      {"agent exits asking for a re-clone: mariadbd stops, init and clone run again",
       Serving(),
       event::Exited{P::kAgent, false, "exit 75", "", "a.log", /*reclone_requested=*/true},
       With(Serving(),
            [](auto& m) {
              m.phase = MemberPhase::kInit;
              m.ready = false;
              m.mariadbd.pid = m.agent.pid = 0;
              m.agent.last_exit = "exit 75";
            }),
       {Log(Level::kWarn,
            "m-1: its agent asked for a re-clone (see its log); stopping mariadbd, "
            "then init and clone again"),
        Stop({11}, "m-1 mariadbd"), Spawn(P::kInit)}},
      {"restart due: spawn",
       With(Serving(), [](auto& m) { m.agent.pid = 0, m.ready = false; }),
       event::Restart{P::kAgent},
       With(Serving(), [](auto& m) { m.agent.pid = 0, m.ready = false; }),
       {Spawn(P::kAgent)}},
      // Readiness.
      {"ready: clears the crash counts and the error",
       With(Serving(),
            [](auto& m) {
              m.ready = false;
              m.mariadbd.exits_since_ready = m.agent.exits_since_ready = 3;
              m.error = "m-1: mariadbd keeps exiting";
            }),
       event::Probed{true},
       Serving(),
       {Log(Level::kInfo, "m-1: ready")}},
      {"no longer ready",
       Serving(),
       event::Probed{false},
       With(Serving(), [](auto& m) { m.ready = false; }),
       {Log(Level::kWarn, "m-1: no longer ready")}},
      {"still not ready: nothing to say",
       With(Serving(), [](auto& m) { m.ready = false; }),
       event::Probed{false},
       With(Serving(), [](auto& m) { m.ready = false; }),
       {}},
      // Stopping: the agent first; the record changes once everything is stopped.
      {"stop a serving member: agent, then mariadbd",
       Serving(),
       event::Stop{},
       Serving(),
       {Log(Level::kInfo, "m-1: stopping (data is kept)"), Stop({12}, "m-1 agent"),
        Stop({11}, "m-1")}},
      {"stop a member that clones",
       InPhase(MemberPhase::kClone, 22),
       event::Stop{},
       InPhase(MemberPhase::kClone, 22),
       {Log(Level::kInfo, "m-1: stopping (data is kept)"), Stop({22}, "m-1")}},
      {"stopped while cloning: its staging dir goes",
       InPhase(MemberPhase::kClone, 22),
       event::Stopped{},
       Stopped(),
       {kRemoveStaging}},
      {"stopped while serving: everything reset, nothing removed",
       With(Serving(),
            [](auto& m) {
              m.mariadbd.restarts = 2;
              m.agent.exits_since_ready = 1;
              m.prep_failures = 1;
              m.error = "e";
            }),
       event::Stopped{},
       With(Stopped(), [](auto& m) { m.mariadbd.started = m.agent.started = kNow - seconds(10); }),
       {}},
  };
  for (const Case& c : cases) {
    const Transition t = ApplyEvent(c.before, c.event, kNow, kPolicy);
    EXPECT_EQ(t.record, c.want) << c.name;
    EXPECT_EQ(t.effects, c.effects) << c.name;
  }
}

TEST(ProcessOf, PrepIsInitOrCloneByPhase) {
  EXPECT_EQ(ProcessOf(InPhase(MemberPhase::kInit, 21), 21), P::kInit);
  EXPECT_EQ(ProcessOf(InPhase(MemberPhase::kClone, 21), 21), P::kClone);
  EXPECT_EQ(ProcessOf(Serving(), 11), P::kMariadbd);
  EXPECT_EQ(ProcessOf(Serving(), 12), P::kAgent);
  EXPECT_EQ(ProcessOf(Serving(), 13), std::nullopt);
  EXPECT_EQ(ProcessOf(Stopped(), 0), std::nullopt);  // 0 is "not running", never a match
}

TEST(ShouldProbe, OnlyServingWithBothProcesses) {
  EXPECT_TRUE(ShouldProbe(Serving()));
  EXPECT_FALSE(ShouldProbe(With(Serving(), [](auto& m) { m.agent.pid = 0; })));
  EXPECT_FALSE(ShouldProbe(With(Serving(), [](auto& m) { m.mariadbd.pid = 0; })));
  EXPECT_FALSE(ShouldProbe(InPhase(MemberPhase::kClone, 22)));
}

TEST(ViewOf, DueTimes) {
  const MemberRecord crashed = With(Serving(), [](auto& m) {
    m.ready = false;
    m.mariadbd.pid = 0;
    m.mariadbd.restart_at = kNow + seconds(1);
    m.agent.restart_at = kNow + seconds(1);  // running: never due
  });
  MemberView v = ViewOf(crashed, kNow);
  EXPECT_EQ(v.ordinal, 1u);
  EXPECT_FALSE(v.mariadbd_running);
  EXPECT_TRUE(v.agent_running);
  EXPECT_FALSE(v.mariadbd_restart_due);
  v = ViewOf(crashed, kNow + seconds(1));
  EXPECT_TRUE(v.mariadbd_restart_due);
  EXPECT_FALSE(v.agent_restart_due);
  const MemberRecord failed =
      With(InPhase(MemberPhase::kFailed), [](auto& m) { m.retry_at = kNow + seconds(2); });
  EXPECT_FALSE(ViewOf(failed, kNow).retry_due);
  EXPECT_TRUE(ViewOf(failed, kNow + seconds(2)).retry_due);
}

TEST(MariadbdStartUnfinished, Table) {
  const std::string start = "2026-12-01 14:22:05 0 [Note] Starting MariaDB 10.11.19 as process ";
  const std::string ready = "2026-12-01 14:22:06 0 [Note] mariadbd: ready for connections.\n";
  const std::string socket = "2026-12-01 14:22:06 0 [Note] Server socket created on IP\n";
  struct Case {
    const char* name;
    std::string tail;
    pid_t pid;
    bool want;
  } cases[] = {
      {"started, not ready yet", start + "6000\n" + socket, 6000, true},
      {"started and ready", start + "6000\n" + socket + ready, 6000, false},
      {"an earlier run was ready, this one is not", start + "5946\n" + ready + start + "6000\n",
       6000, true},
      {"pid 600 is not pid 6000 (whose start did not finish)", start + "6000\n", 600, false},
      {"no start line in the tail: unknown", socket + ready, 6000, false},
      {"empty log", "", 6000, false},
      {"start line without a newline yet", start + "6000", 6000, true},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(MariadbdStartUnfinished(c.tail, c.pid), c.want) << c.name;
  }
}

}  // namespace
}  // namespace mysqlset::local
