#include "agent/agent.h"

#include <algorithm>

#include "agent/cluster_view.h"
#include "common/logging.h"
#include "core/errant.h"
#include "fmt/format.h"

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

Agent::Agent(AgentConfig config, Db& db, CoordStore& store, ServerKiller& killer,
             const FileSystem& fs, const Clock& clock)
    : config_(std::move(config)),
      keys_(config_.cluster.empty() ? config_.id.set_name : config_.cluster),
      db_(db),
      store_(store),
      killer_(killer),
      fs_(fs),
      clock_(clock),
      errant_check_(config_.check_peer_db ? config_.check_peer_db : config_.peer_db,
                    config_.id.server_id) {
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
  return WithErrantGtids(DecideReadiness(snap.role, snap.state, CloneStatus(), state_age_seconds,
                                         ForTick(config_.policy, config_.tick)),
                         snap.errant_gtids, snap.leader);
}

DesiredSource Agent::SourceOf(const std::string& leader) const {
  auto id = ParseIdentity(leader);
  CHECK(id.ok());  // DecideRole names only registered members, whose names parsed
  const MemberAddress a = AddressOf(config_.layout, config_.id.set_name, id->ordinal);
  return {a.host, a.mysql_port, kReplicationUser};
}

void Agent::CheckErrant(const std::string& leader, const ServerState& state, AgentSnapshot& snap) {
  const std::optional<ErrantVerdict> v = errant_check_.Run(leader, state);
  if (!errant_check_.last_error().empty()) {
    spdlog::debug("{}: {}", config_.id.pod_name, errant_check_.last_error());
  }
  if (!v) return;  // cannot tell now: the last verdict stands
  const bool was = snap.diverged || !snap.errant_gtids.empty();
  if (v->found() && (!was || v->errant != snap.errant_gtids || v->diverged != snap.diverged)) {
    if (!was) ++snap.errant_checks_failed;
    if (!v->errant.empty())
      spdlog::error("{}: {}", config_.id.pod_name, ErrantReason(v->errant, leader));
    if (v->diverged) {
      spdlog::error("{}: replication IO error {}: its binlog diverged from {}'s; re-clone it",
                    config_.id.pod_name, kErrorReadingBinlog, leader);
    }
  } else if (!v->found() && was) {
    spdlog::info("{}: no errant GTIDs any more", config_.id.pod_name);
  }
  snap.errant_gtids = v->errant;
  snap.diverged = v->diverged;
}

