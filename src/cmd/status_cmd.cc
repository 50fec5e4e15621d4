// `mysqlset status`: each member as its agent reports it (/v1/status), as a table or JSON.

#include <future>
#include <memory>

#include "cmd/commands.h"
#include "cmd/flags.h"
#include "core/identity.h"
#include "core/mycnf.h"
#include "formats/agent_status.h"
#include "local/cluster_dir.h"
#include "local/cluster_report.h"
#include "local/wait_verdict.h"
#include "net/http_client.h"
#include "posix/posix_env.h"

namespace mysqlset::cmd {
namespace {

struct StatusFlags {
  std::string dir = "./mysqlset-data";
  bool json = false;
};

int RunStatus(const StatusFlags& f) {
  PosixFileSystem fs;
  const local::ClusterPaths paths(Absolute(f.dir));
  auto spec = local::LoadSpec(fs, paths);
  if (!spec.ok()) return ReportError("status", spec.status());
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
  std::vector<std::future<std::optional<formats::AgentStatus>>> replies;
  for (int i = 0; i < spec->replicas; ++i) {
    const MemberAddress a = local::MemberAddressOf(*spec, static_cast<uint32_t>(i));
    replies.push_back(std::async(std::launch::async, [a]() -> std::optional<formats::AgentStatus> {
      auto reply = net::HttpGet(a.host, a.agent_port, "/v1/status", std::chrono::seconds(2));
      if (!reply.ok() || reply->status != 200) return std::nullopt;
      auto parsed = formats::FromJson<formats::AgentStatus>(reply->body);
      if (!parsed.ok()) return std::nullopt;
      return *parsed;
    }));
  }
  std::vector<local::MemberReport> members;
  for (int i = 0; i < spec->replicas; ++i) {
    local::MemberReport r;
    r.ordinal = static_cast<uint32_t>(i);
    r.agent = replies[i].get();
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
  if (f.json) {
    std::fputs(local::RenderStatusJson(*spec, members, supervisor.has_value(), warning).c_str(),
               stdout);
    return 0;
  }
  std::fputs(local::RenderStatusTable(*spec, members, supervisor.has_value(), warning).c_str(),
             stdout);
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
    if (!kept.empty()) std::printf("stopped, data kept: %s\n", kept.c_str());
  }
  // Stopped members (scaled down) keep their volumes, and any datadirs set aside in them.
  for (int i = spec->replicas;; ++i) {
    const std::string pod = PodName(spec->name, static_cast<uint32_t>(i));
    if (!fs.IsDirectory(paths.member_dir(pod))) break;
    const auto kept = ListKeptDatadirs(fs, paths.data_dir(pod));
    if (kept.empty()) continue;
    std::printf("%s:\n%s", pod.c_str(), local::RenderKeptDatadirLines(kept).c_str());
  }
  return 0;
}

}  // namespace

Action AddStatusCommand(CLI::App& app) {
  auto f = std::make_shared<StatusFlags>();
  app.add_option("--dir", f->dir, "Cluster directory")->capture_default_str();
  app.add_flag("--json", f->json, "Print one JSON object instead of a table");
  return [f]() { return RunStatus(*f); };
}

}  // namespace mysqlset::cmd
