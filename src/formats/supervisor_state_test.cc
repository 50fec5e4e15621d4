#include "formats/supervisor_state.h"

#include <gtest/gtest.h>

#include "testing/golden.h"

namespace mysqlset::formats {
namespace {

SupervisorState Full() {
  SupervisorState s;
  s.pid = 4242;
  s.spec = {"mysql", 3, 13306};
  s.converged = false;
  s.stopping = true;
  s.haproxy_pid = 4243;
  s.haproxy_error = "haproxy exited (exit 1); see /c/haproxy.log";
  s.heartbeat_ms = 1'800'000'000'123;
  s.observed_ms = 1'800'000'000'001;
  SupervisedMember ready{"mysql-0", 0, MemberStep::kReady, true, 100, 101, 1, 2, "", "UP", "UP"};
  SupervisedMember cloning{"mysql-1", 1, MemberStep::kClone, false, 0, 0, 0, 0, "", "DOWN"};
  SupervisedMember failed{
      "mysql-2", 2, MemberStep::kFailed,
      false,     0, 0,
      4,         0, "mysql-2: init failed (exit 1); see /c/members/mysql-2/logs/init.log",
      ""};
  s.members = {ready, cloning, failed};
  s.etcd = {{"etcd-0", 90, "http://127.0.0.1:13290", 0, ""},
            {"etcd-1", 0, "http://127.0.0.1:13292", 3, "signal 9"}};
  ScheduledBackups b;
  b.schedule = "0 3 * * *";
  b.verify_schedule = "0 4 * * 0";
  b.log = "/c/backup-schedule.log";
  b.next_run_unix = 1'800'003'600;
  b.running_pid = 4250;
  b.running_since_unix = 1'800'000'000;
  b.started = 5;
  b.succeeded = 3;
  b.failed = 1;
  b.skipped = 2;
  b.last_success_unix = 1'799'990'000;
  b.last_failure_unix.reset();  // written as null, never 0
  b.last_failure = "exit 1";
  b.retention = "--keep-last 7 --keep-days 14";
  b.pruning_pid = 0;
  b.prunes_succeeded = 2;
  b.prunes_failed = 1;
  b.last_prune_failure = "exit 1";
  s.backups = b;
  return s;
}

// The golden file is what keeps DESIGN.md's promise for DIR/state.json: fields may be
// added, none removed or renamed, and a step's string never changes. The CLI of one release
// reads the state of another's supervisor, so a failing golden test is a compatibility
// decision, not a file to regenerate.
TEST(SupervisorStateGolden, ToJsonOfAFullStateIsTheGoldenFile) {
  EXPECT_EQ(ToJson(Full()), testing::Golden("supervisor_state.json"));
}

TEST(SupervisorStateGolden, TheGoldenFileRoundTrips) {
  const std::string golden = testing::Golden("supervisor_state.json");
  auto s = FromJson<SupervisorState>(golden);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(ToJson(*s), golden);
  ASSERT_EQ(s->members.size(), 3u);
  EXPECT_EQ(s->members[1].step, MemberStep::kClone);
  EXPECT_EQ(s->spec.base_port, 13306);
  ASSERT_TRUE(s->backups);
  EXPECT_EQ(*s->backups, *Full().backups);
}

// Without a schedule there is no "backup_schedule"; a file without one reads as none.
TEST(SupervisorState, NoScheduleNoSection) {
  SupervisorState s = Full();
  s.backups.reset();
  const std::string text = ToJson(s);
  EXPECT_EQ(text.find("backup_schedule"), std::string::npos);
  auto back = FromJson<SupervisorState>(text);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_FALSE(back->backups);
}

// A state file of a supervisor from before etcd (no "etcd", no "write_endpoint") still reads.
TEST(SupervisorState, AFileWithoutEtcdReads) {
  const std::string old = R"({"pid":1,"name":"mysql","replicas":1,"base_port":13306,
    "haproxy_pid":0,"heartbeat_ms":0,"observed_ms":0,
    "members":[{"name":"mysql-0","ordinal":0,"step":"ready","mariadbd_pid":3,"agent_pid":4,
                "mariadbd_restarts":0,"agent_restarts":0,"read_endpoint":"UP"}]})";
  auto s = FromJson<SupervisorState>(old);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_TRUE(s->etcd.empty());
  ASSERT_EQ(s->members.size(), 1u);
  EXPECT_EQ(s->members[0].write_endpoint, "");
  EXPECT_EQ(s->members[0].read_endpoint, "UP");
}

