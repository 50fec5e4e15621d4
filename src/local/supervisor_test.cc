#include "local/supervisor.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <memory>
#include <set>

#include "fmt/ranges.h"
#include "testing/fake_process_table.h"
#include "testing/fakes.h"

namespace mysqlset::local {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Sent = FakeProcessTable::SignalSent;

// Agents answer /readyz with 200 when their port is in `ready_ports`; HAProxy reports
// `haproxy` as its server states; etcd answers on the client ports in `etcd_ports`.
class FakeProbe : public ClusterProbe {
 public:
  bool AgentReady(const std::string&, uint16_t port) override {
    return ready_ports.count(port) > 0;
  }
  void SaveHaproxyServerState(const std::string&, const std::string&) override {}
  std::map<std::string, std::string> HaproxyServerStates(const std::string&) override {
    return haproxy;
  }
  bool EtcdHealthy(const std::string&, uint16_t port) override {
    ++etcd_probes;
    return etcd_ports.count(port) > 0;
  }
  std::set<uint16_t> ready_ports;
  std::map<std::string, std::string> haproxy;
  std::set<uint16_t> etcd_ports = {13290};  // etcd-0 of base port 13306 answers
  int etcd_probes = 0;
};

class SupervisorTest : public ::testing::Test {
 protected:
  void Start(int replicas) {
    spec_.replicas = replicas;
    ASSERT_TRUE(fs_.WriteFileAtomic(paths_.cluster_json(), SpecToJson(spec_), 0644).ok());
    ASSERT_TRUE(fs_.MakeDirs(paths_.members_dir(), 0755).ok());
    options_.self_exe = "/bin/mysqlset";
    supervisor_ =
        std::make_unique<Supervisor>(fs_, clock_, processes_, self_, probe_, paths_, options_);
    ASSERT_TRUE(supervisor_->Start().ok());
  }
  void Scale(int replicas) {
    spec_.replicas = replicas;
    ASSERT_TRUE(fs_.WriteFileAtomic(paths_.cluster_json(), SpecToJson(spec_), 0644).ok());
    supervisor_->ReloadSpec();
  }
  void Tick() { supervisor_->RunOnce(); }
  void Wait(milliseconds d) { clock_.Advance(d); }

  static std::string Pod(uint32_t ord) { return "mysql-" + std::to_string(ord); }
  // The running child of member `ord` that runs `what` (init, clone, agent, mariadbd); 0 if
  // none.
  pid_t Running(uint32_t ord, const std::string& what) const {
    if (what == "mariadbd") {
      return processes_.Running("mariadbd --defaults-file=/c/members/" + Pod(ord) + "/");
    }
    return processes_.Running(what + " --pod-name " + Pod(ord) + " ");
  }
  pid_t Haproxy() const { return processes_.Running("haproxy -W"); }
  pid_t Etcd(int index) const {
    return processes_.Running("etcd --name etcd-" + std::to_string(index) + " ");
  }
  void SetReady(uint32_t ord, bool ready) {
    const uint16_t port = MemberAddressOf(spec_, ord).agent_port;
    if (ready) {
      probe_.ready_ports.insert(port);
      probe_.haproxy["mysql-read/" + Pod(ord)] = "UP";
    } else {
      probe_.ready_ports.erase(port);
    }
  }
  // Checks that `what` of member `ord` is started `delay` from now, not a millisecond sooner;
  // returns its pid.
  pid_t StartedAfter(milliseconds delay, uint32_t ord, const std::string& what) {
    Wait(delay - milliseconds(1));
    Tick();
    EXPECT_EQ(Running(ord, what), 0) << what << " started before " << delay.count() << " ms";
    Wait(milliseconds(1));
    Tick();
    const pid_t pid = Running(ord, what);
    EXPECT_NE(pid, 0) << what << " not started after " << delay.count() << " ms";
    return pid;
  }
  // Init and clone succeed, then the agent reports ready. REQUIRES: lower ordinals ready.
  // A one-member cluster whose mariadbd (hanging_) ignores SIGTERM, its log showing its start
  // and, if `was_ready`, "ready for connections"; then `down`. Returns how long it took.
  std::chrono::nanoseconds StopHangingMariadbd(bool was_ready) {
    Start(1);
    BringUp(0);
    hanging_ = Running(0, "mariadbd");
    std::string log = "2026-12-01 14:22:05 0 [Note] Starting MariaDB 10.11.19 as process " +
                      std::to_string(hanging_) + "\n";
    if (was_ready) log += "2026-12-01 14:22:06 0 [Note] mariadbd: ready for connections.\n";
    EXPECT_TRUE(fs_.WriteFileAtomic(processes_.Get(hanging_).log, log, 0644).ok());
    processes_.Hang(hanging_);
    const auto before = clock_.Now();
    supervisor_->StopAll();
    return clock_.Now() - before;
  }
  pid_t hanging_ = 0;
  void BringUp(uint32_t ord) {
    Tick();
    ASSERT_NE(Running(ord, "init"), 0) << Pod(ord);
    processes_.Exit(Running(ord, "init"), 0);
    Tick();
    ASSERT_NE(Running(ord, "clone"), 0) << Pod(ord);
    processes_.Exit(Running(ord, "clone"), 0);
    Tick();
    ASSERT_NE(Running(ord, "mariadbd"), 0) << Pod(ord);
    ASSERT_NE(Running(ord, "agent"), 0) << Pod(ord);
    SetReady(ord, true);
    Tick();
  }

