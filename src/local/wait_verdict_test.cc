#include "local/wait_verdict.h"

#include <gtest/gtest.h>

namespace mysqlset::local {
namespace {

constexpr int64_t kNow = 1'800'000'000'000;  // ms

TEST(JudgeHeartbeat, StaleAfterAFewSecondsInEitherDirection) {
  struct Case {
    const char* name;
    int64_t heartbeat_ms;
    bool responding;
    std::optional<int64_t> age_s;
  };
  const Case cases[] = {
      {"just written", kNow, true, 0},
      {"a tick ago", kNow - 250, true, 0},
      {"late but within the limit", kNow - 5000, true, 5},
      {"just past the limit", kNow - 5001, false, 5},
      {"SIGSTOPped 12 s ago", kNow - 12'400, false, 12},
      {"slightly ahead (clock slewed)", kNow + 800, true, 0},
      {"far in the future (clock set back)", kNow + 60'000, false, -60},
      {"none recorded", 0, false, std::nullopt},
  };
  for (const auto& c : cases) {
    const Liveness l = JudgeHeartbeat(c.heartbeat_ms, kNow);
    EXPECT_EQ(l.responding, c.responding) << c.name;
    EXPECT_EQ(l.age_s, c.age_s) << c.name;
  }
}

TEST(NotRespondingMessage, SaysWhoAndHowLongAgo) {
  EXPECT_EQ(NotRespondingMessage(42, JudgeHeartbeat(kNow - 12'000, kNow)),
            "supervisor pid 42 is not responding (last heartbeat 12 s ago)");
  EXPECT_EQ(NotRespondingMessage(42, JudgeHeartbeat(0, kNow)),
            "supervisor pid 42 is not responding (no heartbeat)");
  EXPECT_NE(NotRespondingMessage(42, JudgeHeartbeat(kNow + 60'000, kNow)).find("in the future"),
            std::string::npos);
}

// A state as the supervisor (pid 7) writes it: `replicas` members, all ready and converged,
// heartbeat and observation at `at`.
SupervisorState Converged(int replicas, int64_t at) {
  SupervisorState s;
  s.pid = 7;
  s.spec.replicas = replicas;
  s.converged = true;
  s.heartbeat_ms = at;
  s.observed_ms = at;
  for (int i = 0; i < replicas; ++i) {
    SupervisedMember m;
    m.name = "mysql-" + std::to_string(i);
    m.ordinal = static_cast<uint32_t>(i);
    m.step = MemberStep::kReady;
    m.ready = true;
    s.members.push_back(m);
  }
  return s;
}

TEST(DecideWait, NeverReadyFromAStaleOrEarlierState) {
  const int64_t since = kNow - 2000;  // the command started waiting 2 s ago
  auto failing = Converged(3, kNow);
  failing.converged = false;
  failing.members[1].ready = false;
  failing.members[1].step = MemberStep::kStarting;
  failing.members[1].error =
      "mysql-1: mariadbd keeps exiting (3 restarts, last exit 1); see /d/mariadbd.log";
  auto other_pid = Converged(3, kNow);
  other_pid.pid = 99;
  auto not_converged = Converged(3, kNow);
  not_converged.converged = false;
  auto observed_before = Converged(3, kNow);
  observed_before.observed_ms = since - 1;
  auto kept_error = Converged(3, kNow);  // a scaled-down member's old error does not count
  kept_error.members.push_back(failing.members[1]);
  kept_error.members.back().ordinal = 3;

  struct Case {
    const char* name;
    std::optional<SupervisorState> state;
    int requested;
    int64_t now;
    WaitOutcome want;
    const char* message;  // substring, "" for none
  };
  const Case cases[] = {
      {"converged, observed after we started", Converged(3, kNow), 3, kNow, WaitOutcome::kConverged,
       ""},
      {"converged, observed exactly when we started", Converged(3, since), 3, since + 500,
       WaitOutcome::kConverged, ""},
      {"converged, but observed before we started (SIGSTOPped before the kill)", observed_before, 3,
       kNow, WaitOutcome::kWait, ""},
      {"converged, but the heartbeat is 12 s old", Converged(3, kNow - 12'000), 3, kNow,
       WaitOutcome::kNotResponding, "supervisor pid 7 is not responding (last heartbeat 12 s ago)"},
      {"no heartbeat field (older supervisor)", Converged(3, 0), 3, kNow,
       WaitOutcome::kNotResponding, "no heartbeat"},
      {"nothing written yet, 1 s after we started", std::nullopt, 3, since + 1000,
       WaitOutcome::kWait, ""},
      {"nothing written 6 s after we started", std::nullopt, 3, since + 6000,
       WaitOutcome::kNotResponding, "no heartbeat in 6 s"},
      {"another supervisor's state", other_pid, 3, kNow, WaitOutcome::kWait, ""},
      {"the new size not applied yet", Converged(2, kNow), 3, kNow, WaitOutcome::kWait, ""},
      {"not converged", not_converged, 3, kNow, WaitOutcome::kWait, ""},
      {"a member crash-loops", failing, 3, kNow, WaitOutcome::kMemberFailed,
       "mariadbd keeps exiting (3 restarts"},
      {"an error above the size is not ours", kept_error, 3, kNow, WaitOutcome::kConverged, ""},
      {"cluster.json asks for the size we wait for", Converged(3, kNow), 3, kNow,
       WaitOutcome::kConverged, ""},
      {"cluster.json unreadable", Converged(3, kNow), 0, kNow, WaitOutcome::kConverged, ""},
  };
  for (const auto& c : cases) {
    WaitInput in;
    in.state = c.state;
    in.supervisor = 7;
    in.replicas = 3;
    in.requested = c.requested;
    in.now_ms = c.now;
    in.since_ms = since;
    const WaitVerdict v = DecideWait(in);
    EXPECT_EQ(v.outcome, c.want) << c.name << ": " << v.message;
    EXPECT_NE(v.message.find(c.message), std::string::npos) << c.name << ": " << v.message;
  }
}

TEST(DecideWait, AScaleWhoseSizeWasChangedMeanwhileIsSuperseded) {
  WaitInput in;
  in.supervisor = 7;
  in.replicas = 4;   // `scale 4` waits ...
  in.requested = 3;  // ... and `scale 3` rewrote cluster.json
  in.since_ms = kNow - 1000;
  in.now_ms = kNow;
  for (const auto& state : {std::optional<SupervisorState>{}, std::optional(Converged(4, kNow)),
                            std::optional(Converged(3, kNow - 60'000))}) {
    in.state = state;
    const WaitVerdict v = DecideWait(in);
    EXPECT_EQ(v.outcome, WaitOutcome::kSuperseded);
    EXPECT_EQ(v.message, "superseded by scale to 3");
  }
}

}  // namespace
}  // namespace mysqlset::local
