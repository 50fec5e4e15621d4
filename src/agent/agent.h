#pragma once
// The agent loop: each RunOnce() gathers the member's state (I/O through Db), decides what
// to do (core/replication_plan, core/readiness: pure), then acts. A timer in cmd/ calls
// RunOnce(); tests call it directly with a FakeDb and a FakeClock.
//
// Thread-safety: RunOnce() from one thread; Snapshot() from any thread.

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/accounts.h"
#include "core/backoff.h"
#include "core/identity.h"
#include "core/readiness.h"
#include "core/replication_plan.h"
#include "core/topology.h"
#include "env/clock.h"
#include "env/db.h"
#include "env/file_system.h"
#include "formats/clone_record.h"

namespace mysqlset {

struct AgentConfig {
  MemberIdentity id;
  PeerLayout layout;
  std::string data_dir;
  ReadinessPolicy policy;
  Secrets secrets;
  // The OS user this agent (and so mariadb-install-db) runs as: install-db named a
  // unix_socket superuser after it, which the primary drops (see kDropSocketSuperusers).
  std::string os_user = "root";
  std::chrono::milliseconds tick{1000};
  Backoff unreachable_backoff{std::chrono::milliseconds(500), std::chrono::milliseconds(5000), 2.0};
};

struct AgentSnapshot {
  Role role = Role::kReplica;
  ServerState state;
  Readiness readiness;
  std::vector<std::string> last_actions;  // "configure_replication: first start after clone"
  std::string last_error;                 // last failed action or gather, empty if none
  std::string replication_error;          // the error being reported, if any
  uint64_t ticks = 0;
  uint64_t replication_errors_seen = 0;  // transitions into a reported replication error
  uint64_t actions_taken = 0;
  std::chrono::steady_clock::time_point updated{};
  std::optional<formats::CloneRecord> clone;  // DATA/.mysqlset-clone.json
};

class Agent {
 public:
  Agent(AgentConfig config, Db& db, const FileSystem& fs, const Clock& clock);

  void RunOnce();
  AgentSnapshot Snapshot() const;
  // The verdict on `snap` (from Snapshot()) once its state is `state_age_seconds` old
  // (nullopt: never gathered): core's DecideReadiness with this member's role, clone record
  // and policy. RunOnce stores it at age 0; /readyz asks again with the age at request time.
  Readiness ReadinessOf(const AgentSnapshot& snap, std::optional<double> state_age_seconds) const;
  // How long the timer should wait before the next RunOnce(): the tick, or a growing
  // backoff while mysqld does not answer (no busy loop, no restart storm).
  std::chrono::milliseconds NextDelay() const;
  Role role() const { return role_; }
  const AgentConfig& config() const { return config_; }

 private:
  ServerState Gather();
  void Act(const std::vector<Action>& actions, AgentSnapshot& snap);
  DesiredSource WantedSource() const;
  CloneRecordStatus CloneStatus() const;

  const AgentConfig config_;
  const Role role_;
  Db& db_;
  const FileSystem& fs_;
  const Clock& clock_;
  int consecutive_failures_ = 0;
  std::optional<formats::CloneRecord> clone_;
  // Set when DATA/.mysqlset-clone.json exists but is garbled: the replica cannot know where
  // replication must start, so it never configures it from a guess.
  std::string clone_record_error_;

  mutable std::mutex mu_;
  AgentSnapshot snapshot_;  // guarded by mu_
};

// Reads DATA/.mysqlset-clone.json; nullopt when absent. A garbled file is an error.
Result<std::optional<formats::CloneRecord>> ReadCloneRecord(const FileSystem& fs,
                                                            const std::string& data_dir);

}  // namespace mysqlset