void Agent::AdvanceSwitchoverRequest(const ClusterView& view, AgentSnapshot& snap) {
  const ReplicationSourceOf source_of = [this](const std::string& member) {
    const DesiredSource d = SourceOf(member);
    return ReplicationSource{d.host, d.port, d.user, config_.secrets.replication_password};
  };
  const PeerDbFactory no_peers = [](const std::string& member) -> Result<std::unique_ptr<Db>> {
    return FailedPrecondition("this agent cannot connect to {}", member);
  };
  SwitchoverContext ctx{.self = config_.id.pod_name,
                        .keys = keys_,
                        .store = store_,
                        .self_db = db_,
                        .peer_db = config_.peer_db ? config_.peer_db : no_peers,
                        .source_of = source_of,
                        .clock = clock_,
                        .request = *switchover_request_,
                        .view = view};
  ctx.own_lease = lease_;
  ctx.before_fence_deadline = deadline_ && clock_.Now() < *deadline_;
  ctx.self_writable = snap.writable;
  const Status st = AdvanceSwitchover(ctx);
  if (!ctx.progress.empty()) {
    snap.last_actions.push_back("switchover: " + ctx.progress);
    spdlog::info("{}: switchover: {}", config_.id.pod_name, ctx.progress);
  }
  if (!st.ok()) {
    snap.last_error = "switchover: " + st.message();
    spdlog::warn("{}: switchover: {}", config_.id.pod_name, st.message());
  }
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
        if (st.ok()) snap.writable = false;
        break;
      case ActionKind::kSetWritable:
        // Checked again at the last moment: the decision was taken before the other actions.
        if (!LeadsInTime()) {
          st = FailedPrecondition("the lease may have expired since the decision");
          break;
        }
        st = db_.SetReadOnly(false);
        if (st.ok()) snap.writable = true;
        break;
      case ActionKind::kStopReplication:
        st = db_.StopReplicationForPromotion();
        break;
      case ActionKind::kEnsureAccounts:
        st = db_.EnsureAccounts(MysqlsetAccounts(config_.secrets));
        break;
      case ActionKind::kDropSocketSuperusers:
        st = db_.DropSocketSuperusers(config_.os_user);
        if (st.ok()) spdlog::warn("dropped {}", a.reason);
        break;
      case ActionKind::kConfigureReplication: {
        ReplicationSource src{source_.host, source_.port, source_.user,
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

bool Agent::LeadsInTime() const {
  return role_ == Role::kPrimary && deadline_ && clock_.Now() < *deadline_;
}

bool Agent::KeepLease(const ServerState& state, const AgentSnapshot& snap) {
  const auto ttl = config_.lease.ttl.count();
  if (lease_ != 0) {
    // The deadline counts from the send: the store may have renewed at any instant after.
    const auto sent = clock_.Now();
    auto kept = store_.KeepAlive(lease_);
    if (kept.ok()) {
      deadline_ = FenceDeadline(sent, config_.lease);
    } else if (kept.status().code() == StatusCode::kNotFound) {
      spdlog::warn("{}: lease {:x} is gone; granting a new one", config_.id.pod_name, lease_);
      lease_ = 0;
      deadline_.reset();
    } else {
      spdlog::warn("{}: lease keepalive: {}", config_.id.pod_name, kept.status().message());
      return false;
    }
  }
  if (lease_ == 0) {
    const auto sent = clock_.Now();
    auto granted = store_.GrantLease(ttl);
    if (!granted.ok()) {
      spdlog::warn("{}: lease grant: {}", config_.id.pod_name, granted.status().message());
      return false;
    }
    lease_ = *granted;
    deadline_ = FenceDeadline(sent, config_.lease);
  }
  formats::MemberRecord r;
  r.name = config_.id.pod_name;
  r.ordinal = config_.id.ordinal;
  r.lease = lease_;
  r.mysql_reachable = state.reachable;
  r.has_data = state.reachable;  // the agent runs only over an installed datadir
  // A gather that failed this tick (a busy server) leaves the GTIDs last seen: an empty
  // position would read as "holds nothing" to whoever compares members.
  const ServerState& known = state.reachable ? state : snap.state;
  r.gtid_binlog = known.gtid_binlog.ToString();
  r.gtid_current = known.gtid_current.ToString();
  r.role = RoleName(role_);
  r.writable = state.reachable && !state.read_only;
  r.replicating = state.replica && state.replica->io == ThreadState::kYes &&
                  state.replica->sql == ThreadState::kYes;
  if (state.replica)
    r.source = fmt::format("{}:{}", state.replica->source_host, state.replica->source_port);
  if (state.replica && state.replica->seconds_behind) {
    r.lag_seconds = static_cast<double>(*state.replica->seconds_behind);
  }
  r.ready = snap.readiness.ready;
  r.errant_gtids = snap.errant_gtids.ToString();
  r.updated_unix_ms = clock_.UnixMillis();
  if (Status st = store_.Put(keys_.Member(r.name), formats::ToJson(r), lease_); !st.ok()) {
    spdlog::warn("{}: publish member: {}", config_.id.pod_name, st.message());
    if (st.code() == StatusCode::kNotFound) {  // the lease expired between the two calls
      lease_ = 0;
      deadline_.reset();
    }
    return false;
  }
  return true;
}

std::optional<ClusterView> Agent::ReadView() {
  auto values = store_.List(keys_.prefix);
  if (!values.ok()) {
    spdlog::warn("{}: read the cluster's keys: {}", config_.id.pod_name, values.status().message());
    return std::nullopt;
  }
  switchover_request_.reset();
  for (const StoredValue& v : *values) {
    if (v.key == keys_.Switchover()) switchover_request_ = v;
  }
  ParsedClusterView parsed = ParseClusterView(keys_, *values);
  for (const auto& p : parsed.problems)
    spdlog::warn("{}: garbled store value {}", config_.id.pod_name, p);
  return std::move(parsed.view);
}

void Agent::Campaign(const ClusterView& view, AgentSnapshot& snap) {
  formats::LeaderRecord r;
  r.name = config_.id.pod_name;
  r.epoch = (view.last_leader ? view.last_leader->epoch : 0) + 1;
  r.since_unix_ms = clock_.UnixMillis();
  const std::string value = formats::ToJson(r);
  // Nobody leads, and nobody took the key since this view: the last leader is unchanged.
  auto won = store_.Txn(
      {TxnCompare::Absent(keys_.Leader()),
       TxnCompare::ModRevision(keys_.LastLeader(), view.last_leader_mod_revision)},
      {TxnOp::Put(keys_.Leader(), value, lease_), TxnOp::Put(keys_.LastLeader(), value)});
  snap.last_actions.push_back("campaign: " + snap.decision.reason);
  if (!won.ok()) {
    snap.last_error = "campaign: " + won.status().message();
    spdlog::warn("{}: campaign: {}", config_.id.pod_name, won.status().message());
  } else if (*won) {
    spdlog::info("{}: took the leader key (epoch {})", config_.id.pod_name, r.epoch);
  } else {
    spdlog::info("{}: campaign lost: someone else changed the leader keys first",
                 config_.id.pod_name);
  }
}

void Agent::Fence(const std::string& why, AgentSnapshot& snap) {
  spdlog::warn("{}: fencing: {}", config_.id.pod_name, why);
  snap.last_actions.push_back("fence: " + why);
  role_ = Role::kReplica;
  snap.role = role_;
  snap.lead_deadline.reset();
  Status st = db_.FenceReadOnly();
  if (st.ok()) {
    ++snap.fencing.read_only;
    snap.writable = false;
    auto killed = db_.KillReadOnlyAdminSessions();
    if (killed.ok()) {
      snap.fencing.kill_sessions += static_cast<uint64_t>(*killed);
    } else {
      st = killed.status();
    }
  }
  if (st.ok()) {
    fenced_ = true;
    return;
  }
  // SQL could not fence: the server may still take writes. Kill it; whatever restarts it
  // brings it back read-only (read_only=ON in its option file).
  spdlog::error("{}: fencing by SQL failed ({}); killing mariadbd", config_.id.pod_name,
                st.message());
  snap.last_error = "fence: " + st.message();
  if (Status k = killer_.KillServer(); k.ok()) {
    ++snap.fencing.kill_server;
    snap.last_actions.push_back("fence: mariadbd killed");
    snap.writable = false;
    fenced_ = true;
  } else {
    snap.last_error += "; kill mariadbd: " + k.message();
    spdlog::error("{}: cannot kill mariadbd: {}", config_.id.pod_name, k.message());
  }
}

void Agent::RunOnce() {
  AgentSnapshot snap = Snapshot();
  snap.ticks++;
  snap.last_actions.clear();
  // 1. Before anything else (a stall, a slow call may have passed it): a leader whose lease
  // may have expired must not stay writable one instant longer.
  if (role_ == Role::kPrimary && (!deadline_ || clock_.Now() >= *deadline_)) {
    Fence("the fence deadline passed (last keepalive too long ago)", snap);
  }

  // 2. Gather.
  const ServerState state = Gather();
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
  if (state.reachable) snap.writable = !state.read_only;

  // 3-4. Lease, members/<self>, the cluster's keys.
  std::optional<ClusterView> view;
  if (KeepLease(state, snap)) view = ReadView();
  snap.store_ok = view.has_value();
  if (view) switchover_pending_ = view->switchover_pending;

  // 5. Decide.
  LeadershipInput in;
  in.self = config_.id.pod_name;
  in.self_ordinal = config_.id.ordinal;
  in.expected_members = config_.expected_members;
  in.view = view;
  in.leader_seen = leader_seen_;
  in.own_lease = lease_;
  in.before_fence_deadline = deadline_ && clock_.Now() < *deadline_;
  in.server = state;
  in.has_data = state.reachable;
  RoleDecision decision = DecideRole(in);
  // A switchover from this member may have read G, demoted it or handed the key over since
  // the last view: only a view that shows it finished (failed, or done elsewhere) may make
  // it lead again. Without one it stays read-only.
  if (view) handing_over_ = view->switchover_pending && view->switchover_from == in.self;
  if (!view && handing_over_ && decision.verdict == RoleVerdict::kLead) {
    decision = {RoleVerdict::kFence, "", false,
                "the store does not answer during a switchover from this member"};
  }
  snap.decision = decision;
  if (view) {
    const std::string leader = view->leader ? view->leader->name : "";
    if (!leader.empty() && leader != leader_seen_) {
      ++snap.leader_changes;
      spdlog::info("{}: leader is {} (epoch {})", config_.id.pod_name, leader, view->leader->epoch);
    }
    leader_seen_ = leader;
    snap.leader = leader;
    if (view->leader) {
      snap.epoch = view->leader->epoch;
    } else if (view->last_leader) {
      snap.epoch = view->last_leader->epoch;
    }
  }

  // 6. Act.
  std::vector<Action> actions;
  switch (decision.verdict) {
    case RoleVerdict::kLead: {
      snap.errant_gtids = GtidList();  // the primary's history is the reference
      snap.diverged = false;
      if (role_ != Role::kPrimary) {
        spdlog::info("{}: leading: {}", config_.id.pod_name, decision.reason);
      }
      role_ = Role::kPrimary;
      fenced_ = false;
      actions = PlanActions(Role::kPrimary, state, {}, CloneStatus());
      if (decision.switchover) {
        // SWITCHOVER CALL SITE (i12-switch connects agent/switchover_step here): a request
        // from this member is pending, so the step owns read_only; never writable meanwhile.
        std::erase_if(actions, [](const Action& a) { return a.kind == ActionKind::kSetWritable; });
      }
      break;
    }
    case RoleVerdict::kFollow:
      role_ = Role::kReplica;
      source_ = SourceOf(decision.leader);
      actions = PlanActions(Role::kReplica, state, source_, CloneStatus());
      // After Gather (step 2): the primary's position must be read after this replica's.
      CheckErrant(decision.leader, state, snap);
      break;
    case RoleVerdict::kCampaign:
      role_ = Role::kReplica;
      Campaign(*view, snap);
      break;
    case RoleVerdict::kFence:
      // The ladder whenever the server may take writes: it led, it was never fenced by this
      // agent, or it is writable (read_only turned off by hand). A fenced read-only server
      // needs nothing more.
      if (role_ == Role::kPrimary || !fenced_ || (state.reachable && !state.read_only)) {
        Fence(decision.reason, snap);
      }
      role_ = Role::kReplica;
      break;
    case RoleVerdict::kWait:
      role_ = Role::kReplica;
      break;
  }
  snap.role = role_;
  bool reporting = false;
  for (const auto& a : actions) reporting |= a.kind == ActionKind::kReportReplicationError;
  if (!reporting) snap.replication_error.clear();
  Act(actions, snap);
  if (view && switchover_request_) AdvanceSwitchoverRequest(*view, snap);
  snap.lead_deadline = role_ == Role::kPrimary ? deadline_ : std::nullopt;

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
  using std::chrono::milliseconds;
  milliseconds delay = consecutive_failures_ == 0
                           ? config_.tick
                           : config_.unreachable_backoff.DelayFor(consecutive_failures_ - 1);
  delay = std::min(delay, config_.tick);  // the lease needs its keepalive every tick
  if (switchover_pending_) delay = std::min(delay, config_.switchover_tick);
  if (role_ == Role::kPrimary && deadline_) {
    const auto left = std::chrono::ceil<milliseconds>(*deadline_ - clock_.Now());
    delay = std::clamp(left, milliseconds(0), delay);
  }
  return delay;
}

bool Agent::ServesPrimary(const AgentSnapshot& snap, std::chrono::steady_clock::time_point now) {
  return snap.role == Role::kPrimary && snap.decision.verdict == RoleVerdict::kLead &&
         snap.lead_deadline && now < *snap.lead_deadline && snap.state.reachable && snap.writable;
}

}  // namespace mysqlset
