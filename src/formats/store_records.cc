#include "formats/store_records.h"

#include "common/json_fields.h"
#include "nlohmann/json.hpp"

namespace mysqlset::formats {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

// Parses `text` as an object that has every key of `required` as a string, then lets
// `read` fill the rest; any type error is garbled input, never a crash.
template <typename T, typename Read>
Result<T> ParseObject(std::string_view text, std::string_view what,
                      std::initializer_list<const char*> required, Read read) {
  const auto j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return InvalidArgument("{}: expected a JSON object", what);
  for (const char* key : required) {
    if (!j.contains(key) || !j[key].is_string()) {
      return InvalidArgument("{}: expected a \"{}\" string", what, key);
    }
  }
  T out;
  try {
    read(j, out);
  } catch (const std::exception& e) {
    return InvalidArgument("{}: {}", what, e.what());
  }
  return out;
}

}  // namespace

StoreKeys::StoreKeys(std::string_view cluster) : prefix(fmt::format("/mysqlset/{}/", cluster)) {}
std::string StoreKeys::Leader() const { return prefix + "leader"; }
std::string StoreKeys::LastLeader() const { return prefix + "last_leader"; }
std::string StoreKeys::Initialized() const { return prefix + "initialized"; }
std::string StoreKeys::Switchover() const { return prefix + "switchover"; }
std::string StoreKeys::MembersPrefix() const { return prefix + "members/"; }
std::string StoreKeys::Member(std::string_view name) const {
  return MembersPrefix() + std::string(name);
}
std::string StoreKeys::Sync() const { return prefix + "sync"; }
std::string StoreKeys::HistoryPrefix() const { return prefix + "history/"; }
std::string StoreKeys::History(uint64_t epoch) const {
  return fmt::format("{}{:020}", HistoryPrefix(), epoch);  // zero-padded: sorts by epoch
}
std::string StoreKeys::ForcedFailover() const { return prefix + "forced_failover"; }

std::string ToJson(const LeaderRecord& r) {
  ordered_json j;
  j["name"] = r.name;
  j["epoch"] = r.epoch;
  j["since_unix_ms"] = r.since_unix_ms;
  return j.dump();
}

std::string ToJson(const InitializedRecord& r) {
  ordered_json j;
  j["by"] = r.by;
  j["at_unix_ms"] = r.at_unix_ms;
  j["state"] = r.state;
  return j.dump();
}

std::string ToJson(const MemberRecord& r) {
  ordered_json j;
  j["name"] = r.name;
  j["ordinal"] = r.ordinal;
  j["lease"] = r.lease;
  j["mysql_reachable"] = r.mysql_reachable;
  j["has_data"] = r.has_data;
  j["gtid_binlog"] = r.gtid_binlog;
  j["gtid_current"] = r.gtid_current;
  j["role"] = r.role;
  j["writable"] = r.writable;
  j["replicating"] = r.replicating;
  j["source"] = r.source;
  j["lag_seconds"] = r.lag_seconds ? ordered_json(*r.lag_seconds) : ordered_json(nullptr);
  j["ready"] = r.ready;
  j["updated_unix_ms"] = r.updated_unix_ms;
  j["gtid_io"] = r.gtid_io;
  j["semi_sync_replica"] = r.semi_sync_replica;
  j["semi_sync_primary"] = r.semi_sync_primary;
  j["errant_gtids"] = r.errant_gtids;
  j["received_from"] = r.received_from;
  j["received_epoch"] = r.received_epoch;
  return j.dump();
}

std::string ToJson(const SwitchoverRequest& r) {
  ordered_json j;
  j["id"] = r.id;
  j["from"] = r.from;
  j["to"] = r.to;
  j["state"] = r.state;
  j["gtid"] = r.gtid;
  j["message"] = r.message;
  j["requested_at_unix_ms"] = r.requested_at_unix_ms;
  j["updated_unix_ms"] = r.updated_unix_ms;
  return j.dump();
}

template <>
Result<LeaderRecord> FromJson<LeaderRecord>(std::string_view text) {
  return ParseObject<LeaderRecord>(text, "leader record", {"name"}, [](const json& j, auto& r) {
    RequireIntegerFields(j, {"epoch", "since_unix_ms"});
    r.name = j["name"].get<std::string>();
    r.epoch = j.value("epoch", uint64_t{0});
    r.since_unix_ms = j.value("since_unix_ms", int64_t{0});
  });
}

template <>
Result<InitializedRecord> FromJson<InitializedRecord>(std::string_view text) {
  return ParseObject<InitializedRecord>(text, "initialized record", {"by"},
                                        [](const json& j, auto& r) {
                                          RequireIntegerFields(j, {"at_unix_ms"});
                                          r.by = j["by"].get<std::string>();
                                          r.at_unix_ms = j.value("at_unix_ms", int64_t{0});
                                          r.state = j.value("state", std::string("done"));
                                        });
}

