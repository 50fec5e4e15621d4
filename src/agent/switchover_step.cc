#include "agent/switchover_step.h"

#include <algorithm>
#include <vector>

#include "core/errant.h"
#include "core/failover.h"
#include "core/switchover.h"
#include "fmt/format.h"
#include "spdlog/spdlog.h"

namespace mysqlset {
namespace {

SwitchoverObservation Observe(const SwitchoverContext& ctx, const formats::SwitchoverRequest& r,
                              SwitchoverState state) {
  SwitchoverObservation o;
  o.self = ctx.self;
  o.from = r.from;
  o.to = r.to;
  o.state = state;
  o.self_holds_leader = ctx.view.leader && ctx.view.leader->name == ctx.self &&
                        ctx.own_lease != 0 && ctx.view.leader->lease == ctx.own_lease;
  o.before_fence_deadline = ctx.before_fence_deadline;
  o.lease_left_seconds =
      ctx.fence_deadline
          ? std::max(0.0,
                     std::chrono::duration<double>(*ctx.fence_deadline - ctx.clock.Now()).count())
          : 0.0;
  o.lease_safe_seconds = ctx.lease_safe_seconds;
  o.self_writable = ctx.self_writable;
  o.commits_stuck = ctx.commits_stuck;
  const MemberView* candidate = FindMemberView(ctx.view, r.to);
  o.candidate_registered = candidate != nullptr;
  o.candidate_reachable = candidate && candidate->mysql_reachable;
  o.timed_out = ctx.clock.Now() - ctx.first_seen > ctx.timeout;
  return o;
}

// Writes `next` over the request as read (same lease), with `ops`, if the request and
// `compares` are unchanged. kFailedPrecondition when someone else changed either first.
Status Write(SwitchoverContext& ctx, const formats::SwitchoverRequest& next,
             std::vector<TxnCompare> compares = {}, std::vector<TxnOp> ops = {}) {
  const std::string value = formats::ToJson(next);
  compares.push_back(TxnCompare::Value(ctx.keys.Switchover(), ctx.request.value));
  ops.push_back(TxnOp::Put(ctx.keys.Switchover(), value, ctx.request.lease));
  ASSIGN_OR_RETURN(bool done, ctx.store.Txn(compares, ops));
  if (!done) {
    return FailedPrecondition(
        "switchover {}: the request or the leader changed in the store meanwhile", next.id);
  }
  ctx.request.value = value;
  ctx.progress = next.message;
  return Status::Ok();
}

formats::SwitchoverRequest Next(const SwitchoverContext& ctx, formats::SwitchoverRequest r,
                                SwitchoverState state, std::string message) {
  r.state = SwitchoverStateName(state);
  r.message = std::move(message);
  r.updated_unix_ms = ctx.clock.UnixMillis();
  return r;
}

Status GoReadOnly(SwitchoverContext& ctx, const formats::SwitchoverRequest& r) {
  RETURN_IF_ERROR(ctx.self_db.SetReadOnlyKillingAdminSessions());
  // No FLUSH LOGS: every commit is in gtid_binlog_pos once read_only=1 returned, and the
  // candidate's IO thread reads the binlog as it is written, rotated or not.
  ServerState state;
  RETURN_IF_ERROR(ctx.self_db.ReadState(state));
  formats::SwitchoverRequest next =
      Next(ctx, r, SwitchoverState::kReadOnly, fmt::format("{} read-only", ctx.self));
  next.gtid = state.gtid_binlog.ToString();
  return Write(ctx, next);
}

// Returns whether the candidate caught up.
// True once the candidate applied everything up to the request's GTID. `errant` is set (and
// false returned) when the candidate then holds more than that: transactions this primary
// never wrote, read fresh from both servers (the member records the request was checked
// against may be a moment apart).
Result<bool> WaitForCandidate(SwitchoverContext& ctx, const formats::SwitchoverRequest& r,
                              std::string* errant) {
  ASSIGN_OR_RETURN(std::unique_ptr<Db> peer, ctx.peer_db(r.to));
  const double seconds = std::chrono::duration<double>(ctx.gtid_wait).count();
  ASSIGN_OR_RETURN(bool reached, peer->MasterGtidWait(r.gtid, seconds));
  if (!reached) return false;
  ServerState candidate;
  RETURN_IF_ERROR(peer->ReadState(candidate));
  // This server read AFTER the candidate: exact (core/errant.h). Not G: a READ ONLY ADMIN
  // commit after G may already be on the candidate (HandOver catches it and retries), and
  // against G it would look errant.
  ServerState primary;
  RETURN_IF_ERROR(ctx.self_db.ReadState(primary));
  if (!ErrantGtids(candidate.gtid_binlog, primary.gtid_binlog, GtidReadOrder::kPrimaryAfterReplica)
           .empty()) {
    *errant = fmt::format(
        "{} holds transactions the primary {} lacks (errant GTIDs: {} vs the primary's {}); "
        "re-clone it",
        r.to, ctx.self, candidate.gtid_binlog.ToString(), primary.gtid_binlog.ToString());
    return false;
  }
  RETURN_IF_ERROR(Write(ctx, Next(ctx, r, SwitchoverState::kCaughtUp,
                                  fmt::format("{} caught up to {}", r.to, r.gtid))));
  return true;
}

Status HandOver(SwitchoverContext& ctx, const formats::SwitchoverRequest& r,
                const ReplicationSource& source) {
  const MemberView* candidate = FindMemberView(ctx.view, r.to);
  if (!candidate || !ctx.view.leader)
    return FailedPrecondition("switchover {}: candidate gone", r.id);
  ServerState before;
  RETURN_IF_ERROR(ctx.self_db.ReadState(before));
  const bool semi_sync = before.semi_sync_master_enabled;
  RETURN_IF_ERROR(ctx.self_db.DemoteToReplicaOf(source));
  // HA.md switchover step 4: the master side goes off before this server replicates (on a
  // replica it hangs the SQL thread, pitfall 2). Turning it off acknowledges every commit
  // waiting for an ack (pitfall 5), which is safe only here: read_only=1 returned, G was read
  // after it (a waiting commit is already in gtid_binlog_pos), and the candidate applied G,
  // so every commit it releases is on the candidate. A commit after G (READ ONLY ADMIN) is
  // caught just below and the master side goes on again; one landing in between is
  // acknowledged before the candidate has it, which only losing this server before the
  // candidate catches up (waited for below) would lose.
  if (semi_sync) RETURN_IF_ERROR(ctx.self_db.SetSemiSyncPrimary(false));
  auto rearm = [&] {
    if (!semi_sync) return;
    Status st = ctx.self_db.SetSemiSyncPrimary(true);
    if (!st.ok()) spdlog::warn("switchover {}: semi-sync primary side on: {}", r.id, st.message());
  };
  // Sessions holding READ ONLY ADMIN ignore read_only, and a killed one can log in again
  // through the write endpoint until it turns away: if anything committed after G, the
  // candidate lacks it. Back to read_only with the new position (its sessions killed again),
  // and wait for the candidate to catch up to that.
  ServerState now;
  RETURN_IF_ERROR(ctx.self_db.ReadState(now));
  ASSIGN_OR_RETURN(GtidList g, GtidList::Parse(r.gtid));
  if (!now.read_only || !(now.gtid_binlog == g)) {
    RETURN_IF_ERROR(ctx.self_db.ClearReplicationSource());
    rearm();
    RETURN_IF_ERROR(ctx.self_db.SetReadOnlyKillingAdminSessions());
    RETURN_IF_ERROR(ctx.self_db.ReadState(now));
    formats::SwitchoverRequest again =
        Next(ctx, r, SwitchoverState::kReadOnly,
             fmt::format("{} read-only (writes arrived after {})", ctx.self, r.gtid));
    again.gtid = now.gtid_binlog.ToString();
    return Write(ctx, again);
  }
  const uint64_t last_epoch =
      ctx.view.last_leader ? ctx.view.last_leader->epoch : ctx.view.leader->epoch;
  formats::LeaderRecord leader{r.to, last_epoch + 1, ctx.clock.UnixMillis()};
  const std::string leader_json = formats::ToJson(leader);
  // The candidate holds exactly G: it caught up to it, and this server wrote nothing since.
  const formats::HistoryRecord history{leader.epoch,     r.to,   ctx.self,
                                       kEpochSwitchover, r.gtid, leader.since_unix_ms};
  Status st = Write(
      ctx,
      Next(
          ctx, r, SwitchoverState::kHandedOver,
          fmt::format("{} handed the primary role to {} (epoch {})", ctx.self, r.to, leader.epoch)),
      {TxnCompare::ModRevision(ctx.keys.Leader(), ctx.view.leader->mod_revision),
       TxnCompare::ModRevision(ctx.keys.LastLeader(), ctx.view.last_leader_mod_revision)},
      {TxnOp::Put(ctx.keys.Leader(), leader_json, candidate->lease),
       TxnOp::Put(ctx.keys.LastLeader(), leader_json),
       TxnOp::Put(ctx.keys.History(leader.epoch), formats::ToJson(history))});
  if (!st.ok()) {
    // Still the primary: undo the demotion so that it leads on as before.
    Status undo = ctx.self_db.ClearReplicationSource();
    if (!undo.ok()) spdlog::warn("switchover {}: {}", r.id, undo.message());
    rearm();
    return st;
  }
  // It follows the new primary from now on; its data is exactly what the candidate has.
  Status start = ctx.self_db.StartReplication();
  if (!start.ok()) spdlog::warn("switchover {}: start replication: {}", r.id, start.message());
  return Status::Ok();
}

Status Abort(SwitchoverContext& ctx, const formats::SwitchoverRequest& r, SwitchoverState state,
             const std::string& reason) {
  if (state == SwitchoverState::kCaughtUp) {
    // A hand-over that did not finish may have left the demotion behind.
    Status undo = ctx.self_db.ClearReplicationSource();
    if (!undo.ok()) spdlog::warn("switchover {}: {}", r.id, undo.message());
  }
  return Write(ctx, Next(ctx, r, SwitchoverState::kFailed, "switchover failed: " + reason));
}

}  // namespace

std::string SwitchoverRequestIdentity(const StoredValue& request) {
  auto r = formats::FromJson<formats::SwitchoverRequest>(request.value);
  if (r.ok() && !r->id.empty()) return "id:" + r->id;
  return "value:" + request.value;
}

Status AdvanceSwitchover(SwitchoverContext& ctx) {
  ctx.progress.clear();
  // At most one pass per state: requested, read_only, caught_up, handed_over.
  for (int pass = 0; pass < 4; ++pass) {
    ASSIGN_OR_RETURN(formats::SwitchoverRequest r,
                     formats::FromJson<formats::SwitchoverRequest>(ctx.request.value));
    std::optional<SwitchoverState> state = ParseSwitchoverState(r.state);
    if (!state) return InvalidArgument("switchover {}: unknown state '{}'", r.id, r.state);
    SwitchoverStep step = NextSwitchoverStep(Observe(ctx, r, *state));
    // The request names its target as text from the store: one that is no member of this
    // set has no address, and the request fails with that reason before anything changes.
    Result<ReplicationSource> source = ReplicationSource{};
    if (step.action == SwitchoverAction::kGoReadOnly ||
        step.action == SwitchoverAction::kWaitForCandidate ||
        step.action == SwitchoverAction::kHandOver) {
      source = ctx.source_of(r.to);
      if (!source.ok()) return Abort(ctx, r, *state, source.status().message());
    }
    switch (step.action) {
      case SwitchoverAction::kNone:
        if (!step.reason.empty()) {
          ctx.progress += (ctx.progress.empty() ? "" : "; ") + r.from + " " + step.reason;
        }
        return Status::Ok();
      case SwitchoverAction::kGoReadOnly: {
        Status st = GoReadOnly(ctx, r);
        if (!st.ok() && ctx.commits_waiting > 0) {
          // read_only=1 waits behind commits that wait for an ack (HA.md pitfall 3), and the
          // leader's ack nudge and stuck-commit release (agent/sync_step.cc) do not run while
          // its own switchover is pending: retried every tick, it held every write until the
          // 20 s timeout (the nemesis, tests/nemesis seed 4: a 26 s pause after the sync
          // replica was replaced). Fail now; the next tick's sync step releases them, and the
          // server was not made read-only (or the lead path makes it writable again).
          return Abort(ctx, r, *state,
                       fmt::format("could not go read-only while {} commit(s) wait for a "
                                   "semi-sync ack ({}): retry once writes flow again",
                                   ctx.commits_waiting, st.message()));
        }
        RETURN_IF_ERROR(st);
        break;
      }
      case SwitchoverAction::kWaitForCandidate: {
        std::string errant;
        ASSIGN_OR_RETURN(bool caught_up, WaitForCandidate(ctx, r, &errant));
        if (!errant.empty()) return Abort(ctx, r, *state, errant);
        if (!caught_up) return Status::Ok();
        break;
      }
      case SwitchoverAction::kHandOver:
        return HandOver(ctx, r, *source);
      case SwitchoverAction::kMarkDone:
        return Write(ctx, Next(ctx, r, SwitchoverState::kDone, fmt::format("{} is primary", r.to)));
      case SwitchoverAction::kAbort:
        return Abort(ctx, r, *state, step.reason);
    }
  }
  return Status::Ok();
}

}  // namespace mysqlset
