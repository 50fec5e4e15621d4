#include "local/plan.h"

#include <gtest/gtest.h>

namespace mysqlset::local {
namespace {

using A = PlannedAction;
using K = SupervisorAction;

MemberView Ready(uint32_t ord) {
  return {.ordinal = ord,
          .phase = MemberPhase::kServing,
          .ready = true,
          .mariadbd_running = true,
          .agent_running = true};
}
MemberView Starting(uint32_t ord) {
  MemberView v = Ready(ord);
  v.ready = false;
  return v;
}
MemberView Phase(uint32_t ord, MemberPhase p) { return {.ordinal = ord, .phase = p}; }
MemberView WithData(uint32_t ord) { return {.ordinal = ord, .has_data = true}; }

struct Case {
  const char* name;
  int desired;
  std::vector<MemberView> members;
  std::vector<A> want;
};

TEST(PlanStep, Table) {
  MemberView crashed = Ready(1);
  crashed.mariadbd_running = false;
  crashed.ready = false;
  MemberView crashed_due = crashed;
  crashed_due.mariadbd_restart_due = true;
  MemberView agent_due = Ready(2);
  agent_due.agent_running = false;
  agent_due.agent_restart_due = true;
  agent_due.ready = false;
  MemberView failed_due = Phase(1, MemberPhase::kFailed);
  failed_due.retry_due = true;

  const std::vector<Case> cases = {
      {"empty cluster starts ordinal 0 only", 3, {}, {{K::kStartMember, 0}}},
      {"waits while 0 is starting", 3, {Starting(0)}, {}},
      {"waits while 0 clones", 3, {Phase(0, MemberPhase::kClone)}, {}},
      {"all others at once when 0 is ready",
       3,
       {Ready(0)},
       {{K::kStartMember, 1}, {K::kStartMember, 2}}},
      {"third member", 3, {Ready(0), Ready(1)}, {{K::kStartMember, 2}}},
      {"no waiting for members between 0 and the next",
       4,
       {Ready(0), Starting(1), Phase(2, MemberPhase::kClone)},
       {{K::kStartMember, 3}}},
      {"converged: nothing to do", 3, {Ready(0), Ready(1), Ready(2)}, {}},
      // A restarted cluster: the leader waits for a sync replica's ack before it is ready.
      {"members with data start at once, whoever is ready",
       3,
       {Starting(0), WithData(1), WithData(2)},
       {{K::kStartMember, 1}, {K::kStartMember, 2}}},
      {"... but one without data still waits for 0",
       3,
       {Starting(0), WithData(1)},
       {{K::kStartMember, 1}}},
      {"scale down stops highest first",
       2,
       {Ready(0), Ready(1), Ready(2), Ready(3), Ready(4)},
       {{K::kStopMember, 4}, {K::kStopMember, 3}, {K::kStopMember, 2}}},
      {"scale down also stops a member still cloning",
       1,
       {Ready(0), Phase(1, MemberPhase::kClone)},
       {{K::kStopMember, 1}}},
      {"stopped members above desired stay stopped",
       2,
       {Ready(0), Ready(1), Phase(2, MemberPhase::kStopped)},
       {}},
      {"scale up restarts a kept member",
       3,
       {Ready(0), Ready(1), Phase(2, MemberPhase::kStopped)},
       {{K::kStartMember, 2}}},
      {"crashed mariadbd waits for its backoff", 3, {Ready(0), crashed, Ready(2)}, {}},
      {"crashed mariadbd restarts when due",
       3,
       {Ready(0), crashed_due, Ready(2)},
       {{K::kRestartMariadbd, 1}}},
      {"crashed agent restarts when due",
       3,
       {Ready(0), Ready(1), agent_due},
       {{K::kRestartAgent, 2}}},
      {"failed clone waits for its retry",
       3,
       {Ready(0), Phase(1, MemberPhase::kFailed), Ready(2)},
       {}},
      {"failed clone retried when due",
       3,
       {Ready(0), failed_due, Ready(2)},
       {{K::kStartMember, 1}}},
      {"unready ordinal 0 blocks new starts but not restarts",
       4,
       {Starting(0), crashed_due, Ready(2)},
       {{K::kRestartMariadbd, 1}}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(PlanStep(c.desired, c.members), c.want) << c.name;
  }
}

TEST(StopOrder, Table) {
  struct Case {
    const char* name;
    std::vector<uint32_t> running;
    std::optional<uint32_t> primary;
    std::vector<uint32_t> want;
  } cases[] = {
      {"no primary known: highest first", {0, 2, 1}, std::nullopt, {2, 1, 0}},
      {"primary 0: already last", {0, 1, 2}, 0, {2, 1, 0}},
      {"primary 2 (after a failover): last", {0, 1, 2}, 2, {1, 0, 2}},
      {"primary 1 of 2", {1, 0}, 1, {0, 1}},
      {"primary not among the running", {0, 1}, 3, {1, 0}},
      {"nothing runs", {}, 1, {}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(StopOrder(c.running, c.primary), c.want) << c.name;
  }
}

TEST(Converged, Table) {
  EXPECT_TRUE(Converged(2, {Ready(0), Ready(1)}));
  EXPECT_TRUE(Converged(2, {Ready(0), Ready(1), Phase(2, MemberPhase::kStopped)}));
  EXPECT_FALSE(Converged(2, {Ready(0), Ready(1), Ready(2)}));
  EXPECT_FALSE(Converged(2, {Ready(0), Starting(1)}));
  EXPECT_FALSE(Converged(3, {Ready(0), Ready(1)}));
}

}  // namespace
}  // namespace mysqlset::local