template <>
Result<MemberRecord> FromJson<MemberRecord>(std::string_view text) {
  return ParseObject<MemberRecord>(text, "member record", {"name"}, [](const json& j, auto& r) {
    RequireIntegerFields(j, {"ordinal", "lease", "updated_unix_ms"});
    r.name = j["name"].get<std::string>();
    r.ordinal = j.value("ordinal", uint32_t{0});
    r.lease = j.value("lease", int64_t{0});
    r.mysql_reachable = j.value("mysql_reachable", false);
    r.has_data = j.value("has_data", false);
    r.gtid_binlog = j.value("gtid_binlog", "");
    r.gtid_current = j.value("gtid_current", "");
    r.role = j.value("role", "");
    r.writable = j.value("writable", false);
    r.replicating = j.value("replicating", false);
    r.source = j.value("source", "");
    if (j.contains("lag_seconds") && !j["lag_seconds"].is_null()) {
      r.lag_seconds = j["lag_seconds"].get<double>();
    }
    r.ready = j.value("ready", false);
    r.updated_unix_ms = j.value("updated_unix_ms", int64_t{0});
    r.gtid_io = j.value("gtid_io", "");
    r.semi_sync_replica = j.value("semi_sync_replica", false);
    r.semi_sync_primary = j.value("semi_sync_primary", false);
    r.errant_gtids = j.value("errant_gtids", "");
    r.received_from = j.value("received_from", "");
    r.received_epoch = j.value("received_epoch", uint64_t{0});
  });
}

template <>
Result<SwitchoverRequest> FromJson<SwitchoverRequest>(std::string_view text) {
  return ParseObject<SwitchoverRequest>(
      text, "switchover request", {"id", "from", "to", "state"}, [](const json& j, auto& r) {
        RequireIntegerFields(j, {"requested_at_unix_ms", "updated_unix_ms"});
        r.id = j["id"].get<std::string>();
        r.from = j["from"].get<std::string>();
        r.to = j["to"].get<std::string>();
        r.state = j["state"].get<std::string>();
        r.gtid = j.value("gtid", "");
        r.message = j.value("message", "");
        r.requested_at_unix_ms = j.value("requested_at_unix_ms", int64_t{0});
        r.updated_unix_ms = j.value("updated_unix_ms", int64_t{0});
      });
}

std::string ToJson(const SyncRecord& r) {
  ordered_json j;
  j["name"] = r.name;
  j["epoch"] = r.epoch;
  j["since_unix_ms"] = r.since_unix_ms;
  return j.dump();
}

std::string ToJson(const HistoryRecord& r) {
  ordered_json j;
  j["epoch"] = r.epoch;
  j["name"] = r.name;
  j["from"] = r.from;
  j["reason"] = r.reason;
  j["gtid"] = r.gtid;
  j["since_unix_ms"] = r.since_unix_ms;
  return j.dump();
}

std::string ToJson(const ForcedFailover& r) {
  ordered_json j;
  j["to"] = r.to;
  j["reason"] = r.reason;
  j["requested_at_unix_ms"] = r.requested_at_unix_ms;
  return j.dump();
}

template <>
Result<SyncRecord> FromJson<SyncRecord>(std::string_view text) {
  return ParseObject<SyncRecord>(text, "sync record", {"name"}, [](const json& j, auto& r) {
    RequireIntegerFields(j, {"epoch", "since_unix_ms"});
    r.name = j["name"].get<std::string>();
    r.epoch = j.value("epoch", uint64_t{0});
    r.since_unix_ms = j.value("since_unix_ms", int64_t{0});
  });
}

template <>
Result<HistoryRecord> FromJson<HistoryRecord>(std::string_view text) {
  return ParseObject<HistoryRecord>(text, "history record", {"name"}, [](const json& j, auto& r) {
    RequireIntegerFields(j, {"epoch", "since_unix_ms"});
    r.epoch = j.value("epoch", uint64_t{0});
    r.name = j["name"].get<std::string>();
    r.from = j.value("from", "");
    r.reason = j.value("reason", "");
    r.gtid = j.value("gtid", "");
    r.since_unix_ms = j.value("since_unix_ms", int64_t{0});
  });
}

template <>
Result<ForcedFailover> FromJson<ForcedFailover>(std::string_view text) {
  return ParseObject<ForcedFailover>(text, "forced failover", {"to"}, [](const json& j, auto& r) {
    RequireIntegerFields(j, {"requested_at_unix_ms"});
    r.to = j["to"].get<std::string>();
    r.reason = j.value("reason", "");
    r.requested_at_unix_ms = j.value("requested_at_unix_ms", int64_t{0});
  });
}

}  // namespace mysqlset::formats