  // One ready member of a cluster with `up --repo /srv/b --backup-schedule '* * * * *'` (and
  // whatever the caller set in spec_ first); with `wait`, a minute later, so a run started.
  void StartScheduled(bool wait) {
    spec_.archive_repo = "/srv/b";
    spec_.backup_schedule = "* * * * *";
    Start(1);
    BringUp(0);
    if (!wait) return;
    Wait(seconds(60));
    Tick();
  }

  SupervisorState State() const {
    auto text = fs_.ReadFile(paths_.state_json());
    EXPECT_TRUE(text.ok());
    auto state = formats::FromJson<SupervisorState>(text.ok() ? *text : "");
    EXPECT_TRUE(state.ok());
    return state.ok() ? *state : SupervisorState{};
  }
  SupervisedMember Member(uint32_t ord) const {
    for (const SupervisedMember& m : State().members) {
      if (m.ordinal == ord) return m;
    }
    ADD_FAILURE() << "no " << Pod(ord) << " in state.json";
    return {};
  }
  std::string Step(uint32_t ord) const {
    return std::string(formats::MemberStepName(Member(ord).step));
  }

  FakeClock clock_;
  MemFileSystem fs_;
  FakeProcessTable processes_;
  FakeSelfProcess self_{clock_};
  FakeProbe probe_;
  ClusterPaths paths_{"/c"};
  ClusterSpec spec_;
  SupervisorOptions options_;
  std::unique_ptr<Supervisor> supervisor_;
};

TEST_F(SupervisorTest, StartsMembersOneAtATimeInOrdinalOrder) {
  Start(2);
  EXPECT_EQ(self_.locked_path, "/c/supervisor.lock");
  EXPECT_TRUE(self_.catching);
  EXPECT_EQ(fs_.ReadFile(paths_.supervisor_pid()).value(), "4242\n");
  Tick();
  const pid_t init = Running(0, "init");
  ASSERT_NE(init, 0);
  EXPECT_EQ(processes_.Get(init).log, "/c/members/mysql-0/logs/init.log");
  EXPECT_TRUE(fs_.IsDirectory("/c/members/mysql-0/data"));
  EXPECT_EQ(Running(1, "init"), 0);  // waits for mysql-0 to be ready
  EXPECT_NE(Haproxy(), 0);
  EXPECT_EQ(Step(0), "init");
  EXPECT_EQ(Step(1), "stopped");

  processes_.Exit(init, 0);
  Tick();
  const pid_t clone = Running(0, "clone");
  ASSERT_NE(clone, 0);
  EXPECT_EQ(Step(0), "clone");
  processes_.Exit(clone, 0);
  Tick();
  EXPECT_EQ(Step(0), "starting");
  EXPECT_EQ(Member(0).mariadbd_pid, Running(0, "mariadbd"));
  EXPECT_EQ(Member(0).agent_pid, Running(0, "agent"));
  EXPECT_EQ(Running(1, "init"), 0);

  SetReady(0, true);
  Tick();
  EXPECT_EQ(Step(0), "ready");
  EXPECT_NE(Running(1, "init"), 0);  // the same tick starts the next member
  EXPECT_FALSE(State().converged);

  BringUp(1);
  EXPECT_EQ(Step(1), "ready");
  EXPECT_TRUE(State().converged);
  EXPECT_TRUE(processes_.signals().empty());
}

TEST_F(SupervisorTest, CrashedMariadbdRestartsWithBackoffWhichResetsAfterALongRun) {
  Start(1);
  BringUp(0);
  const pid_t first = Running(0, "mariadbd");
  processes_.Die(first, SIGSEGV);
  Tick();
  EXPECT_EQ(Running(0, "mariadbd"), 0);
  EXPECT_EQ(Step(0), "starting");
  EXPECT_EQ(Member(0).mariadbd_restarts, 1);
  EXPECT_FALSE(State().converged);
  const pid_t second = StartedAfter(milliseconds(1000), 0, "mariadbd");
  EXPECT_NE(second, first);
  Tick();  // readiness is probed before the plan restarts anything
  EXPECT_EQ(Step(0), "ready");
  EXPECT_EQ(Running(0, "agent"), Member(0).agent_pid);  // the agent kept running

  processes_.Exit(second, 1);  // again right away: the backoff doubles
  Tick();
  const pid_t third = StartedAfter(milliseconds(2000), 0, "mariadbd");
  EXPECT_EQ(Member(0).mariadbd_restarts, 2);

  Wait(seconds(60));  // a long run starts the backoff over
  processes_.Die(third, SIGKILL);
  Tick();
  EXPECT_EQ(Member(0).mariadbd_restarts, 1);
  StartedAfter(milliseconds(1000), 0, "mariadbd");
}

TEST_F(SupervisorTest, FailedCloneIsReportedAndRetriedAfterBackoff) {
  Start(1);
  Tick();
  processes_.Exit(Running(0, "init"), 0);
  Tick();
  const std::string log = "/c/members/mysql-0/logs/clone.log";
  ASSERT_TRUE(fs_.WriteFileAtomic(log, "mysqlset clone: error: no donor answered\n", 0644).ok());
  processes_.Exit(Running(0, "clone"), 1);
  Tick();
  EXPECT_EQ(Step(0), "failed");
  EXPECT_EQ(Member(0).error, "mysql-0: clone failed (exit 1): no donor answered; see " + log);
  StartedAfter(milliseconds(1000), 0, "init");  // retried from init
  EXPECT_EQ(Step(0), "init");

  processes_.Exit(Running(0, "init"), 0);
  Tick();
  processes_.Exit(Running(0, "clone"), 1);  // the second failure waits 2 s
  Tick();
  StartedAfter(milliseconds(2000), 0, "init");
}

TEST_F(SupervisorTest, AgentThatKeepsExitingIsReportedUntilReady) {
  Start(1);
  BringUp(0);
  SetReady(0, false);
  const std::string log = "/c/members/mysql-0/logs/agent.log";
  ASSERT_TRUE(fs_.WriteFileAtomic(log, "mysqlset agent: error: bad flag\n", 0644).ok());
  for (int exit = 1; exit <= 3; ++exit) {
    processes_.Exit(Running(0, "agent"), 2);
    Tick();
    if (exit < 3) {
      EXPECT_EQ(Member(0).error, "") << exit;
    }
    Wait(seconds(4));
    Tick();
  }
  EXPECT_EQ(Member(0).error, CrashLoopMessage("mysql-0", "agent", 3, "exit 2", "bad flag", log));
  EXPECT_NE(Running(0, "agent"), 0);
  SetReady(0, true);
  Tick();
  EXPECT_EQ(Member(0).error, "");
  EXPECT_EQ(Step(0), "ready");
}

TEST_F(SupervisorTest, ScaleUpStartsNewMembersAtOnce) {
  Start(1);
  BringUp(0);
  Scale(3);
  Tick();
  EXPECT_NE(Running(1, "init"), 0);
  EXPECT_NE(Running(2, "init"), 0) << "mysql-0 is ready: no waiting for mysql-1 (plan.h)";
  const pid_t haproxy = Haproxy();
  // HAProxy is reloaded in place with the new read servers.
  EXPECT_EQ(processes_.signals(), (std::vector<Sent>{{haproxy, SIGUSR2, false}}));
  BringUp(1);
  BringUp(2);
  EXPECT_TRUE(State().converged);
  EXPECT_EQ(Haproxy(), haproxy);
}

TEST_F(SupervisorTest, ScaleDownStopsHighestOrdinalFirstAgentBeforeMariadbd) {
  Start(3);
  BringUp(0);
  BringUp(1);
  BringUp(2);
  const pid_t agent1 = Running(1, "agent"), mariadbd1 = Running(1, "mariadbd");
  const pid_t agent2 = Running(2, "agent"), mariadbd2 = Running(2, "mariadbd");
  Scale(1);
  Tick();
  EXPECT_EQ(processes_.signals(), (std::vector<Sent>{{agent2, SIGTERM, true},
                                                     {mariadbd2, SIGTERM, true},
                                                     {agent1, SIGTERM, true},
                                                     {mariadbd1, SIGTERM, true},
                                                     {Haproxy(), SIGUSR2, false}}));
  EXPECT_EQ(Step(1), "stopped");
  EXPECT_EQ(Step(2), "stopped");
  EXPECT_EQ(Step(0), "ready");
  EXPECT_TRUE(State().converged);
  // Kept members stay listed, and come back when scaled up again.
  Scale(2);
  Tick();
  EXPECT_NE(Running(1, "init"), 0);
  EXPECT_EQ(Running(2, "init"), 0);
}

TEST_F(SupervisorTest, ScaleDownDuringCloneRemovesTheStagingDirOnly) {
  Start(2);
  BringUp(0);
  processes_.Exit(Running(1, "init"), 0);
  Tick();
  const pid_t clone = Running(1, "clone");
  ASSERT_NE(clone, 0);
  const std::string data = "/c/members/mysql-1/data";
  ASSERT_TRUE(fs_.MakeDirs(data + "/mysql.staging", 0755).ok());
  ASSERT_TRUE(fs_.WriteFileAtomic(data + "/mysql.staging/ibdata1", "half", 0644).ok());
  ASSERT_TRUE(fs_.WriteFileAtomic(paths_.clone_progress(Pod(1)), "{}", 0644).ok());
  ASSERT_TRUE(fs_.WriteFileAtomic(data + "/mysql/keep", "old data", 0644).ok());
  Scale(1);
  Tick();
  EXPECT_EQ(processes_.signals().front(), (Sent{clone, SIGTERM, true}));
  EXPECT_FALSE(fs_.Exists(data + "/mysql.staging"));
  EXPECT_FALSE(fs_.Exists(data + "/mysql.staging/ibdata1"));
  EXPECT_FALSE(fs_.Exists(paths_.clone_progress(Pod(1))));
  EXPECT_TRUE(fs_.Exists(data + "/mysql/keep"));
  EXPECT_EQ(Step(1), "stopped");
}

TEST_F(SupervisorTest, DownStopsHaproxyThenMembersHighestFirstThenEtcdAndKillsAfterTimeout) {
  Start(2);
  BringUp(0);
  BringUp(1);
  const pid_t haproxy = Haproxy();
  const pid_t etcd = Etcd(0);
  const pid_t agent0 = Running(0, "agent"), mariadbd0 = Running(0, "mariadbd");
  const pid_t agent1 = Running(1, "agent"), mariadbd1 = Running(1, "mariadbd");
  processes_.Hang(mariadbd1);
  const auto before = clock_.Now();
  supervisor_->StopAll();
  EXPECT_EQ(processes_.signals(), (std::vector<Sent>{{haproxy, SIGTERM, true},
                                                     {agent1, SIGTERM, true},
                                                     {mariadbd1, SIGTERM, true},
                                                     {mariadbd1, SIGKILL, true},
                                                     {agent0, SIGTERM, true},
                                                     {mariadbd0, SIGTERM, true},
                                                     {etcd, SIGTERM, true}}));
  EXPECT_GE(clock_.Now() - before, options_.stop_timeout);
  EXPECT_LT(clock_.Now() - before, options_.stop_timeout + seconds(1));
  const SupervisorState state = State();
  EXPECT_TRUE(state.stopping);
  EXPECT_FALSE(state.converged);
  EXPECT_EQ(state.haproxy_pid, 0);
  for (const SupervisedMember& m : state.members) {
    EXPECT_EQ(formats::MemberStepName(m.step), "stopped") << m.name;
    EXPECT_EQ(m.mariadbd_pid, 0) << m.name;
  }
  for (const auto& p : processes_.processes()) EXPECT_FALSE(p.running) << p.argv[0];
}

// `up --backup-schedule '* * * * *' --repo R`: the supervisor runs `mysqlset backup` of its
// own binary at each minute (the fake clock starts at 22:13:20 UTC), skips a run that would
// overlap the previous one, and counts a failure with its exit in state.json.
TEST_F(SupervisorTest, ScheduledBackupsRunAtTheirMinuteOneAtATime) {
  StartScheduled(/*wait=*/false);
  const std::string backup = "/bin/mysqlset backup --dir /c --repo /srv/b";
  EXPECT_EQ(processes_.Running(backup), 0);
  ASSERT_TRUE(State().backups);
  EXPECT_EQ(State().backups->next_run_unix, 1700000040);
  const auto elapsed = std::chrono::duration_cast<milliseconds>(clock_.Now().time_since_epoch());
  ASSERT_LT(elapsed, seconds(39));
  Wait(seconds(40) - milliseconds(1) - elapsed);
  Tick();
  EXPECT_EQ(processes_.Running(backup), 0) << "started before its minute";
  Wait(milliseconds(1));
  Tick();
  const pid_t first = processes_.Running(backup);
  ASSERT_NE(first, 0);
  EXPECT_EQ(State().backups->running_pid, first);
  // Still running at the next minute: that run is skipped, not queued.
  Wait(seconds(60));
  Tick();
  EXPECT_EQ(processes_.Running(backup), first);
  EXPECT_EQ(State().backups->skipped, 1u);
  processes_.Exit(first, 2);
  Tick();
  formats::ScheduledBackups b = *State().backups;
  EXPECT_EQ(b.running_pid, 0);
  EXPECT_EQ(b.failed, 1u);
  EXPECT_EQ(b.last_failure, "exit 2");
  EXPECT_FALSE(b.last_success_unix);
  EXPECT_EQ(processes_.Running(backup), 0);
  Wait(seconds(60));
  Tick();
  const pid_t second = processes_.Running(backup);
  ASSERT_NE(second, 0);
  processes_.Exit(second, 0);
  Tick();
  b = *State().backups;
  EXPECT_EQ(b.started, 2u);
  EXPECT_EQ(b.succeeded, 1u);
  EXPECT_TRUE(b.last_success_unix);
  EXPECT_EQ(b.log, "/c/backup-schedule.log");
}

// A run due while the only member is ready but serves no endpoint yet (a cold start waits for
// the election: ready, and no donor) waits; it starts once HAProxy has the member UP.
TEST_F(SupervisorTest, AScheduledRunWaitsForAMemberServingAnEndpoint) {
  StartScheduled(/*wait=*/false);
  probe_.haproxy.clear();  // ready, not yet behind an endpoint
  const std::string backup = "/bin/mysqlset backup --dir /c --repo /srv/b";
  Wait(seconds(60));
  Tick();
  EXPECT_EQ(processes_.Running(backup), 0) << "started on a member that serves no endpoint";
  ASSERT_TRUE(State().backups);
  EXPECT_TRUE(State().backups->waiting_since_unix);
  probe_.haproxy["mysql-primary/mysql-0"] = "UP";
  Wait(seconds(1));
  Tick();
  EXPECT_NE(processes_.Running(backup), 0);
  EXPECT_FALSE(State().backups->waiting_since_unix);
  EXPECT_EQ(State().backups->failed, 0u);
}

// `up --keep-last 2 --keep-days 7`: a successful scheduled backup is followed by the prune.
TEST_F(SupervisorTest, RetentionPrunesAfterASuccessfulScheduledBackup) {
  spec_.backup_keep_last = 2;
  spec_.backup_keep_days = 7;
  StartScheduled(/*wait=*/true);
  const pid_t backup = processes_.Running("/bin/mysqlset backup --dir /c --repo /srv/b");
  ASSERT_NE(backup, 0);
  const std::string prune =
      "/bin/mysqlset backups --repo /srv/b --keep-last 2 --keep-days 7 --prune";
  EXPECT_EQ(processes_.Running(prune), 0) << "pruned while the backup runs";
  processes_.Exit(backup, 0);
  Tick();
  Tick();
  const pid_t pruning = processes_.Running(prune);
  ASSERT_NE(pruning, 0);
  EXPECT_EQ(State().backups->pruning_pid, pruning);
  processes_.Exit(pruning, 0);
  Tick();
  EXPECT_EQ(State().backups->prunes_succeeded, 1u);
  EXPECT_EQ(State().backups->pruning_pid, 0);
}

// After a failover to mysql-1, `down` stops the replica mysql-0 first, while its primary
// still serves (so it writes its drain record), and the primary behind the write endpoint last.
TEST_F(SupervisorTest, DownStopsThePrimaryLast) {
  Start(3);
  BringUp(0);
  BringUp(1);
  BringUp(2);
  probe_.haproxy["mysql-primary/" + Pod(1)] = "UP";
  Tick();  // reads HAProxy's states
  std::vector<pid_t> agents;
  for (uint32_t ord : {2u, 0u, 1u}) agents.push_back(Running(ord, "agent"));
  supervisor_->StopAll();
  std::vector<pid_t> stopped_agents;
  for (const Sent& s : processes_.signals()) {
    if (std::find(agents.begin(), agents.end(), s.pid) != agents.end()) {
      stopped_agents.push_back(s.pid);
    }
  }
  EXPECT_EQ(stopped_agents, agents) << "mysql-2, mysql-0, then the primary mysql-1";
}

// A mariadbd that got SIGTERM before it was ready for connections hangs (MariaDB 10.11):
// SIGKILL after kStartStopGrace, not after the whole stop timeout. One that was ready and is
// slow to stop (a clean shutdown flushing) keeps the whole timeout.
TEST_F(SupervisorTest, AMariadbdStoppedDuringItsStartUpIsKilledAfterTheGrace) {
  const auto took = StopHangingMariadbd(/*was_ready=*/false);
  const auto& sent = processes_.signals();
  EXPECT_NE(std::find(sent.begin(), sent.end(), Sent{hanging_, SIGKILL, true}), sent.end());
  EXPECT_GE(took, Supervisor::kStartStopGrace);
  EXPECT_LT(took, Supervisor::kStartStopGrace + seconds(1));
}

TEST_F(SupervisorTest, AMariadbdThatWasReadyKeepsTheWholeStopTimeout) {
  EXPECT_GE(StopHangingMariadbd(/*was_ready=*/true), options_.stop_timeout);
}

// `down` stops a running scheduled backup first (a backup stopped midway is never listed).
TEST_F(SupervisorTest, DownStopsARunningScheduledBackupFirst) {
  spec_.backup_verify_schedule = "* * * * *";
  StartScheduled(/*wait=*/true);
  const pid_t backup = processes_.Running("/bin/mysqlset backup --dir /c --repo /srv/b --verify");
  ASSERT_NE(backup, 0);
  const pid_t haproxy = Haproxy();
  supervisor_->StopAll();
  ASSERT_GE(processes_.signals().size(), 2u);
  EXPECT_EQ(processes_.signals()[0], (Sent{backup, SIGTERM, true}));
  EXPECT_EQ(processes_.signals()[1], (Sent{haproxy, SIGTERM, true}));
  EXPECT_EQ(State().backups->running_pid, 0);
}

TEST_F(SupervisorTest, StateKeepsItsHeartbeatWhileAMemberTakesLongToStop) {
  Start(1);
  BringUp(0);
  processes_.Hang(Running(0, "mariadbd"));
  const size_t writes = fs_.writes();
  supervisor_->StopAll();
  // About one write a second over the 60 s before SIGKILL.
  EXPECT_GE(fs_.writes() - writes, 55u);
  EXPECT_EQ(State().heartbeat_ms, clock_.UnixMillis());
}

TEST_F(SupervisorTest, CrashedHaproxyRestartsAfterBackoff) {
  Start(1);
  BringUp(0);
  const pid_t haproxy = Haproxy();
  processes_.Die(haproxy, SIGABRT);
  Tick();
  EXPECT_EQ(Haproxy(), 0);
  EXPECT_EQ(State().haproxy_error, "haproxy exited (signal 6); see /c/haproxy.log");
  EXPECT_FALSE(State().converged);
  Wait(milliseconds(1000));
  Tick();
  EXPECT_NE(Haproxy(), 0);
  EXPECT_EQ(State().haproxy_error, "");
  EXPECT_TRUE(State().converged);
}

// --- etcd, the coordination store ------------------------------------------------------

TEST_F(SupervisorTest, EtcdStartsFirstAndNoMemberStartsBeforeItAnswers) {
  probe_.etcd_ports.clear();
  Start(2);
  Tick();
  const pid_t etcd = Etcd(0);
  ASSERT_NE(etcd, 0);
  const auto& argv = processes_.Get(etcd).argv;
  EXPECT_EQ(argv[0], "etcd");
  EXPECT_NE(std::find(argv.begin(), argv.end(), "/c/etcd/0"), argv.end());
  EXPECT_EQ(Running(0, "init"), 0) << "no member before etcd answers";
  Wait(milliseconds(250));
  Tick();
  EXPECT_EQ(Running(0, "init"), 0);
  EXPECT_FALSE(State().converged);
  probe_.etcd_ports = {13290};
  Tick();
  EXPECT_NE(Running(0, "init"), 0);
  // It answered once: later ticks do not ask again (the agents use it from now on).
  const int probes = probe_.etcd_probes;
  Tick();
  EXPECT_EQ(probe_.etcd_probes, probes);
  EXPECT_EQ(processes_.processes().front().argv[0], "etcd");
}

TEST_F(SupervisorTest, CrashedEtcdRestartsWithBackoffAndStateShowsIt) {
  Start(1);
  BringUp(0);
  const pid_t etcd = Etcd(0);
  processes_.Die(etcd, SIGKILL);
  Tick();
  EXPECT_EQ(Etcd(0), 0);
  ASSERT_EQ(State().etcd.size(), 1u);
  EXPECT_EQ(State().etcd[0].pid, 0);
  EXPECT_EQ(State().etcd[0].last_exit, "signal 9");
  Wait(milliseconds(999));
  Tick();
  EXPECT_EQ(Etcd(0), 0) << "restarted before its backoff";
  Wait(milliseconds(1));
  Tick();
  const pid_t again = Etcd(0);
  EXPECT_NE(again, 0);
  EXPECT_NE(again, etcd);
  EXPECT_EQ(State().etcd[0].pid, again);
  EXPECT_EQ(State().etcd[0].restarts, 1);
  // The second crash in a row waits twice as long.
  processes_.Exit(again, 1);
  Tick();
  Wait(milliseconds(1999));
  Tick();
  EXPECT_EQ(Etcd(0), 0);
  Wait(milliseconds(1));
  Tick();
  EXPECT_NE(Etcd(0), 0);
  EXPECT_NE(Running(0, "mariadbd"), 0) << "members keep running meanwhile";
}

TEST_F(SupervisorTest, ThreeEtcdMembersEachWithItsPortsAndOneToken) {
  spec_.etcd_members = 3;
  spec_.etcd_token = "mysqlset-abc";
  Start(1);
  Tick();
  const SupervisorState state = State();
  ASSERT_EQ(state.etcd.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    const pid_t pid = Etcd(i);
    ASSERT_NE(pid, 0);
    const std::string cmd = fmt::format("{}", fmt::join(processes_.Get(pid).argv, " "));
    EXPECT_NE(cmd.find(fmt::format("--listen-client-urls http://127.0.0.1:{} ", 13290 + 2 * i)),
              std::string::npos)
        << cmd;
    EXPECT_NE(cmd.find("--initial-cluster-token mysqlset-abc"), std::string::npos) << cmd;
    EXPECT_EQ(state.etcd[i].client_url, fmt::format("http://127.0.0.1:{}", 13290 + 2 * i));
    EXPECT_EQ(state.etcd[i].pid, pid);
  }
}

TEST_F(SupervisorTest, AgentsAndClonesGetTheStoreTheClusterAndItsSize) {
  spec_.etcd_members = 3;
  Start(2);
  BringUp(0);
  Tick();
  ASSERT_NE(Running(1, "init"), 0);
  processes_.Exit(Running(1, "init"), 0);
  Tick();
  const pid_t clone = Running(1, "clone");
  ASSERT_NE(clone, 0);
  for (const pid_t pid : {Running(0, "agent"), clone}) {
    const std::string cmd = fmt::format("{}", fmt::join(processes_.Get(pid).argv, " "));
    EXPECT_NE(cmd.find(" --etcd http://127.0.0.1:13290,http://127.0.0.1:13292,"
                       "http://127.0.0.1:13294 --cluster mysql --members 2"),
              std::string::npos)
        << cmd;
  }
}

// The primary is a role: a member counts as routed when HAProxy has it UP behind the
// endpoint of its role, the write endpoint for the primary.
TEST_F(SupervisorTest, ThePrimaryIsRoutedThroughTheWriteEndpoint) {
  Start(2);
  BringUp(0);
  BringUp(1);
  ASSERT_TRUE(State().converged);
  probe_.haproxy["mysql-read/" + Pod(1)] = "DOWN";
  probe_.haproxy["mysql-primary/" + Pod(1)] = "UP";
  Tick();
  EXPECT_TRUE(State().converged);
  EXPECT_EQ(Member(1).write_endpoint, "UP");
  probe_.haproxy["mysql-primary/" + Pod(1)] = "DOWN";
  Tick();
  EXPECT_FALSE(State().converged) << "mysql-1 serves no endpoint";
}

TEST_F(SupervisorTest, RunReloadsOnSighupStopsOnSigtermAndRemovesThePidFile) {
  Start(1);
  spec_.replicas = 2;
  ASSERT_TRUE(fs_.WriteFileAtomic(paths_.cluster_json(), SpecToJson(spec_), 0644).ok());
  self_.signals = {{SIGCHLD}, {SIGHUP}, {SIGTERM}};
  EXPECT_EQ(supervisor_->Run(), 0);
  EXPECT_EQ(self_.waits, 3);
  const SupervisorState state = State();
  EXPECT_EQ(state.spec.replicas, 2);
  EXPECT_TRUE(state.stopping);
  EXPECT_FALSE(fs_.Exists(paths_.supervisor_pid()));
  for (const auto& p : processes_.processes()) EXPECT_FALSE(p.running) << p.argv[0];
}

TEST_F(SupervisorTest, SecondSupervisorIsRefused) {
  self_.lock_held_elsewhere = true;
  ASSERT_TRUE(fs_.WriteFileAtomic(paths_.supervisor_pid(), "99\n", 0644).ok());
  ASSERT_TRUE(fs_.WriteFileAtomic(paths_.cluster_json(), SpecToJson(spec_), 0644).ok());
  Supervisor supervisor(fs_, clock_, processes_, self_, probe_, paths_, options_);
  const Status st = supervisor.Start();
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(st.message(), "another supervisor (pid 99) already runs on /c");
  EXPECT_EQ(fs_.ReadFile(paths_.supervisor_pid()).value(), "99\n");
}

TEST_F(SupervisorTest, MariadbdRunsAsRootOnlyWhenTheSupervisorDoes) {
  self_.root = true;
  Start(1);
  BringUp(0);
  const auto& argv = processes_.Get(Running(0, "mariadbd")).argv;
  EXPECT_EQ(argv,
            (std::vector<std::string>{"mariadbd", "--defaults-file=/c/members/mysql-0/conf/my.cnf",
                                      "--user=root"}));
}

}  // namespace
}  // namespace mysqlset::local
