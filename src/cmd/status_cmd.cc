// `mysqlset status`: each member as its agent reports it (/v1/status), as a table or JSON.

#include <unistd.h>

#include <chrono>
#include <ctime>
#include <future>
#include <memory>
#include <thread>

#include "cmd/commands.h"
#include "cmd/flags.h"
#include "core/identity.h"
#include "core/mycnf.h"
#include "fmt/chrono.h"
#include "formats/agent_status.h"
#include "local/backup_report.h"
#include "local/cluster_dir.h"
#include "local/cluster_report.h"
#include "local/wait_verdict.h"
#include "net/http_client.h"
#include "nlohmann/json.hpp"
#include "posix/posix_env.h"

namespace mysqlset::cmd {
namespace {

struct StatusFlags {
  std::string dir = "./mysqlset-data";
  bool json = false;
  bool check = false;
  bool watch = false;
  double interval_s = 2;
  int count = 0;  // --watch: refreshes before exiting; 0: until interrupted
};

// What one look at the cluster printed, and whether every member was ready.
struct Report {
  std::string text;
  bool all_ready = false;
};

// Every member the spec wants answered ready, and the supervisor runs and responds.
bool AllReady(const std::vector<local::MemberReport>& members, int replicas, bool supervisor,
              const std::string& warning) {
  if (!supervisor || !warning.empty() || static_cast<int>(members.size()) < replicas) return false;
  for (const auto& m : members) {
    if (!m.agent || !m.agent->ready) return false;
  }
  return true;
}

Result<Report> LookAtCluster(const StatusFlags& f) {
  PosixFileSystem fs;
  const local::ClusterPaths paths(Absolute(f.dir));
  auto spec = local::LoadSpec(fs, paths);
  if (!spec.ok()) return spec.status();
  const auto supervisor = local::RunningSupervisor(paths);
  std::optional<local::SupervisorState> state;
  std::string warning;  // the supervisor does not respond: what it last wrote may be stale
  if (supervisor) {
    auto s = local::LoadState(fs, paths);
    if (s.ok() && s->pid == *supervisor) state = *s;
    const local::Liveness l =
        local::JudgeHeartbeat(state ? state->heartbeat_ms : 0, local::WallClockMillis());
    if (!l.responding) {
      warning = local::NotRespondingMessage(*supervisor, l) + "; the status below may be stale: " +
                local::NotRespondingAdvice(*supervisor, paths.supervisor_log());
    }
  }
  // Ask every agent at once: a member that is down costs one timeout, not one per member.
  struct AgentReply {
    formats::AgentStatus status;
    uint64_t epoch = 0;
  };
  std::vector<std::future<std::optional<AgentReply>>> replies;
  for (int i = 0; i < spec->replicas; ++i) {
    const MemberAddress a = local::MemberAddressOf(*spec, static_cast<uint32_t>(i));
    replies.push_back(std::async(std::launch::async, [a]() -> std::optional<AgentReply> {
      auto reply = net::HttpGet(a.host, a.agent_port, "/v1/status", std::chrono::seconds(2));
      if (!reply.ok() || reply->status != 200) return std::nullopt;
      auto parsed = formats::FromJson<formats::AgentStatus>(reply->body);
      if (!parsed.ok()) return std::nullopt;
      // "epoch" (docs/roles.md), read here until formats::AgentStatus carries it (i12-agent).
      const auto j = nlohmann::json::parse(reply->body, nullptr, false);
      const auto epoch = j.is_object() ? j.find("epoch") : j.end();
      return AgentReply{
          *parsed, epoch != j.end() && epoch->is_number_unsigned() ? epoch->get<uint64_t>() : 0};
    }));
  }
  std::vector<local::MemberReport> members;
  for (int i = 0; i < spec->replicas; ++i) {
    local::MemberReport r;
    r.ordinal = static_cast<uint32_t>(i);
    if (auto reply = replies[i].get()) {
      r.agent = reply->status;
      r.epoch = reply->epoch;
    }
    r.kept_datadirs = ListKeptDatadirs(fs, paths.data_dir(PodName(spec->name, r.ordinal)));
    if (state) {
      for (const auto& m : state->members) {
        if (m.ordinal != r.ordinal) continue;
        r.mariadbd_pid = m.mariadbd_pid;
        r.step = m.step;
        r.read_endpoint = m.read_endpoint;
        r.error = m.error;
      }
    }
    members.push_back(std::move(r));
  }
  Report report;
  report.all_ready = AllReady(members, spec->replicas, supervisor.has_value(), warning);
  // The schedule's counts live in the running supervisor: none shown when it does not run.
  const local::BackupReport backups =
      local::ReportBackups(*spec, members, state ? state->backups : std::nullopt,
                           static_cast<int64_t>(std::time(nullptr)));
  if (f.json) {
    report.text =
        local::RenderStatusJson(*spec, members, supervisor.has_value(), warning, &backups);
    return report;
  }
  report.text = local::RenderStatusTable(*spec, members, supervisor.has_value(), warning, &backups);
  if (state) {
    std::string kept;
    for (const auto& m : state->members) {
      // A member stopped before its clone finished has no datadir: nothing is kept.
      if (static_cast<int>(m.ordinal) < spec->replicas ||
          !fs.Exists(DatadirOf(paths.data_dir(m.name)))) {
        continue;
      }
      kept += (kept.empty() ? "" : ", ") + m.name;
    }
    if (!kept.empty()) report.text += fmt::format("stopped, data kept: {}\n", kept);
  }
  // Stopped members (scaled down) keep their volumes, and any datadirs set aside in them.
  for (int i = spec->replicas;; ++i) {
    const std::string pod = PodName(spec->name, static_cast<uint32_t>(i));
    if (!fs.IsDirectory(paths.member_dir(pod))) break;
    const auto kept = ListKeptDatadirs(fs, paths.data_dir(pod));
    if (kept.empty()) continue;
    report.text += pod + ":\n" + local::RenderKeptDatadirLines(kept);
  }
  return report;
}

int RunStatus(const StatusFlags& f) {
  auto report = LookAtCluster(f);
  if (!report.ok()) return ReportError("status", report.status());
  std::fputs(report->text.c_str(), stdout);
  return f.check && !report->all_ready ? kExitNotReady : 0;
}

// --watch: the table again every interval (the screen redrawn on a terminal), until
// interrupted or --count refreshes; with --json, one object per line. A cluster dir that
// goes away ends it like `status`.
int RunWatch(const StatusFlags& f) {
  const bool tty = isatty(STDOUT_FILENO);
  const auto interval = std::chrono::milliseconds(static_cast<int64_t>(f.interval_s * 1000));
  for (int i = 1;; ++i) {
    auto report = LookAtCluster(f);
    if (!report.ok()) return ReportError("status", report.status());
    if (f.json) {
      std::fputs(report->text.c_str(), stdout);  // one object per line: JSON Lines
    } else {
      const std::string when =
          fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", fmt::gmtime(std::time(nullptr)));
      if (tty) std::fputs("\033[H\033[2J", stdout);
      std::printf("%s  (every %gs; Ctrl-C to stop)\n%s", when.c_str(), f.interval_s,
                  report->text.c_str());
      if (!tty) std::fputs("\n", stdout);
    }
    std::fflush(stdout);
    if (f.count > 0 && i >= f.count) return f.check && !report->all_ready ? kExitNotReady : 0;
    std::this_thread::sleep_for(interval);
  }
}

}  // namespace

Action AddStatusCommand(CLI::App& app) {
  auto f = std::make_shared<StatusFlags>();
  AddClusterDirFlag(app, f->dir);
  app.add_flag("--json", f->json, "Print one JSON object instead of a table (docs/status.md)");
  app.add_flag("--check", f->check,
               "Exit 3 unless every member is ready and the supervisor responds (for scripts); "
               "without it, status exits 0 whenever it can report");
  auto* watch = app.add_flag("--watch", f->watch, "Print the status again every --interval");
  app.add_option("--interval", f->interval_s, "Seconds between two --watch refreshes")
      ->check(CLI::Range(0.2, 3600.0))
      ->needs(watch)
      ->capture_default_str();
  app.add_option("--count", f->count, "With --watch: stop after N refreshes (default: never)")
      ->check(CLI::Range(1, 1000000))
      ->needs(watch);
  return [f]() { return f->watch ? RunWatch(*f) : RunStatus(*f); };
}

}  // namespace mysqlset::cmd
