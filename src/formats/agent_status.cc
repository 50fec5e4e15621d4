#include "formats/agent_status.h"

#include <cmath>

#include "common/json_fields.h"
#include "nlohmann/json.hpp"

namespace mysqlset::formats {
namespace {

using nlohmann::json;

json LagJson(const std::optional<double>& lag) {
  if (!lag) return nullptr;
  const double v = *lag;
  if (std::isfinite(v) && v == std::trunc(v) && std::fabs(v) < 9.0e18) {
    return static_cast<int64_t>(v);
  }
  return v;
}

json UnixJson(const std::optional<int64_t>& t) { return t ? json(*t) : json(nullptr); }

std::optional<int64_t> UnixFrom(const json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  return j[key].get<int64_t>();
}

}  // namespace

std::string ToJson(const AgentStatus& s) {
  // nlohmann::json sorts keys: /v1/status has always been served in that order.
  json j = {
      {"pod", s.pod},
      {"ordinal", s.ordinal},
      {"role", s.role},
      {"leader", s.leader},
      {"epoch", s.epoch},
      {"decision", s.decision},
      {"decision_reason", s.decision_reason},
      {"semi_sync", s.semi_sync},
      {"store_reachable", s.store_reachable},
      {"ready", s.ready},
      {"reasons", s.reasons},
      {"stale_reads", s.stale_reads},
      {"sync", s.sync},
      {"errant_gtids", s.errant_gtids},
      {"reclone", s.reclone},
      {"server_id", s.server_id},
      {"mysql_reachable", s.mysql_reachable},
      {"read_only", s.read_only},
      {"gtid_current", s.gtid_current},
      {"gtid_binlog", s.gtid_binlog},
      {"gtid_slave", s.gtid_slave},
      {"lag_seconds", LagJson(s.lag_seconds)},
      {"last_error", s.last_error},
      {"replication_error", s.replication_error},
      {"last_actions", s.last_actions},
      {"ticks", s.ticks},
      {"state_age_seconds", s.state_age_seconds},
      {"lag_threshold_seconds", s.lag_threshold_seconds},
  };
  if (s.replication) {
    const AgentStatus::Replication& r = *s.replication;
    j["replication"] = {
        {"configured", true},
        {"source", r.source},
        {"user", r.user},
        {"using_gtid", r.using_gtid},
        {"io_running", r.io_running},
        {"sql_running", r.sql_running},
        {"last_io_errno", r.last_io_errno},
        {"last_io_error", r.last_io_error},
        {"last_sql_errno", r.last_sql_errno},
        {"last_sql_error", r.last_sql_error},
        {"gtid_io_pos", r.gtid_io_pos},
    };
  } else {
    j["replication"] = {{"configured", false}};
  }
  if (s.clone) {
    j["clone"] = {{"donor", s.clone->donor},
                  {"gtid", s.clone->gtid},
                  {"bytes", s.clone->bytes},
                  {"seconds", s.clone->seconds}};
  } else {
    j["clone"] = nullptr;
  }
  if (s.last_epoch) {
    j["last_epoch"] = {{"epoch", s.last_epoch->epoch},
                       {"name", s.last_epoch->name},
                       {"from", s.last_epoch->from},
                       {"reason", s.last_epoch->reason},
                       {"since_unix_ms", s.last_epoch->since_unix_ms}};
  } else {
    j["last_epoch"] = nullptr;
  }
  const AgentStatus::Backup& b = s.backup;
  j["backup"] = {{"active", b.active},
                 {"served_ok", b.served_ok},
                 {"failed", b.failed},
                 {"refused_auth", b.refused_auth},
                 {"refused_busy", b.refused_busy},
                 {"bytes_sent", b.bytes_sent}};
  if (s.archive) {
    const AgentStatus::Archive& a = *s.archive;
    j["archive"] = {{"active", a.active},
                    {"last_closed_unix", UnixJson(a.last_closed_unix)},
                    {"archived_gtid", a.archived_gtid},
                    {"segments_archived", a.segments_archived},
                    {"failures", a.failures},
                    {"last_error", a.last_error},
                    {"gap", a.gap},
                    {"catalog_read", a.catalog_read},
                    {"last_backup_unix", UnixJson(a.last_backup_unix)},
                    {"last_verified_backup_unix", UnixJson(a.last_verified_backup_unix)},
                    {"catalog_read_failures", a.catalog_read_failures},
                    {"catalog_error", a.catalog_error}};
  } else {
    j["archive"] = nullptr;
  }
  if (s.data_volume) {
    j["data_volume"] = {{"free_bytes", s.data_volume->free_bytes},
                        {"total_bytes", s.data_volume->total_bytes}};
  } else {
    j["data_volume"] = nullptr;
  }
  return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

template <>
Result<AgentStatus> FromJson<AgentStatus>(std::string_view text) {
  const auto j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgument("status is not a JSON object");
  if (!j.contains("ready") || !j["ready"].is_boolean()) {
    return InvalidArgument("status has no boolean \"ready\"");
  }
  AgentStatus s;
  try {  // value() throws when a field has the wrong type: garbled, not a crash
    RequireIntegerFields(j, {"ordinal", "server_id", "ticks", "lag_threshold_seconds", "epoch"});
    s.pod = j.value("pod", "");
    s.ordinal = j.value("ordinal", 0u);
    s.role = j.value("role", "");
    s.leader = j.value("leader", "");
    s.epoch = j.value("epoch", uint64_t{0});
    s.decision = j.value("decision", "");
    s.decision_reason = j.value("decision_reason", "");
    s.semi_sync = j.value("semi_sync", "");
    s.store_reachable = j.value("store_reachable", false);
    s.ready = j["ready"].get<bool>();
    s.reasons = j.value("reasons", std::vector<std::string>{});
    s.stale_reads = j.value("stale_reads", "");
    s.sync = j.value("sync", "");
    s.errant_gtids = j.value("errant_gtids", "");
    s.reclone = j.value("reclone", "");
    s.server_id = j.value("server_id", 0u);
    s.mysql_reachable = j.value("mysql_reachable", false);
    s.read_only = j.value("read_only", false);
    s.gtid_current = j.value("gtid_current", "");
    s.gtid_binlog = j.value("gtid_binlog", "");
    s.gtid_slave = j.value("gtid_slave", "");
    if (j.contains("lag_seconds") && !j["lag_seconds"].is_null()) {
      s.lag_seconds = j["lag_seconds"].get<double>();
    }
    s.last_error = j.value("last_error", "");
    s.replication_error = j.value("replication_error", "");
    s.last_actions = j.value("last_actions", std::vector<std::string>{});
    s.ticks = j.value("ticks", uint64_t{0});
    s.state_age_seconds = j.value("state_age_seconds", 0.0);
    s.lag_threshold_seconds = j.value("lag_threshold_seconds", int64_t{0});
    if (j.contains("replication") && j["replication"].is_object() &&
        j["replication"].value("configured", false)) {
      const json& r = j["replication"];
      RequireIntegerFields(r, {"last_io_errno", "last_sql_errno"});
      s.replication =
          AgentStatus::Replication{r.value("source", ""),         r.value("user", ""),
                                   r.value("using_gtid", ""),     r.value("io_running", ""),
                                   r.value("sql_running", ""),    r.value("last_io_errno", 0u),
                                   r.value("last_io_error", ""),  r.value("last_sql_errno", 0u),
                                   r.value("last_sql_error", ""), r.value("gtid_io_pos", "")};
    }
    if (j.contains("clone") && !j["clone"].is_null()) {
      const json& c = j["clone"];
      RequireIntegerFields(c, {"bytes"});
      s.clone = AgentStatus::Clone{c.value("donor", ""), c.value("gtid", ""),
                                   c.value("bytes", uint64_t{0}), c.value("seconds", 0.0)};
    }
    if (j.contains("last_epoch") && !j["last_epoch"].is_null()) {
      const json& e = j["last_epoch"];
      RequireIntegerFields(e, {"epoch", "since_unix_ms"});
      s.last_epoch = AgentStatus::Epoch{e.value("epoch", uint64_t{0}), e.value("name", ""),
                                        e.value("from", ""), e.value("reason", ""),
                                        e.value("since_unix_ms", int64_t{0})};
    }
    if (j.contains("backup") && !j["backup"].is_null()) {
      const json& b = j["backup"];
      RequireIntegerFields(
          b, {"active", "served_ok", "failed", "refused_auth", "refused_busy", "bytes_sent"});
      s.backup = AgentStatus::Backup{b.value("active", 0),
                                     b.value("served_ok", uint64_t{0}),
                                     b.value("failed", uint64_t{0}),
                                     b.value("refused_auth", uint64_t{0}),
                                     b.value("refused_busy", uint64_t{0}),
                                     b.value("bytes_sent", uint64_t{0})};
    }
    if (j.contains("data_volume") && !j["data_volume"].is_null()) {
      const json& v = j["data_volume"];
      RequireIntegerFields(v, {"free_bytes", "total_bytes"});
      s.data_volume =
          VolumeSpace{v.value("free_bytes", uint64_t{0}), v.value("total_bytes", uint64_t{0})};
    }
    if (j.contains("archive") && !j["archive"].is_null()) {
      const json& a = j["archive"];
      RequireIntegerFields(a,
                           {"last_closed_unix", "segments_archived", "failures", "last_backup_unix",
                            "last_verified_backup_unix", "catalog_read_failures"});
      AgentStatus::Archive r;
      r.active = a.value("active", false);
      r.last_closed_unix = UnixFrom(a, "last_closed_unix");
      r.archived_gtid = a.value("archived_gtid", "");
      r.segments_archived = a.value("segments_archived", uint64_t{0});
      r.failures = a.value("failures", uint64_t{0});
      r.last_error = a.value("last_error", "");
      r.gap = a.value("gap", "");
      r.catalog_read = a.value("catalog_read", false);
      r.last_backup_unix = UnixFrom(a, "last_backup_unix");
      r.last_verified_backup_unix = UnixFrom(a, "last_verified_backup_unix");
      r.catalog_read_failures = a.value("catalog_read_failures", uint64_t{0});
      r.catalog_error = a.value("catalog_error", "");
      s.archive = r;
    }
  } catch (const std::exception& e) {
    return InvalidArgument("status is garbled: {}", e.what());
  }
  return s;
}

}  // namespace mysqlset::formats
