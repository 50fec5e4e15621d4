#include "formats/supervisor_state.h"

#include <array>
#include <utility>

#include "common/json_fields.h"
#include "nlohmann/json.hpp"

namespace mysqlset::formats {
namespace {

constexpr std::array<std::pair<MemberStep, std::string_view>, 7> kStepNames = {{
    {MemberStep::kUnknown, "unknown"},
    {MemberStep::kStopped, "stopped"},
    {MemberStep::kInit, "init"},
    {MemberStep::kClone, "clone"},
    {MemberStep::kStarting, "starting"},
    {MemberStep::kReady, "ready"},
    {MemberStep::kFailed, "failed"},
}};

MemberStep StepFromName(std::string_view name) {
  for (const auto& [step, text] : kStepNames) {
    if (text == name) return step;
  }
  return MemberStep::kUnknown;  // a newer supervisor's step: see MemberStep
}

}  // namespace

std::string_view MemberStepName(MemberStep step) {
  for (const auto& [s, text] : kStepNames) {
    if (s == step) return text;
  }
  return "unknown";
}

std::string SupervisorStatePath(const std::string& cluster_dir) {
  return cluster_dir + "/state.json";
}

std::string ToJson(const SupervisorState& s) {
  using nlohmann::ordered_json;
  ordered_json j;
  j["pid"] = s.pid;
  j["name"] = s.spec.name;
  j["replicas"] = s.spec.replicas;
  j["base_port"] = s.spec.base_port;
  j["converged"] = s.converged;
  j["stopping"] = s.stopping;
  j["haproxy_pid"] = s.haproxy_pid;
  j["haproxy_error"] = s.haproxy_error;
  j["heartbeat_ms"] = s.heartbeat_ms;
  j["observed_ms"] = s.observed_ms;
  j["members"] = ordered_json::array();
  for (const auto& m : s.members) {
    ordered_json member;
    member["name"] = m.name;
    member["ordinal"] = m.ordinal;
    member["step"] = MemberStepName(m.step);
    member["ready"] = m.ready;
    member["mariadbd_pid"] = m.mariadbd_pid;
    member["agent_pid"] = m.agent_pid;
    member["mariadbd_restarts"] = m.mariadbd_restarts;
    member["agent_restarts"] = m.agent_restarts;
    member["error"] = m.error;
    member["read_endpoint"] = m.read_endpoint;
    member["write_endpoint"] = m.write_endpoint;
    j["members"].push_back(std::move(member));
  }
  j["etcd"] = ordered_json::array();
  for (const auto& e : s.etcd) {
    ordered_json etcd;
    etcd["name"] = e.name;
    etcd["pid"] = e.pid;
    etcd["client_url"] = e.client_url;
    etcd["restarts"] = e.restarts;
    etcd["last_exit"] = e.last_exit;
    j["etcd"].push_back(std::move(etcd));
  }
  if (s.backups) {
    const ScheduledBackups& b = *s.backups;
    auto time_or_null = [](const std::optional<int64_t>& t) {
      return t ? ordered_json(*t) : ordered_json(nullptr);
    };
    j["backup_schedule"] = {{"schedule", b.schedule},
                            {"verify_schedule", b.verify_schedule},
                            {"log", b.log},
                            {"next_run_unix", time_or_null(b.next_run_unix)},
                            {"running_pid", b.running_pid},
                            {"running_since_unix", time_or_null(b.running_since_unix)},
                            {"started", b.started},
                            {"succeeded", b.succeeded},
                            {"failed", b.failed},
                            {"skipped", b.skipped},
                            {"waiting_since_unix", time_or_null(b.waiting_since_unix)},
                            {"last_success_unix", time_or_null(b.last_success_unix)},
                            {"last_failure_unix", time_or_null(b.last_failure_unix)},
                            {"last_failure", b.last_failure},
                            {"retention", b.retention},
                            {"pruning_pid", b.pruning_pid},
                            {"prunes_succeeded", b.prunes_succeeded},
                            {"prunes_failed", b.prunes_failed},
                            {"last_prune_failure", b.last_prune_failure}};
  }
  return j.dump(2) + "\n";
}

template <>
Result<SupervisorState> FromJson<SupervisorState>(std::string_view text) {
  SupervisorState s;
  try {
    const auto j = nlohmann::json::parse(text);
    RequireIntegerFields(
        j, {"pid", "replicas", "base_port", "haproxy_pid", "heartbeat_ms", "observed_ms"});
    s.pid = j.at("pid").get<pid_t>();
    s.spec.name = j.at("name").get<std::string>();
    s.spec.replicas = j.at("replicas").get<int>();
    s.spec.base_port = j.at("base_port").get<uint16_t>();
    s.converged = j.value("converged", false);
    s.stopping = j.value("stopping", false);
    s.haproxy_pid = j.value("haproxy_pid", 0);
    s.haproxy_error = j.value("haproxy_error", "");
    s.heartbeat_ms = j.value("heartbeat_ms", int64_t{0});
    s.observed_ms = j.value("observed_ms", int64_t{0});
    for (const auto& o : j.at("members")) {
      SupervisedMember m;
      RequireIntegerFields(
          o, {"ordinal", "mariadbd_pid", "agent_pid", "mariadbd_restarts", "agent_restarts"});
      m.name = o.at("name").get<std::string>();
      m.ordinal = o.at("ordinal").get<uint32_t>();
      m.step = StepFromName(o.at("step").get<std::string>());
      m.ready = o.value("ready", false);
      m.mariadbd_pid = o.value("mariadbd_pid", 0);
      m.agent_pid = o.value("agent_pid", 0);
      m.mariadbd_restarts = o.value("mariadbd_restarts", 0);
      m.agent_restarts = o.value("agent_restarts", 0);
      m.error = o.value("error", "");
      m.read_endpoint = o.value("read_endpoint", "");
      m.write_endpoint = o.value("write_endpoint", "");
      s.members.push_back(std::move(m));
    }
    // Supervisors before etcd wrote no "etcd".
    for (const auto& o : j.value("etcd", nlohmann::json::array())) {
      SupervisedEtcd e;
      RequireIntegerFields(o, {"pid", "restarts"});
      e.name = o.at("name").get<std::string>();
      e.pid = o.value("pid", 0);
      e.client_url = o.value("client_url", "");
      e.restarts = o.value("restarts", 0);
      e.last_exit = o.value("last_exit", "");
      s.etcd.push_back(std::move(e));
    }
    if (j.contains("backup_schedule") && !j["backup_schedule"].is_null()) {
      const auto& o = j["backup_schedule"];
      RequireIntegerFields(
          o, {"next_run_unix", "running_pid", "running_since_unix", "started", "succeeded",
              "failed", "skipped", "waiting_since_unix", "last_success_unix", "last_failure_unix",
              "pruning_pid", "prunes_succeeded", "prunes_failed"});
      auto time_or_null = [&o](const char* key) -> std::optional<int64_t> {
        if (!o.contains(key) || o[key].is_null()) return std::nullopt;
        return o[key].get<int64_t>();
      };
      ScheduledBackups b;
      b.schedule = o.at("schedule").get<std::string>();
      b.verify_schedule = o.value("verify_schedule", "");
      b.log = o.value("log", "");
      b.next_run_unix = time_or_null("next_run_unix");
      b.running_pid = o.value("running_pid", 0);
      b.running_since_unix = time_or_null("running_since_unix");
      b.started = o.value("started", uint64_t{0});
      b.succeeded = o.value("succeeded", uint64_t{0});
      b.failed = o.value("failed", uint64_t{0});
      b.skipped = o.value("skipped", uint64_t{0});
      b.waiting_since_unix = time_or_null("waiting_since_unix");
      b.last_success_unix = time_or_null("last_success_unix");
      b.last_failure_unix = time_or_null("last_failure_unix");
      b.last_failure = o.value("last_failure", "");
      b.retention = o.value("retention", "");
      b.pruning_pid = o.value("pruning_pid", 0);
      b.prunes_succeeded = o.value("prunes_succeeded", uint64_t{0});
      b.prunes_failed = o.value("prunes_failed", uint64_t{0});
      b.last_prune_failure = o.value("last_prune_failure", "");
      s.backups = b;
    }
  } catch (const std::exception& e) {
    return InvalidArgument("supervisor state is malformed: {}", e.what());
  }
  return s;
}

}  // namespace mysqlset::formats
