#include "agent/agent.h"

#include "common/logging.h"

namespace mysqlset {

Result<std::optional<formats::CloneRecord>> ReadCloneRecord(const FileSystem& fs,
                                                            const std::string& data_dir) {
  const std::string path = formats::CloneRecordPath(data_dir);
  if (!fs.Exists(path)) return std::optional<formats::CloneRecord>();
  ASSIGN_OR_RETURN(std::string text, fs.ReadFile(path));
  auto record = formats::FromJson<formats::CloneRecord>(text);
  if (!record.ok()) return DataLoss("{} is garbled: {}", path, record.status().message());
  return std::optional<formats::CloneRecord>(std::move(*record));
}

Agent::Agent(AgentConfig config, Db& db, const FileSystem& fs, const Clock& clock)
    : config_(std::move(config)),
      role_(IsPrimary(config_.id) ? Role::kPrimary : Role::kReplica),
      db_(db),
      fs_(fs),
      clock_(clock) {
  auto clone = ReadCloneRecord(fs_, config_.data_dir);
  if (clone.ok()) {
    clone_ = *clone;
  } else {
    clone_record_error_ = clone.status().message();
    spdlog::error("{}", clone_record_error_);
  }
  snapshot_.role = role_;
  snapshot_.clone = clone_;
  snapshot_.readiness = ReadinessOf(snapshot_, std::nullopt);
}

CloneRecordStatus Agent::CloneStatus() const {
  if (!clone_record_error_.empty()) return CloneRecordStatus::Unreadable(clone_record_error_);
  return clone_ ? CloneRecordStatus::Present(clone_->gtid) : CloneRecordStatus::Absent();
}

Readiness Agent::ReadinessOf(const AgentSnapshot& snap,
                             std::optional<double> state_age_seconds) const {
  return DecideReadiness(role_, snap.state, CloneStatus(), state_age_seconds,
                         ForTick(config_.policy, config_.tick));
}

DesiredSource Agent::WantedSource() const {
  const MemberAddress primary = AddressOf(config_.layout, config_.id.set_name, PrimaryOrdinal());
  return {primary.host, primary.mysql_port, kReplicationUser};
}

ServerState Agent::Gather() {
  ServerState s;
  Status st = db_.ReadState(s);
  if (st.ok() && role_ == Role::kPrimary) {
    auto present = db_.AccountsExist(MysqlsetAccounts(config_.secrets));
    if (present.ok()) {
      s.accounts_present = *present;
    } else {
      st = present.status();
    }
    if (st.ok()) {
      auto superusers = db_.SocketSuperusers(config_.os_user);
      if (superusers.ok()) {
        s.socket_superusers = std::move(*superusers);
      } else {
        st = superusers.status();
      }
    }
  }
  s.reachable = st.ok();
  if (!st.ok()) s.unreachable_reason = st.message();
  return s;
}

void Agent::Act(const std::vector<Action>& actions, AgentSnapshot& snap) {
  for (const Action& a : actions) {
    snap.last_actions.push_back(std::string(ActionName(a.kind)) + ": " + a.reason);
    Status st;
    switch (a.kind) {
      case ActionKind::kSetReadOnly:
        st = db_.SetReadOnly(true);
        break;
      case ActionKind::kSetWritable:
        st = db_.SetReadOnly(false);
        break;
      case ActionKind::kEnsureAccounts:
        st = db_.EnsureAccounts(MysqlsetAccounts(config_.secrets));
        break;
      case ActionKind::kDropSocketSuperusers:
        st = db_.DropSocketSuperusers(config_.os_user);
        if (st.ok()) spdlog::warn("dropped {}", a.reason);
        break;
      case ActionKind::kConfigureReplication: {
        const DesiredSource want = WantedSource();
        ReplicationSource src{want.host, want.port, want.user,
                              config_.secrets.replication_password};
        st = db_.ConfigureReplication(src, a.seed_gtid ? &*a.seed_gtid : nullptr);
        break;
      }
      case ActionKind::kStartReplication:
        st = db_.StartReplication();
        break;
      case ActionKind::kReportReplicationError:
        if (snapshot_.replication_error != a.reason) {
          spdlog::error("{}: replication stopped and will not be skipped: {}", config_.id.pod_name,
                        a.reason);
          ++snap.replication_errors_seen;
        }
        snap.replication_error = a.reason;
        continue;
    }
    ++snap.actions_taken;
    if (st.ok()) {
      spdlog::info("{}: {} ({})", config_.id.pod_name, ActionName(a.kind), a.reason);
    } else {
      snap.last_error = std::string(ActionName(a.kind)) + ": " + st.message();
      spdlog::warn("{}: {} failed: {}", config_.id.pod_name, ActionName(a.kind), st.message());
      break;  // later actions assume this one worked
    }
  }
}

void Agent::RunOnce() {
  const ServerState state = Gather();
  AgentSnapshot snap = Snapshot();
  snap.ticks++;
  snap.last_actions.clear();
  if (!state.reachable) {
    if (consecutive_failures_ == 0) {
      spdlog::warn("{}: mysqld is not answering: {}", config_.id.pod_name,
                   state.unreachable_reason);
    }
    ++consecutive_failures_;
    snap.last_error = state.unreachable_reason;
  } else {
    if (consecutive_failures_ > 0) spdlog::info("{}: mysqld answers again", config_.id.pod_name);
    consecutive_failures_ = 0;
  }
  const std::vector<Action> actions = PlanActions(role_, state, WantedSource(), CloneStatus());
  bool reporting = false;
  for (const auto& a : actions) reporting |= a.kind == ActionKind::kReportReplicationError;
  if (!reporting) snap.replication_error.clear();
  Act(actions, snap);

  // Readiness reflects the state as gathered: actions taken now show on the next tick.
  snap.state = state;
  snap.readiness = ReadinessOf(snap, /*state_age_seconds=*/0.0);
  snap.updated = clock_.Now();
  if (state.reachable && snap.last_actions.empty()) snap.last_error.clear();
  std::lock_guard<std::mutex> lock(mu_);
  snapshot_ = std::move(snap);
}

AgentSnapshot Agent::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return snapshot_;
}

std::chrono::milliseconds Agent::NextDelay() const {
  if (consecutive_failures_ == 0) return config_.tick;
  return config_.unreachable_backoff.DelayFor(consecutive_failures_ - 1);
}

}  // namespace mysqlset
