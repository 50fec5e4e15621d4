#pragma once
// The agents' side of a switchover (docs/roles.md "Switchover"): the primary takes its
// request from "requested" to "handed_over", the candidate marks it "done". The decisions are
// core/switchover.h's; this runs them against the server, the candidate's server and the
// store. The agent's tick calls AdvanceSwitchover while a request is in the store.
//
// MASTER_GTID_WAIT runs for at most `gtid_wait` per call (1 s), not the 10 s of the protocol
// text: a tick blocked for longer would miss its keepalive and lose the very lease it is
// handing over. It is retried every tick until the request times out.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/status.h"
#include "core/leadership.h"
#include "core/server_state.h"
#include "env/clock.h"
#include "env/coord_store.h"
#include "env/db.h"
#include "formats/store_records.h"

namespace mysqlset {

// An admin connection to another member's mariadbd, by name ("mysql-2").
using PeerDbFactory = std::function<Result<std::unique_ptr<Db>>(const std::string& member)>;
// Where a member's server is, as a replication source (host, port, repl account).
using ReplicationSourceOf = std::function<Result<ReplicationSource>(const std::string& member)>;

struct SwitchoverContext {
  std::string self;
  const formats::StoreKeys& keys;
  CoordStore& store;
  Db& self_db;
  const PeerDbFactory& peer_db;
  const ReplicationSourceOf& source_of;
  const Clock& clock;
  StoredValue request;      // the "switchover" key read this tick; updated as it advances
  const ClusterView& view;  // the same read
  int64_t own_lease = 0;
  bool before_fence_deadline = false;  // own lease certainly alive
  // The fence deadline (nullopt: none): the time left is read before each step, since one
  // tick may take several (AdvanceSwitchover).
  std::optional<std::chrono::steady_clock::time_point> fence_deadline;
  double lease_safe_seconds = 2.5;  // TTL less the fence margin
  bool self_writable = false;       // read_only=0 as gathered this tick
  bool commits_stuck = false;       // see SwitchoverObservation::commits_stuck
  // Commits waiting for a semi-sync ack as gathered this tick (Rpl_semi_sync_master_wait_
  // sessions): a read_only=1 that failed then failed behind them, and the request fails at
  // once rather than retry until its timeout (AdvanceSwitchover).
  int64_t commits_waiting = 0;
  // When this agent first read this request, on its own steady clock: the timeout counts
  // from there, not from requested_at, which the requester's node stamped with its own wall
  // clock (another node's clock may be off by more than the timeout).
  std::chrono::steady_clock::time_point first_seen{};
  // Shorter than the request's 30 s lease, so that the requester still sees "failed" before
  // the key expires (this agent sees a request within a tick of its creation).
  std::chrono::milliseconds timeout{20000};
  std::chrono::milliseconds gtid_wait{1000};  // one MASTER_GTID_WAIT
  std::string progress;                       // out: the last step taken, in words ("" when none)
};

// Which request a "switchover" key holds, for telling a new request from the one seen before:
// its id ("" when the value does not parse: then the whole value). Not the key's create
// revision: a request that replaces a finished one is a Put over the same key, which keeps
// it, and the primary then counted the new request's timeout from when it first read the old
// one (the nemesis, tests/nemesis seed 101: a switchover asked 20 s after the previous one
// failed at once, "timed out in state requested").
std::string SwitchoverRequestIdentity(const StoredValue& request);

// Takes as many steps as it can now (each one written to the store before the next), and
// returns. OK also when there was nothing to do or the candidate has not caught up yet.
// An error is for the log: the request stays as it was in the store, and the next tick
// decides again (a timeout then fails it).
Status AdvanceSwitchover(SwitchoverContext& ctx);

}  // namespace mysqlset
