#include "agent/agent.h"

#include <algorithm>

#include "agent/cluster_view.h"
#include "agent/failover_step.h"
#include "common/logging.h"
#include "core/errant.h"
#include "core/reclone.h"
#include "core/switchover.h"
#include "fmt/format.h"
#include "formats/drain_record.h"

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

Agent::Agent(AgentConfig config, Db& db, CoordStore& store, ServerKiller& killer, FileSystem& fs,
             const Clock& clock)
    : config_(std::move(config)),
      keys_(config_.cluster.empty() ? config_.id.set_name : config_.cluster),
      sync_(config_.id.pod_name, keys_, config_.expected_members, store, db, clock),
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
  agent_started_ = clock_.Now();
  snapshot_.role = role_;
  snapshot_.clone = clone_;
  snapshot_.readiness = ReadinessOf(snapshot_, std::nullopt);
}

namespace {
// What a consumed drain record is overwritten with: a record counts for one start only.
constexpr const char* kConsumedDrainRecord = "consumed\n";
}  // namespace

void Agent::LoadDrainRecord(const ServerState& state) {
  const std::string path = formats::DrainRecordPath(config_.data_dir);
  if (!fs_.Exists(path)) return;
  auto text = fs_.ReadFile(path);
  if (text.ok() && *text == kConsumedDrainRecord) {
    (void)fs_.RemoveAll(path);
    return;
  }
  // Consumed durably BEFORE it counts (WriteFileAtomic syncs the file and its directory): a
  // record read again after this server streamed and acked more, then crashed, would vouch
  // for writes its purged relay log no longer holds. A plain removal may not survive a
  // power cut.
  if (Status st = fs_.WriteFileAtomic(path, kConsumedDrainRecord, 0644); !st.ok()) {
    spdlog::error("{}: cannot mark {} consumed: {}; ignoring it", config_.id.pod_name, path,
                  st.message());
    return;
  }
  (void)fs_.RemoveAll(path);
  auto record = text.ok() ? formats::FromJson<formats::DrainRecord>(*text)
                          : Result<formats::DrainRecord>(text.status());
  if (!record.ok()) {
    spdlog::warn("{}: ignoring {}: {}", config_.id.pod_name, path, record.status().message());
    return;
  }
  const GtidList drained = *GtidList::Parse(record->gtid);  // FromJson checked it
  if (!DrainStillHolds(drained, state.gtid_current)) {
    spdlog::warn("{}: ignoring {}: the data ({}) no longer holds what it drained ({})",
                 config_.id.pod_name, path, state.gtid_current.ToString(), record->gtid);
    return;
  }
  received_from_ = {record->leader, record->epoch};
  spdlog::info("{}: stopped cleanly with all it received from {} (epoch {}) applied, up to {}",
               config_.id.pod_name, record->leader, record->epoch, record->gtid);
}

bool Agent::StreamsFrom(const ServerState& state, const DesiredSource& source) {
  return state.replica && state.replica->io == ThreadState::kYes &&
         state.replica->source_host == source.host && state.replica->source_port == source.port;
}

