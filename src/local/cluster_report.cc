#include "local/cluster_report.h"

#include <algorithm>
#include <cmath>
#include <ctime>

#include "core/topology.h"
#include "fmt/chrono.h"
#include "local/backup_report.h"
#include "nlohmann/json.hpp"

namespace mysqlset::local {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

// The text after `marker` on the last line of `log_text` that holds it and that `keep`
// accepts ("" if none).
std::string LastAfterMarker(std::string_view log_text, std::string_view marker,
                            bool (*keep)(std::string_view line, std::string_view reason)) {
  std::string_view message;
  while (!log_text.empty()) {
    const size_t eol = log_text.find('\n');
    const std::string_view line = log_text.substr(0, eol);
    const size_t at = line.find(marker);
    if (at != std::string_view::npos) {
      const std::string_view reason = line.substr(at + marker.size());
      if (keep(line, reason)) message = reason;
    }
    if (eol == std::string_view::npos) break;
    log_text.remove_prefix(eol + 1);
  }
  return std::string(message);
}

}  // namespace

std::string LastErrorMessage(std::string_view log_text) {
  return LastAfterMarker(log_text, ": error: ", [](std::string_view line, std::string_view) {
    return line.starts_with("mysqlset ");
  });
}

std::string LastServerError(std::string_view log_text) {
  return LastAfterMarker(log_text, "[ERROR] ", [](std::string_view, std::string_view reason) {
    return reason != "Aborting";
  });
}

std::string CrashLoopMessage(const std::string& pod, const std::string& process, int restarts,
                             const std::string& last_exit, const std::string& reason,
                             const std::string& log) {
  return fmt::format("{}: {} keeps exiting ({} restarts, last {}){}{}; see {}", pod, process,
                     restarts, last_exit, reason.empty() ? "" : ": ", reason, log);
}

std::string RenderCloneProgress(const CloneProgress& p, int bar_width) {
  std::string out;
  if (p.estimated_bytes > 0) {
    const double frac =
        std::min(1.0, static_cast<double>(p.bytes) / static_cast<double>(p.estimated_bytes));
    const int filled = static_cast<int>(std::lround(frac * bar_width));
    out = "[" + std::string(filled, '#') + std::string(bar_width - filled, '-') + "]" +
          fmt::format(" {:3d}%  {} of {}", static_cast<int>(frac * 100), HumanBytes(p.bytes),
                      HumanBytes(p.estimated_bytes));
  } else {
    out = fmt::format("{} received", HumanBytes(p.bytes));
  }
  if (p.rate_bytes_per_s > 0) {
    out += fmt::format("  {}/s", HumanBytes(static_cast<uint64_t>(p.rate_bytes_per_s)));
  }
  if (p.eta_seconds) out += fmt::format("  ETA {:.0f}s", *p.eta_seconds);
  if (!p.donor.empty()) out += "  from " + p.donor;
  if (!p.phase.empty()) out += " (" + p.phase + ")";
  return out;
}

namespace {

// The role as the member's agent reports it; "" when unknown (the agent did not answer).
std::string RoleOf(const MemberReport& m) { return m.agent ? m.agent->role : ""; }

}  // namespace

std::optional<std::string> ReportedPrimary(const ClusterSpec& spec,
                                           const std::vector<MemberReport>& members) {
  const MemberReport* best = nullptr;
  for (const auto& m : members) {
    if (RoleOf(m) != "primary") continue;
    if (!best || m.epoch > best->epoch) best = &m;
  }
  if (!best) return std::nullopt;
  return MemberAddressOf(spec, best->ordinal).pod_name;
}

uint64_t ReportedEpoch(const std::vector<MemberReport>& members) {
  uint64_t epoch = 0;
  for (const auto& m : members) epoch = std::max(epoch, m.epoch);
  return epoch;
}

std::string ReportedSync(const ClusterSpec& spec, const std::vector<MemberReport>& members) {
  const std::optional<std::string> primary = ReportedPrimary(spec, members);
  const MemberReport* best = nullptr;
  for (const auto& m : members) {
    if (!m.agent || m.agent->sync.empty()) continue;
    if (primary && MemberAddressOf(spec, m.ordinal).pod_name == *primary) return m.agent->sync;
    if (!best || m.epoch > best->epoch) best = &m;
  }
  return best ? best->agent->sync : "";
}

std::optional<formats::AgentStatus::Epoch> ReportedLastFailover(
    const std::vector<MemberReport>& members) {
  std::optional<formats::AgentStatus::Epoch> newest;
  for (const auto& m : members) {
    if (!m.agent || !m.agent->last_epoch) continue;
    if (!newest || m.agent->last_epoch->epoch > newest->epoch) newest = m.agent->last_epoch;
  }
  if (!newest || (newest->reason != "failover" && newest->reason != "forced")) return std::nullopt;
  return newest;
}