TEST(SupervisorState, JsonRoundTrip) {
  SupervisorState s;
  s.pid = 42;
  s.spec = {"mysql", 2, 13306};
  s.converged = true;
  SupervisedMember m;
  m.name = "mysql-1";
  m.ordinal = 1;
  m.step = MemberStep::kClone;
  m.mariadbd_pid = 7;
  m.error = "boom";
  m.read_endpoint = "DOWN";
  s.members.push_back(m);
  auto back = FromJson<SupervisorState>(ToJson(s));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->pid, 42);
  EXPECT_TRUE(back->converged);
  ASSERT_EQ(back->members.size(), 1u);
  EXPECT_EQ(back->members[0].step, MemberStep::kClone);
  EXPECT_EQ(back->members[0].mariadbd_pid, 7);
  EXPECT_EQ(back->members[0].error, "boom");
  EXPECT_EQ(back->members[0].read_endpoint, "DOWN");
}

TEST(SupervisorState, KeepsHeartbeatAndObservationTimes) {
  SupervisorState s;
  s.pid = 7;
  s.heartbeat_ms = 1'800'000'000'123;
  s.observed_ms = 1'800'000'000'001;
  auto back = FromJson<SupervisorState>(ToJson(s));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->heartbeat_ms, s.heartbeat_ms);
  EXPECT_EQ(back->observed_ms, s.observed_ms);
  // A state file without them (an older supervisor) reads as "no heartbeat".
  auto old = FromJson<SupervisorState>(
      R"({"pid":7,"name":"mysql","replicas":1,"base_port":13306,"members":[]})");
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->heartbeat_ms, 0);
}

TEST(MemberStep, EachStepHasOneStringBothWays) {
  const std::pair<MemberStep, const char*> cases[] = {
      {MemberStep::kStopped, "stopped"}, {MemberStep::kInit, "init"},
      {MemberStep::kClone, "clone"},     {MemberStep::kStarting, "starting"},
      {MemberStep::kReady, "ready"},     {MemberStep::kFailed, "failed"},
  };
  for (const auto& [step, name] : cases) {
    EXPECT_EQ(MemberStepName(step), name);
    SupervisorState s;
    s.members.push_back({"mysql-0", 0, step});
    auto back = FromJson<SupervisorState>(ToJson(s));
    ASSERT_TRUE(back.ok()) << name;
    EXPECT_EQ(back->members[0].step, step) << name;
  }
}

// A newer supervisor may add a step; an older CLI must still read the rest of the state.
TEST(MemberStep, AStepFromANewerSupervisorReadsAsUnknown) {
  auto s = FromJson<SupervisorState>(
      R"({"pid":7,"name":"mysql","replicas":2,"base_port":13306,"members":[)"
      R"({"name":"mysql-0","ordinal":0,"step":"switching-over","ready":true},)"
      R"({"name":"mysql-1","ordinal":1,"step":"ready","ready":true}]})");
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_EQ(s->members.size(), 2u);
  EXPECT_EQ(s->members[0].step, MemberStep::kUnknown);
  EXPECT_EQ(MemberStepName(s->members[0].step), "unknown");
  EXPECT_TRUE(s->members[0].ready);
  EXPECT_EQ(s->members[1].step, MemberStep::kReady);
}

TEST(SupervisorState, GarbledInputIsAnErrorNotACrash) {
  const std::string head = R"({"pid":7,"name":"mysql","replicas":1,"base_port":13306,)";
  const std::string cases[] = {
      "",
      "not json",
      "[]",
      R"({"name":"mysql","replicas":1,"base_port":13306,"members":[]})",  // no pid
      head + "}",                                                         // no members
      R"({"pid":"7","name":"mysql","replicas":1,"base_port":13306,"members":[]})",
      R"({"pid":7.5,"name":"mysql","replicas":1,"base_port":13306,"members":[]})",
      R"({"pid":7,"name":"mysql","replicas":1,"base_port":13306,"heartbeat_ms":1e300,)"
      R"("members":[]})",
      head + R"("members":[{"name":"mysql-0","ordinal":0}]})",           // no step
      head + R"("members":[{"name":"mysql-0","ordinal":0,"step":5}]})",  // wrong type
      head + R"("members":[{"name":"mysql-0","ordinal":0.5,"step":"ready"}]})",
      head + R"("members":[{"name":"mysql-0","ordinal":0,"step":"ready","agent_pid":"x"}]})",
  };
  for (const std::string& text : cases) {
    auto s = FromJson<SupervisorState>(text);
    ASSERT_FALSE(s.ok()) << text;
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument) << text;
    EXPECT_NE(s.status().message().find("supervisor state is malformed"), std::string::npos)
        << s.status().message();
  }
}

TEST(SupervisorState, LivesInTheClusterDir) {
  EXPECT_EQ(SupervisorStatePath("/c"), "/c/state.json");
}

}  // namespace
}  // namespace mysqlset::formats