void Agent::DrainOnStop(double apply_timeout_s) {
  if (role_ != Role::kReplica) return;
  const std::string& pod = config_.id.pod_name;
  // Only a replica whose IO thread runs from the leader the store names now: what it acked
  // is then in its relay log, which the drain applies. The last tick's received_from_ is not
  // enough: the server may have restarted since (skip_slave_start leaves its IO thread
  // stopped), purging what it had acked.
  ServerState streaming;
  std::optional<ClusterView> view = ReadView();
  if (!view || !view->leader || !db_.ReadState(streaming).ok()) {
    spdlog::info("{}: stopping: no drain record (no leader, or the server does not answer)", pod);
    return;
  }
  Result<DesiredSource> source = SourceOf(view->leader->name);
  if (!source.ok() || !StreamsFrom(streaming, *source)) {
    spdlog::info("{}: stopping: no drain record (not streaming from the leader {})", pod,
                 view->leader->name);
    return;
  }
  const std::pair<std::string, uint64_t> from = {view->leader->name, view->leader->epoch};
  // The IO thread first: once it stops, nothing more is received or acked, so the position
  // read next bounds every write this member acked.
  if (Status st = db_.StopReplicationIo(); !st.ok()) {
    spdlog::warn("{}: stopping: no drain record (stop the IO thread: {})", pod, st.message());
    return;
  }
  ServerState state;
  if (Status st = db_.ReadState(state); !st.ok() || !state.replica) {
    spdlog::warn("{}: stopping: no drain record (read the IO position: {})", pod,
                 st.ok() ? "not a replica" : st.message());
    return;
  }
  const std::string received = state.replica->gtid_io_pos;
  if (received.empty()) {  // nothing to vouch for: an empty GTID would cover anything
    spdlog::info("{}: stopping: no drain record (no IO position)", pod);
    return;
  }
  auto applied = db_.MasterGtidWait(received, apply_timeout_s);
  if (!applied.ok() || !*applied) {
    spdlog::warn("{}: stopping: no drain record (apply up to {} within {}s: {})", pod, received,
                 apply_timeout_s, applied.ok() ? "timed out" : applied.status().message());
    return;
  }
  const formats::DrainRecord record{from.first, from.second, received};
  if (Status st = fs_.WriteFileAtomic(formats::DrainRecordPath(config_.data_dir),
                                      formats::ToJson(record), 0644);
      !st.ok()) {
    spdlog::warn("{}: stopping: no drain record: {}", pod, st.message());
    return;
  }
  spdlog::info("{}: stopping: applied all it received from {} (up to {}); drain record written",
               pod, record.leader, received);
}

CloneRecordStatus Agent::CloneStatus() const {
  if (!clone_record_error_.empty()) return CloneRecordStatus::Unreadable(clone_record_error_);
  return clone_ ? CloneRecordStatus::Present(clone_->gtid) : CloneRecordStatus::Absent();
}

Readiness Agent::ReadinessOf(const AgentSnapshot& snap,
                             std::optional<double> state_age_seconds) const {
  SourceContact source;
  source.awaiting_election = snap.awaiting_election;
  source.awaiting_sync_replica = snap.awaiting_sync_replica;
  if (snap.in_sync_at) {
    source.seconds_since_in_sync =
        std::chrono::duration<double>(snap.updated - *snap.in_sync_at).count() +
        std::max(0.0, state_age_seconds.value_or(0));
  }
  // A new leader elsewhere: this replica's source is not the leader's address.
  if (!snap.leader.empty() && snap.leader != config_.id.pod_name && snap.state.replica) {
    if (auto id = ParseIdentity(snap.leader); id.ok()) {
      const MemberAddress a = AddressOf(config_.layout, config_.id.set_name, id->ordinal);
      source.leader_moved = a.host != snap.state.replica->source_host ||
                            a.mysql_port != snap.state.replica->source_port;
    }
  }
  return WithErrantGtids(DecideReadiness(snap.role, snap.state, CloneStatus(), state_age_seconds,
                                         ForTick(config_.policy, config_.tick), source),
                         snap.errant_gtids, snap.leader);
}

void Agent::WithdrawReclone(AgentSnapshot& snap) {
  // Once after the agent starts (a request may survive a restart), then whenever one stands.
  if (!config_.request_reclone || (reclone_withdrawn_ && snap.reclone.empty())) return;
  if (Status st = config_.request_reclone(""); !st.ok()) {
    spdlog::warn("{}: withdrawing the re-clone request: {}", config_.id.pod_name, st.message());
    return;
  }
  if (!snap.reclone.empty()) {
    spdlog::info("{}: re-clone request withdrawn: no longer errant", config_.id.pod_name);
  }
  reclone_withdrawn_ = true;
  snap.reclone.clear();
}

void Agent::RequestRecloneIfDue(const ClusterView& view, const std::string& leader,
                                AgentSnapshot& snap) {
  if (!config_.request_reclone || !snap.reclone.empty()) return;
  const RecloneVerdict v = DecideReclone(
      {.self = config_.id.pod_name,
       .errant = !snap.errant_gtids.empty(),
       .diverged = snap.diverged,
       .failed_checks_in_a_row = errant_checks_in_a_row_,
       .errant_for_seconds = std::chrono::duration<double>(clock_.Now() - errant_since_).count(),
       .leader = leader,
       .sync = view.sync,
       .forced_failover = !view.forced_failover_to.empty(),
       .errant_gtids = snap.errant_gtids.ToString()},
      ReclonePolicy{});
  if (!v.reclone) return;
  if (Status st = config_.request_reclone(v.reason); !st.ok()) {
    snap.last_error = "requesting a re-clone: " + st.message();
    spdlog::error("{}: {}", config_.id.pod_name, snap.last_error);
    return;
  }
  snap.reclone = v.reason;
  spdlog::error("{}: {}", config_.id.pod_name, v.reason);
}