namespace {

// "2026-11-30T07:59:01.123Z"
std::string UtcTime(int64_t unix_ms) {
  const std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z", fmt::gmtime(secs),
                     static_cast<int>(unix_ms % 1000));
}

}  // namespace

std::string RenderStatusJson(const ClusterSpec& spec, const std::vector<MemberReport>& members,
                             bool supervisor_running, const std::string& supervisor_warning,
                             const BackupReport* backups) {
  ordered_json j;
  j["name"] = spec.name;
  j["replicas"] = spec.replicas;
  j["supervisor_running"] = supervisor_running;
  j["supervisor_responding"] = supervisor_running && supervisor_warning.empty();
  j["supervisor_warning"] = supervisor_warning;
  const std::optional<std::string> primary = ReportedPrimary(spec, members);
  const uint64_t epoch = ReportedEpoch(members);
  j["primary"] = primary ? ordered_json(*primary) : ordered_json(nullptr);
  j["epoch"] = epoch ? ordered_json(epoch) : ordered_json(nullptr);
  if (const auto f = ReportedLastFailover(members)) {
    j["last_failover"] = {{"epoch", f->epoch},
                          {"time", UtcTime(f->since_unix_ms)},
                          {"from", f->from},
                          {"to", f->name},
                          {"reason", f->reason}};
  } else {
    j["last_failover"] = nullptr;
  }
  const std::string sync = ReportedSync(spec, members);
  j["members"] = json::array();
  for (const auto& m : members) {
    const MemberAddress a = MemberAddressOf(spec, m.ordinal);
    ordered_json o;
    o["name"] = a.pod_name;
    o["ordinal"] = m.ordinal;
    o["role"] =
        m.agent && !m.agent->role.empty() ? ordered_json(m.agent->role) : ordered_json(nullptr);
    o["ready"] = m.agent ? m.agent->ready : false;
    o["host"] = a.host;
    o["port"] = a.mysql_port;
    o["server_id"] =
        m.agent && m.agent->server_id ? m.agent->server_id : kDefaultServerIdOffset + m.ordinal;
    o["gtid"] = m.agent ? m.agent->gtid_current : "";
    if (m.agent && m.agent->lag_seconds) {
      o["lag_seconds"] = *m.agent->lag_seconds;
    } else {
      o["lag_seconds"] = nullptr;
    }
    o["agent"] = fmt::format("http://{}:{}", a.host, a.agent_port);
    o["backup"] = fmt::format("{}:{}", a.host, a.backup_port);
    o["state"] = m.agent ? (m.agent->ready ? "ready" : "not-ready") : "down";
    o["step"] = m.step ? std::string(MemberStepName(*m.step)) : "";
    o["pid"] = m.mariadbd_pid;
    o["semi_sync"] = m.agent ? m.agent->semi_sync : "";
    o["read_endpoint"] = m.read_endpoint;
    o["reasons"] = m.agent ? m.agent->reasons : std::vector<std::string>{};
    o["sync"] = !sync.empty() && sync == a.pod_name;
    o["errant_gtids"] = m.agent ? m.agent->errant_gtids : "";
    o["stale_reads"] = m.agent ? m.agent->stale_reads : "";
    if (m.agent && m.agent->data_volume) {
      o["data_volume"] = {{"free_bytes", m.agent->data_volume->free_bytes},
                          {"total_bytes", m.agent->data_volume->total_bytes},
                          {"warning", DataVolumeWarning(*m.agent->data_volume)}};
    } else {
      o["data_volume"] = nullptr;
    }
    o["kept_datadirs"] = json::array();
    for (const KeptDatadir& k : m.kept_datadirs) {
      o["kept_datadirs"].push_back(
          ordered_json{{"path", k.path}, {"bytes", k.bytes}, {"kept_at", k.kept_at}});
    }
    o["error"] = m.error;
    j["members"].push_back(o);
  }
  j["endpoints"] = {{"primary", fmt::format("{}:{}", kLocalHost, WritePort(spec))},
                    {"read", fmt::format("{}:{}", kLocalHost, ReadPort(spec))}};
  j["backups"] = backups ? BackupReportJson(*backups) : ordered_json(nullptr);
  return j.dump() + "\n";
}

std::string RenderKeptDatadirLines(const std::vector<KeptDatadir>& kept) {
  std::string out;
  for (const KeptDatadir& k : kept) {
    out += fmt::format("{:<12} kept datadir: {} ({}{}{})\n", "", k.path, HumanBytes(k.bytes),
                       k.kept_at.empty() ? "" : ", kept ", k.kept_at);
  }
  return out;
}

