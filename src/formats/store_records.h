#pragma once
// The values mysqlset keeps in the coordination store (env/coord_store.h), under
// "/mysqlset/<cluster>/": docs/roles.md describes each key and who writes it. Pure: structs,
// JSON and key names. Fields may be added, none removed or renamed: agents of two releases
// share one store during an upgrade.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "formats/from_json.h"

namespace mysqlset::formats {

// The keys of one cluster.
struct StoreKeys {
  std::string prefix;  // "/mysqlset/<cluster>/"

  explicit StoreKeys(std::string_view cluster);
  std::string Leader() const;       // LeaderRecord, on the leader's lease
  std::string LastLeader() const;   // LeaderRecord of the latest epoch, no lease (for ever)
  std::string Initialized() const;  // InitializedRecord, created once, no lease
  std::string Switchover() const;   // SwitchoverRequest, on the requester's short lease
  std::string MembersPrefix() const;
  std::string Member(std::string_view name) const;  // MemberRecord, on the member's lease
  // SyncRecord: the one replica whose acks the primary waits for (issue 13). No lease:
  // written by the leader, compare-and-swap on its mod revision.
  std::string Sync() const;
  // HistoryRecord per epoch, "history/<epoch, 20 digits>", no lease, written in the txn
  // that takes the leader key (so the list is ordered and complete).
  std::string HistoryPrefix() const;
  std::string History(uint64_t epoch) const;
  // ForcedFailover: a person's explicit order to promote a named member although it is not
  // the sync replica (`mysqlset failover --force`), on the requester's short lease.
  std::string ForcedFailover() const;
};

// "leader" and "last_leader". The epoch counts primaries: each new holder of the leader key
// gets the last epoch + 1, in the same transaction that takes the key.
struct LeaderRecord {
  std::string name;  // "mysql-2"
  uint64_t epoch = 0;
  int64_t since_unix_ms = 0;
  bool operator==(const LeaderRecord&) const = default;
};

// "initialized": which member bootstrapped the cluster's data. Created if absent, once.
inline constexpr const char* kInitializedBootstrapping = "bootstrapping";
struct InitializedRecord {
  std::string by;
  int64_t at_unix_ms = 0;
  // kInitializedBootstrapping from the claim until its datadir is installed, then "done".
  // Absent (records from before it existed): done.
  std::string state = "done";
};

// "members/<name>": what each agent publishes about its member every tick. The leader
// election and switchover decide from these, never from pod readiness (HA.md pitfall 11).
struct MemberRecord {
  std::string name;
  uint32_t ordinal = 0;
  int64_t lease = 0;  // this agent's lease (a switchover hands the leader key to it)
  bool mysql_reachable = false;
  bool has_data = false;    // a datadir is installed and mariadbd answered with it
  std::string gtid_binlog;  // @@gtid_binlog_pos: everything this server holds
  std::string gtid_current;
  std::string role;                   // "primary" | "replica": what the agent acts as now
  bool writable = false;              // read_only=0 as last seen
  bool replicating = false;           // IO and SQL threads running without error
  std::string source;                 // "HOST:PORT" it replicates from; "" when none
  std::optional<double> lag_seconds;  // replicas; null when unknown
  bool ready = false;                 // /readyz verdict (shown, never used to elect)
  int64_t updated_unix_ms = 0;
  // Issue 13 (failover). Gtid_IO_Pos: everything this replica received (applied or not).
  std::string gtid_io;
  // rpl_semi_sync_slave_enabled=ON and the IO thread runs with it: this member acks.
  bool semi_sync_replica = false;
  // rpl_semi_sync_master_enabled=ON: commits on this server wait for a replica's ack.
  bool semi_sync_primary = false;
  // Transactions this member holds that the primary never had (core/errant.h), as a GTID
  // list; "" when none or not known. A member with errant GTIDs is never promoted.
  std::string errant_gtids;
  // The leader (and its epoch) this member's mariadbd has streamed from since it last
  // started; "" when none. A restart purges the relay log, which may have held writes this
  // member acknowledged, so a sync replica that restarted since it received from a lost
  // leader is not promoted by failover (core/failover.cc).
  std::string received_from;
  uint64_t received_epoch = 0;
};

// "sync": the designated semi-sync replica. Published by the leader *before* that replica
// enables its semi-sync side (HA.md pitfall 8): whoever fails over trusts this key to name
// the only member that may hold acknowledged writes the others lack.
struct SyncRecord {
  std::string name;    // "" : none designated (no replica, or semi-sync off)
  uint64_t epoch = 0;  // the leader epoch that designated it
  int64_t since_unix_ms = 0;
  bool operator==(const SyncRecord&) const = default;
};

// "history/<epoch>": one entry per primary epoch.
struct HistoryRecord {
  uint64_t epoch = 0;
  std::string name;    // the primary of this epoch
  std::string from;    // the previous primary ("" for the first)
  std::string reason;  // "bootstrap" | "election" | "switchover" | "failover" | "forced"
  std::string gtid;    // the new primary's gtid_binlog_pos when it took the key
  int64_t since_unix_ms = 0;
  bool operator==(const HistoryRecord&) const = default;
};

// "forced_failover": promote `to` although the sync replica is lost (it may lack
// acknowledged writes: the command says so before it writes this).
struct ForcedFailover {
  std::string to;
  std::string reason;  // what the person typed or the command's default wording
  int64_t requested_at_unix_ms = 0;
};

// "switchover": one request at a time. Written by whoever asks (an agent's POST
// /v1/switchover) with create-if-absent; the primary's agent advances `state`.
struct SwitchoverRequest {
  std::string id;    // random, shown to the requester
  std::string from;  // the primary when asked
  std::string to;    // the candidate, chosen when asked when the request named none
  // "requested" -> "read_only" -> "caught_up" -> "handed_over" -> "done", or "failed".
  std::string state = "requested";
  std::string gtid;     // the old primary's gtid_binlog_pos once read-only
  std::string message;  // why it failed, or the last step in words
  int64_t requested_at_unix_ms = 0;
  int64_t updated_unix_ms = 0;
};

std::string ToJson(const LeaderRecord& r);
std::string ToJson(const InitializedRecord& r);
std::string ToJson(const MemberRecord& r);
std::string ToJson(const SwitchoverRequest& r);
std::string ToJson(const SyncRecord& r);
std::string ToJson(const HistoryRecord& r);
std::string ToJson(const ForcedFailover& r);
// Required: LeaderRecord "name"; InitializedRecord "by"; MemberRecord "name";
// SwitchoverRequest "id", "from", "to", "state"; SyncRecord "name"; HistoryRecord "name";
// ForcedFailover "to". Other fields default when absent.
template <>
Result<LeaderRecord> FromJson<LeaderRecord>(std::string_view text);
template <>
Result<InitializedRecord> FromJson<InitializedRecord>(std::string_view text);
template <>
Result<MemberRecord> FromJson<MemberRecord>(std::string_view text);
template <>
Result<SwitchoverRequest> FromJson<SwitchoverRequest>(std::string_view text);
template <>
Result<SyncRecord> FromJson<SyncRecord>(std::string_view text);
template <>
Result<HistoryRecord> FromJson<HistoryRecord>(std::string_view text);
template <>
Result<ForcedFailover> FromJson<ForcedFailover>(std::string_view text);

}  // namespace mysqlset::formats