// `member` comes from the store (the leader key, a switchover request): a garbled or foreign
// name is an error, never an abort.
Result<DesiredSource> Agent::SourceOf(const std::string& member) const {
  auto id = ParseIdentity(member);
  if (!id.ok() || id->set_name != config_.id.set_name) {
    return InvalidArgument("'{}' is not a member of {}", Printable(member), config_.id.set_name);
  }
  const MemberAddress a = AddressOf(config_.layout, config_.id.set_name, id->ordinal);
  return DesiredSource{a.host, a.mysql_port, kReplicationUser};
}

bool Agent::CheckErrant(const std::string& leader, const ServerState& state, AgentSnapshot& snap) {
  const std::optional<ErrantVerdict> v = errant_check_.Run(leader, state);
  if (!errant_check_.last_error().empty()) {
    spdlog::debug("{}: {}", config_.id.pod_name, errant_check_.last_error());
  }
  // Verdicts against another leader do not count towards a re-clone against this one.
  if (leader != errant_leader_) {
    errant_leader_ = leader;
    errant_checks_in_a_row_ = 0;
  }
  if (!v) return false;  // cannot tell now: the last verdict stands
  if (v->found() && errant_checks_in_a_row_ == 0) errant_since_ = clock_.Now();
  errant_checks_in_a_row_ = v->found() ? errant_checks_in_a_row_ + 1 : 0;
  if (!v->found()) WithdrawReclone(snap);
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
  return true;
}