std::string RenderStatusTable(const ClusterSpec& spec, const std::vector<MemberReport>& members,
                              bool supervisor_running, const std::string& supervisor_warning,
                              const BackupReport* backups) {
  std::string out = supervisor_warning.empty() ? "" : supervisor_warning + "\n";
  out += fmt::format("cluster {}: {} member(s){}\n", spec.name, spec.replicas,
                     supervisor_running ? "" : "  (supervisor not running)");
  const std::optional<std::string> primary = ReportedPrimary(spec, members);
  const uint64_t epoch = ReportedEpoch(members);
  out += primary ? fmt::format("primary {}", *primary) : std::string("primary: none reported");
  out += epoch ? fmt::format(" (epoch {})\n", epoch) : std::string("\n");
  const std::string sync = ReportedSync(spec, members);
  if (!sync.empty()) out += fmt::format("sync replica {}\n", sync);
  if (const auto f = ReportedLastFailover(members)) {
    out +=
        fmt::format("last failover: epoch {} at {}, {} -> {} ({})\n", f->epoch,
                    UtcTime(f->since_unix_ms), f->from.empty() ? "-" : f->from, f->name, f->reason);
  }
  out += fmt::format("{:<12} {:<8} {:<6} {:<24} {:>6}  {}\n", "MEMBER", "ROLE", "READY", "GTID",
                     "LAG", "ADDRESS");
  for (const auto& m : members) {
    const MemberAddress a = MemberAddressOf(spec, m.ordinal);
    std::string ready = "down";
    std::string gtid = "-";
    std::string lag = "-";
    if (m.agent) {
      ready = m.agent->ready ? "yes" : "no";
      if (!m.agent->gtid_current.empty()) gtid = m.agent->gtid_current;
      if (m.agent->lag_seconds) lag = fmt::format("{:.0f}s", *m.agent->lag_seconds);
    } else if (m.step && *m.step != MemberStep::kStopped && *m.step != MemberStep::kStarting) {
      ready = MemberStepName(*m.step);  // init, clone, failed: more useful than "down"
    }
    const std::string role = RoleOf(m).empty() ? "-" : RoleOf(m);
    out += fmt::format("{:<12} {:<8} {:<6} {:<24} {:>6}  {}:{}\n", a.pod_name, role, ready, gtid,
                       lag, a.host, a.mysql_port);
    // The primary's semi-sync line: whom writes wait for, or that they are not replicated.
    if (m.agent && m.agent->role == "primary" && !m.agent->semi_sync.empty()) {
      out += fmt::format("{:<12} semi-sync: {}\n", "", m.agent->semi_sync);
    }
    if (m.agent && !m.agent->ready && !m.agent->reasons.empty()) {
      out += fmt::format("{:<12} not ready: {}\n", "", fmt::join(m.agent->reasons, "; "));
    }
    if (m.agent && m.agent->ready && !m.agent->stale_reads.empty()) {
      out += fmt::format("{:<12} {}\n", "", m.agent->stale_reads);
    }
    if (m.agent && !m.agent->errant_gtids.empty()) {
      out += fmt::format("{:<12} errant GTIDs (the primary never had them): {}\n", "",
                         m.agent->errant_gtids);
    }
    if (m.agent && m.agent->data_volume) {
      if (const std::string w = DataVolumeWarning(*m.agent->data_volume); !w.empty()) {
        out += fmt::format("{:<12} {}\n", "", w);
      }
    }
    out += RenderKeptDatadirLines(m.kept_datadirs);
    if (!m.error.empty()) out += fmt::format("{:<12} {}\n", "", m.error);
  }
  out += fmt::format("write endpoint  {}:{}\nread endpoint   {}:{}\n", kLocalHost, WritePort(spec),
                     kLocalHost, ReadPort(spec));
  if (backups) out += RenderBackupLines(*backups);
  return out;
}

std::string RenderMemberLine(const SupervisedMember& m, const std::optional<CloneProgress>& p) {
  std::string detail;
  if (m.step == MemberStep::kClone && p) detail = RenderCloneProgress(*p);
  if (m.step == MemberStep::kStopped) detail = "waiting for lower members";
  if (m.mariadbd_restarts > 0 && m.step != MemberStep::kFailed) {
    detail +=
        fmt::format("{}mariadbd restarted {}x", detail.empty() ? "" : "  ", m.mariadbd_restarts);
  }
  if (!m.error.empty()) detail += (detail.empty() ? "" : "  ") + m.error;
  std::string line = fmt::format("  {:<12} {:<9} {}", m.name, MemberStepName(m.step), detail);
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

std::string RenderConnectHelp(const ClusterSpec& spec, const ClusterPaths& paths) {
  return fmt::format(
      "Connect (writes go to the primary, reads are balanced over ready members):\n"
      "  mariadb --defaults-extra-file={0} -h {1} -P {2}    # write endpoint\n"
      "  mariadb --defaults-extra-file={0} -h {1} -P {3}    # read endpoint\n"
      "Status: mysqlset status --dir {4}    Stop: mysqlset down --dir {4}\n",
      paths.client_cnf(), kLocalHost, WritePort(spec), ReadPort(spec), paths.dir());
}

}  // namespace mysqlset::local