void Agent::AdvanceSwitchoverRequest(const ClusterView& view, const ServerState& state,
                                     AgentSnapshot& snap) {
  const ReplicationSourceOf source_of =
      [this](const std::string& member) -> Result<ReplicationSource> {
    ASSIGN_OR_RETURN(const DesiredSource d, SourceOf(member));
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
  // A new request has a new id (it may be a Put over a finished one: same create revision).
  if (std::string seen = SwitchoverRequestIdentity(ctx.request); switchover_seen_.first != seen) {
    switchover_seen_ = {std::move(seen), clock_.Now()};
  }
  ctx.first_seen = switchover_seen_.second;
  ctx.own_lease = lease_;
  ctx.before_fence_deadline = deadline_ && clock_.Now() < *deadline_;
  ctx.fence_deadline = deadline_;
  ctx.lease_safe_seconds =
      std::chrono::duration<double>(config_.lease.ttl - config_.lease.margin).count();
  ctx.self_writable = snap.writable;
  ctx.commits_stuck = state.reachable && state.semi_sync_master_enabled &&
                      state.semi_sync_master_wait_sessions > 0 && view.sync.empty();
  ctx.commits_waiting = state.reachable ? state.semi_sync_master_wait_sessions : 0;
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

void Agent::BackOffReplicationStarts(const ServerState& state, std::vector<Action>& actions) {
  const auto since =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now() - replication_started_at_);
  if (state.replica && ReplicationRanCleanly(*state.replica, since)) replication_starts_ = 0;
  const bool after_error = state.replica && StoppedOnError(*state.replica);
  for (auto it = actions.begin(); it != actions.end();) {
    if (it->kind == ActionKind::kConfigureReplication) replication_starts_ = 0;  // a new source
    if (it->kind == ActionKind::kStartReplication && after_error) {
      if (!ReplicationRestartDue({replication_starts_, since})) {
        spdlog::debug("{}: not starting replication yet ({} starts so far): {}",
                      config_.id.pod_name, replication_starts_, it->reason);
        it = actions.erase(it);
        continue;
      }
      ++replication_starts_;
      replication_started_at_ = clock_.Now();
    }
    ++it;
  }
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

double Agent::LeaseLeftSeconds() const {
  if (!deadline_) return 0;
  return std::max(0.0, std::chrono::duration<double>(*deadline_ - clock_.Now()).count());
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
  r.gtid_io = known.replica ? known.replica->gtid_io_pos : "";
  // Unanswered: published as not acking (a dead server acks nothing; a frozen one that
  // resumes is the window docs/roles.md "Semi-sync" names).
  // May it ack? The flag (on: acks once its IO thread starts) or the IO thread's live status
  // (still acking after the flag went off, until the thread restarts). A server that did not
  // answer keeps what was last seen, unless it refused the connection (down: it acks
  // nothing): a frozen one may resume acking before its agent turns the flag off, and the
  // leader must not name another sync replica meanwhile (docs/roles.md "Semi-sync").
  const bool down =
      !state.reachable && state.unreachable_reason.find("Can't connect") != std::string::npos;
  if (state.reachable) {
    may_ack_ = state.semi_sync_slave_enabled || state.semi_sync_slave_status;
  } else if (down) {
    may_ack_ = false;
  }
  r.semi_sync_replica = may_ack_;
  if (down) received_from_ = {};  // its relay log is purged when it starts again
  r.received_from = received_from_.first;
  r.received_epoch = received_from_.second;
  r.semi_sync_primary = state.reachable && state.semi_sync_master_enabled;
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

void Agent::Campaign(const ClusterView& view, const GtidList& gtid, AgentSnapshot& snap) {
  formats::LeaderRecord r;
  r.name = config_.id.pod_name;
  r.epoch = (view.last_leader ? view.last_leader->epoch : 0) + 1;
  r.since_unix_ms = clock_.UnixMillis();
  const std::string value = formats::ToJson(r);
  formats::HistoryRecord h;
  h.epoch = r.epoch;
  h.name = r.name;
  h.from = view.last_leader ? view.last_leader->name : "";
  h.reason = snap.decision.epoch_reason.empty() ? kEpochElection : snap.decision.epoch_reason;
  h.gtid = gtid.ToString();
  h.since_unix_ms = r.since_unix_ms;
  // Nobody leads, and nobody took the key since this view: the last leader is unchanged. A
  // forced failover request is answered by any new leader: left behind, it would name this
  // member again once it is the one lost.
  auto won =
      store_.Txn({TxnCompare::Absent(keys_.Leader()),
                  TxnCompare::ModRevision(keys_.LastLeader(), view.last_leader_mod_revision)},
                 {TxnOp::Put(keys_.Leader(), value, lease_), TxnOp::Put(keys_.LastLeader(), value),
                  TxnOp::Put(keys_.History(r.epoch), formats::ToJson(h)),
                  TxnOp::Delete(keys_.ForcedFailover())});
  snap.last_actions.push_back("campaign: " + snap.decision.reason);
  if (!won.ok()) {
    snap.last_error = "campaign: " + won.status().message();
    spdlog::warn("{}: campaign: {}", config_.id.pod_name, won.status().message());
  } else if (*won) {
    took_key_ = true;
    spdlog::info("{}: took the leader key (epoch {}, {})", config_.id.pod_name, r.epoch, h.reason);
  } else {
    spdlog::info("{}: campaign lost: someone else changed the leader keys first",
                 config_.id.pod_name);
  }
}

bool Agent::ReadyToCampaign(const ClusterView& view, const ServerState& state, GtidList& gtid,
                            AgentSnapshot& snap) {
  gtid = state.gtid_binlog;
  const std::string& why = snap.decision.epoch_reason;
  if (why != kEpochFailover && why != kEpochForced) return true;
  const PeerDbFactory no_peers = [](const std::string& member) -> Result<std::unique_ptr<Db>> {
    return FailedPrecondition("this agent cannot connect to {}", member);
  };
  FailoverFenceContext ctx{.self = config_.id.pod_name,
                           .view = view,
                           .self_db = db_,
                           .peer_db = config_.peer_db ? config_.peer_db : no_peers};
  auto ready = FenceForFailover(ctx);
  if (!ctx.progress.empty()) {
    snap.last_actions.push_back("failover fence: " + ctx.progress);
    spdlog::info("{}: failover fence: {}", config_.id.pod_name, ctx.progress);
  }
  if (!ready.ok()) {
    snap.last_error = "failover fence: " + ready.status().message();
    spdlog::warn("{}: failover fence: {}", config_.id.pod_name, ready.status().message());
    return false;
  }
  gtid = ctx.gtid;
  return *ready;
}

bool Agent::ReleaseIfServerDead(const ClusterView& view, bool restarted, AgentSnapshot& snap) {
  const Release r = ReleaseLeadership(config_.id.pod_name, view, consecutive_failures_, restarted,
                                      clock_.UnixMillis(), config_.failover);
  if (!r.release || !view.leader) return false;
  // Only the key this agent holds, as read: never one a switchover already moved.
  auto released = store_.Txn({TxnCompare::ModRevision(keys_.Leader(), view.leader->mod_revision)},
                             {TxnOp::Delete(keys_.Leader())});
  if (!released.ok() || !*released) {
    snap.last_error =
        "release the leader key: " +
        (released.ok() ? std::string("it changed meanwhile") : released.status().message());
    return false;
  }
  spdlog::warn("{}: {}", config_.id.pod_name, r.reason);
  snap.decision = {RoleVerdict::kFence, "", false, r.reason};
  // The server may only be hung or stopped: the ladder kills it if SQL cannot fence it, and
  // whatever restarts it brings it back read-only, as a replica of the new primary.
  Fence(r.reason, snap);
  return true;
}

void Agent::CountEpochs(const ClusterView& view, AgentSnapshot& snap) {
  if (!view.last_epoch) {
    if (!epoch_seen_) epoch_seen_ = 0;
    return;
  }
  const EpochView& e = *view.last_epoch;
  snap.last_epoch = e;
  if (epoch_seen_ && e.epoch > *epoch_seen_) {
    if (e.reason == kEpochFailover || e.reason == kEpochForced) ++snap.failovers;
    if (e.reason == kEpochSwitchover) ++snap.switchovers;
  }
  if (!epoch_seen_ || e.epoch > *epoch_seen_) epoch_seen_ = e.epoch;
}

Status Agent::FenceBySql(Db& db, FenceCounters& counters) {
  // Retried once on a lost connection: the other fencer (the tick or the watchdog) kills
  // this connection's idle session too, as one of a READ ONLY ADMIN account.
  Status st = db.FenceReadOnly();
  if (st.code() == StatusCode::kUnavailable) st = db.FenceReadOnly();
  RETURN_IF_ERROR(st);
  ++counters.read_only;
  ASSIGN_OR_RETURN(int killed, db.KillReadOnlyAdminSessions());
  counters.kill_sessions += static_cast<uint64_t>(killed);
  return Status::Ok();
}

bool Agent::FenceIsLate(std::chrono::steady_clock::time_point deadline) const {
  // Only with semi-sync: without it no commit waits for an ack, so read_only=1 does not
  // block, and a kill would truncate a tail asynchronous replicas may already hold.
  return config_.semi_sync && clock_.Now() >= deadline + config_.lease.margin;
}

void Agent::Fence(const std::string& why, AgentSnapshot& snap, bool late) {
  spdlog::warn("{}: fencing: {}", config_.id.pod_name, why);
  snap.last_actions.push_back("fence: " + why);
  role_ = Role::kReplica;
  snap.role = role_;
  snap.lead_deadline.reset();
  std::lock_guard<std::mutex> fencing(fence_mu_);
  if (late) {
    // Another member may be writable already: read_only=1 could wait a second behind a
    // commit stuck waiting for an ack (HA.md pitfall 3), so kill at once; the restart brings
    // the server back read-only (and truncates what was never acknowledged).
    spdlog::error("{}: fencing late ({}): killing mariadbd", config_.id.pod_name, why);
    if (Status k = killer_.KillServer(); k.ok()) {
      ++snap.fencing.kill_server;
      snap.last_actions.push_back("fence: mariadbd killed (late)");
      snap.writable = false;
      fenced_ = true;
      return;
    }
  }
  const uint64_t read_only_before = snap.fencing.read_only;
  const Status st = FenceBySql(db_, snap.fencing);
  if (snap.fencing.read_only > read_only_before) snap.writable = false;
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

bool Agent::FenceIfPastDeadline(Db& db) {
  std::chrono::steady_clock::time_point deadline;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (snapshot_.role != Role::kPrimary || !snapshot_.lead_deadline) return false;
    deadline = *snapshot_.lead_deadline;
    if (watchdog_fenced_for_ == deadline || clock_.Now() < deadline) return false;
    watchdog_fenced_for_ = deadline;
  }
  spdlog::warn("{}: fence watchdog: the fence deadline passed during a tick; fencing",
               config_.id.pod_name);
  FenceCounters done;
  std::lock_guard<std::mutex> fencing(fence_mu_);
  // Late (the whole agent was stopped, say): kill first, as Fence does.
  const Status st = FenceIsLate(deadline) ? Status(Internal("fencing late: the lease may be gone"))
                                          : FenceBySql(db, done);
  if (!st.ok()) {
    spdlog::error("{}: fence watchdog: fencing by SQL failed ({}); killing mariadbd",
                  config_.id.pod_name, st.message());
    if (Status k = killer_.KillServer(); k.ok()) {
      ++done.kill_server;
    } else {
      spdlog::error("{}: fence watchdog: cannot kill mariadbd: {}", config_.id.pod_name,
                    k.message());
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  snapshot_.writable = false;
  for (FenceCounters* c : {&snapshot_.fencing, &watchdog_pending_}) {
    c->read_only += done.read_only;
    c->kill_sessions += done.kill_sessions;
    c->kill_server += done.kill_server;
  }
  return true;
}

void Agent::RunOnce() {
  AgentSnapshot snap;
  {
    // What the watchdog does from here on is added at the end (it writes snapshot_ too).
    std::lock_guard<std::mutex> lock(mu_);
    snap = snapshot_;
    watchdog_pending_ = {};
  }
  took_key_ = false;
  snap.ticks++;
  snap.last_actions.clear();
  // 1. Before anything else (a stall, a slow call may have passed it): a leader whose lease
  // may have expired must not stay writable one instant longer.
  if (role_ == Role::kPrimary && (!deadline_ || clock_.Now() >= *deadline_)) {
    Fence("the fence deadline passed (last keepalive too long ago)", snap,
          deadline_ && FenceIsLate(*deadline_));
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
  // A restart between two ticks (a crash the supervisor restarted before a tick saw it
  // down): the server's start time, now - Uptime, moved. Uptime counts whole seconds, so
  // the estimate jitters by up to 1 s; a move of 2 s or more is a restart.
  bool server_restarted = false;
  if (state.reachable && state.uptime_seconds >= 0) {
    const auto started = clock_.Now() - std::chrono::seconds(state.uptime_seconds);
    server_restarted = server_started_ && started > *server_started_ + std::chrono::seconds(2);
    if (!server_started_) LoadDrainRecord(state);
    if (!server_started_ || server_restarted) server_started_ = started;
    if (server_restarted) received_from_ = {};
  }

  // 3-4. Lease, members/<self>, the cluster's keys.
  std::optional<ClusterView> view;
  if (KeepLease(state, snap)) view = ReadView();
  snap.store_ok = view.has_value();
  if (view) switchover_pending_ = view->switchover_pending;
  snap.switchover_candidate =
      view ? view->switchover_pending && view->switchover_to == config_.id.pod_name
           : snap.switchover_candidate;
  leader_record_tracked_ = false;
  if (view) TrackLeaderHeartbeat(*view);

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
  in.now_unix_ms = clock_.UnixMillis();
  in.failover_cool_down = config_.failover.cool_down;
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
      spdlog::info("{}: leader is {} (epoch {})", config_.id.pod_name, Printable(leader),
                   view->leader->epoch);
      if (decision.verdict == RoleVerdict::kWait) {
        spdlog::error("{}: {}", config_.id.pod_name, decision.reason);
      }
    }
    // The first leader this agent sees is no change (startup_tick covers a start).
    if (leader != leader_seen_ && any_leader_seen_) leader_changed_at_ = clock_.Now();
    leader_seen_ = leader;
    any_leader_seen_ = any_leader_seen_ || !leader.empty();
    snap.leader = leader;
    CountEpochs(*view, snap);
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
      errant_checks_in_a_row_ = 0;
      WithdrawReclone(snap);  // a leader keeps its data
      // A dead mariadbd: hand over to the sync replica rather than race its restart; so too
      // one that restarted under this primary (its start time moved): its recovery may
      // have committed a tail no replica received (failover.h). Read-only alone is no sign of a
      // restart: the fence watchdog makes a primary read-only when a tick overran its deadline.
      const bool restarted =
          role_ == Role::kPrimary && server_restarted && !decision.switchover && !handing_over_;
      if ((!state.reachable || restarted) && view && ReleaseIfServerDead(*view, restarted, snap)) {
        role_ = Role::kReplica;
        decision = snap.decision;  // released: nothing below may act as the leader this tick
        break;
      }
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
    case RoleVerdict::kFollow: {
      role_ = Role::kReplica;
      // DecideRole follows members of this set only; this guards the invariant without an
      // abort.
      Result<DesiredSource> source = SourceOf(decision.leader);
      if (!source.ok()) {
        snap.last_error = source.status().message();
        break;
      }
      source_ = *source;
      if (view && view->leader && StreamsFrom(state, source_)) {
        received_from_ = {decision.leader, view->leader->epoch};
      }
      actions = PlanActions(Role::kReplica, state, source_, CloneStatus());
      BackOffReplicationStarts(state, actions);
      // After Gather (step 2): the primary's position must be read after this replica's.
      // Only on a verdict made this tick, against this leader. Not while the leader is
      // late: its server may be frozen with it, and the check's timeouts would hold this
      // tick just as the lease may expire (the last verdict stands).
      if (!LeaderLateNow() && CheckErrant(decision.leader, state, snap) && view) {
        RequestRecloneIfDue(*view, decision.leader, snap);
      }
      break;
    }
    case RoleVerdict::kCampaign: {
      role_ = Role::kReplica;
      GtidList gtid;
      if (ReadyToCampaign(*view, state, gtid, snap)) Campaign(*view, gtid, snap);
      break;
    }
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
  // SEMI-SYNC CALL SITE (agent/sync_step.h): the leader publishes the sync key, then arms its
  // master side, before its actions may make it writable; replicas set their slave side.
  const SyncOutcome sync =
      config_.semi_sync
          ? sync_.Run({view, decision, state, lease_, snap.epoch,
                       deadline_.has_value() && clock_.Now() < *deadline_, LeaseLeftSeconds()})
          : SyncOutcome{};
  if (sync.hold_writable) {
    std::erase_if(actions, [](const Action& a) { return a.kind == ActionKind::kSetWritable; });
  }
  for (const std::string& a : sync.actions) snap.last_actions.push_back("semi-sync: " + a);
  if (!sync.error.empty()) snap.last_error = "semi-sync: " + sync.error;
  if (view) snap.sync = sync.sync;
  settling_ = view && Settling(SettleInputOf(decision.verdict, state, view->sync, snap));
  snap.semi_sync = sync.note;
  snap.role = role_;
  bool reporting = false;
  for (const auto& a : actions) reporting |= a.kind == ActionKind::kReportReplicationError;
  if (!reporting) snap.replication_error.clear();
  Act(actions, snap);
  if (view && switchover_request_) AdvanceSwitchoverRequest(*view, state, snap);
  snap.lead_deadline = role_ == Role::kPrimary ? deadline_ : std::nullopt;

  // Readiness reflects the state as gathered: actions taken now show on the next tick.
  snap.state = state;
  snap.updated = clock_.Now();
  if (role_ == Role::kPrimary) {
    snap.in_sync_at.reset();
  } else if (state.reachable && state.replica && state.replica->io == ThreadState::kYes &&
             state.replica->sql == ThreadState::kYes && state.replica->seconds_behind &&
             *state.replica->seconds_behind <= config_.policy.max_lag_seconds) {
    snap.in_sync_at = snap.updated;
  }
  // Any stream from a live source counts, caught up or not: a replica still catching up when
  // its leader went away is not ready (it must not count as available on Kubernetes).
  served_since_start_ =
      served_since_start_ || role_ == Role::kPrimary ||
      (state.reachable && state.replica && state.replica->io == ThreadState::kYes);
  snap.awaiting_election =
      view && !view->leader && !served_since_start_ && role_ == Role::kReplica &&
      (decision.verdict == RoleVerdict::kWait || decision.verdict == RoleVerdict::kCampaign);
  snap.awaiting_sync_replica = role_ == Role::kPrimary && sync.waits_for_replica;
  snap.readiness = ReadinessOf(snap, /*state_age_seconds=*/0.0);
  // Ready only while it waits for the election (or on stale reads) is not ready in its role:
  // a fresh primary is that for a moment before it takes the key, and must keep the startup
  // tick until it is writable (else it waits a whole tick for that).
  been_ready_ = been_ready_ ||
                (snap.readiness.ready && snap.readiness.awaiting_election.empty() &&
                 snap.readiness.awaiting_replica.empty() && snap.readiness.stale_reads.empty());
  if (state.reachable && snap.last_actions.empty()) snap.last_error.clear();
  std::lock_guard<std::mutex> lock(mu_);
  snap.fencing.read_only += watchdog_pending_.read_only;
  snap.fencing.kill_sessions += watchdog_pending_.kill_sessions;
  snap.fencing.kill_server += watchdog_pending_.kill_server;
  // The watchdog fenced during this tick: the server is read-only whatever was gathered.
  if (watchdog_pending_.read_only > 0 || watchdog_pending_.kill_server > 0) snap.writable = false;
  watchdog_pending_ = {};
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
  // Writes wait from the old primary's loss (or read_only) to the new one's writable.
  if (switchover_pending_ || took_key_ || settling_) {
    delay = std::min(delay, config_.switchover_tick);
  }
  if (config_.startup_tick.count() > 0 && !been_ready_ &&
      clock_.Now() - agent_started_ < config_.startup_window) {
    delay = std::min(delay, config_.startup_tick);
  }
  if (role_ == Role::kPrimary && deadline_) {
    const auto left = std::chrono::ceil<milliseconds>(*deadline_ - clock_.Now());
    delay = std::clamp(left, milliseconds(0), delay);
  }
  return delay;
}

void Agent::TrackLeaderHeartbeat(const ClusterView& view) {
  const MemberView* leader = view.leader ? FindMemberView(view, view.leader->name) : nullptr;
  if (leader == nullptr || leader->name == config_.id.pod_name) return;
  const std::pair<std::string, int64_t> record{leader->name, leader->record_revision};
  if (record != leader_record_) {
    leader_record_ = record;
    leader_record_moved_at_ = clock_.Now();
  }
  leader_record_tracked_ = true;
}

bool Agent::LeaderLateNow() const {
  // Measured now, not when the view was read: a tick held by a frozen leader's server (the
  // errant check's timeouts) must not leave a whole tick to wait before the next look.
  return leader_record_tracked_ &&
         LeaderHeartbeatLate(std::chrono::duration_cast<std::chrono::milliseconds>(
                                 clock_.Now() - leader_record_moved_at_),
                             config_.tick, config_.lease.ttl);
}

SettleInput Agent::SettleInputOf(RoleVerdict verdict, const ServerState& state,
                                 const std::string& sync, const AgentSnapshot& snap) const {
  SettleInput in;
  in.verdict = verdict;
  in.reachable = state.reachable;
  in.semi_sync = config_.semi_sync;
  in.writable = state.reachable && !state.read_only;
  in.sync = sync;
  in.self = config_.id.pod_name;
  in.acks = state.semi_sync_slave_status;
  in.replicating = state.replica && state.replica->io == ThreadState::kYes &&
                   state.replica->sql == ThreadState::kYes;
  in.replication_broken = !snap.errant_gtids.empty() || snap.diverged ||
                          (state.replica && (state.replica->last_sql_errno != 0 ||
                                             state.replica->last_io_errno == kErrorReadingBinlog));
  in.window = config_.settle_window;
  in.leader_late = LeaderLateNow();
  in.since_leader_change = leader_changed_at_
                               ? std::chrono::duration_cast<std::chrono::milliseconds>(
                                     clock_.Now() - *leader_changed_at_)
                               : in.window;
  return in;
}

bool Agent::ServesPrimary(const AgentSnapshot& snap, std::chrono::steady_clock::time_point now) {
  return snap.role == Role::kPrimary && snap.decision.verdict == RoleVerdict::kLead &&
         snap.lead_deadline && now < *snap.lead_deadline && snap.state.reachable && snap.writable;
}

bool Agent::ServesReplica(const AgentSnapshot& snap, const Readiness& r) {
  if (snap.role != Role::kReplica || !r.ready) return false;
  // The router's read backend drops a server only a check or two after /replica fails: a
  // candidate that left it only once it led would take reads meant for replicas meanwhile.
  if (snap.switchover_candidate) return false;
  const RoleVerdict v = snap.decision.verdict;
  if (v == RoleVerdict::kFollow) return true;
  return (v == RoleVerdict::kWait || v == RoleVerdict::kCampaign) && !r.stale_reads.empty();
}

}  // namespace mysqlset
