// `mysqlset switchover`: asks an agent to move the primary role (POST /v1/switchover), shows
// the steps as the primary's agent takes them, and returns 0 only once the new primary takes
// writes through the write endpoint and the old one is a ready replica (docs/roles.md).
// Kubernetes' preStop hooks use --if-primary --drain (the agent container: leave the read
// endpoints, and hand over only from the primary) and --wait-not-primary --drain-wait (the
// mariadbd container: keep the server up until then, and until the routers have noticed).

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "agent/secrets.h"
#include "cmd/commands.h"
#include "cmd/flags.h"
#include "core/accounts.h"
#include "formats/agent_status.h"
#include "formats/store_records.h"
#include "local/cluster_dir.h"
#include "local/cluster_spec.h"
#include "mariadb/connection.h"
#include "net/http_client.h"
#include "nlohmann/json.hpp"
#include "posix/posix_env.h"

namespace mysqlset::cmd {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kPoll = std::chrono::milliseconds(100);
constexpr auto kHttpTimeout = std::chrono::seconds(3);

struct SwitchoverFlags {
  std::string dir = "./mysqlset-data";
  std::string to;
  std::string agent;  // Kubernetes: an agent's URL; the token from --token-file
  std::string token_file;
  double timeout_s = 60;
  // Kubernetes' preStop (docs/kubernetes.md): hand over only when the agent at --agent is the
  // primary; or, without a request, wait until it no longer is.
  bool if_primary = false;
  bool wait_not_primary = false;
  // With --if-primary: first ask the agent to leave the read endpoints (POST /v1/drain).
  bool drain = false;
  // With --wait-not-primary: also wait until the agent serves /replica no more, then this
  // many seconds for the routers' checks to take the member out (docs/kubernetes.md).
  double drain_wait_s = 0;
};

// Where to ask and with which token.
struct Target {
  std::vector<std::string> agent_urls;     // tried in order until one answers
  std::string token;                       // secret
  std::optional<local::ClusterSpec> spec;  // local mode
  std::optional<Secrets> secrets;          // local mode: the admin password for the check
};

Result<Target> ResolveTarget(const SwitchoverFlags& f) {
  PosixFileSystem fs;
  Target t;
  if (!f.agent.empty()) {
    const std::string file =
        f.token_file.empty() ? MemberFlags{}.secrets_dir + "/" + kBackupTokenFile : f.token_file;
    const size_t slash = file.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : file.substr(0, slash);
    const std::string name = slash == std::string::npos ? file : file.substr(slash + 1);
    auto token = ReadSecretFile(fs, dir, name.c_str());
    if (!token.ok()) return token.status();
    t.token = *token;
    t.agent_urls.push_back(f.agent);
    return t;
  }
  const local::ClusterPaths paths(Absolute(f.dir));
  auto spec = local::LoadSpec(fs, paths);
  if (!spec.ok()) return spec.status();
  auto secrets = LoadSecrets(fs, paths.secrets_dir());
  if (!secrets.ok()) return secrets.status();
  t.token = secrets->backup_token;
  t.spec = *spec;
  t.secrets = *secrets;
  for (int i = 0; i < spec->replicas; ++i) {
    const MemberAddress a = local::MemberAddressOf(*spec, static_cast<uint32_t>(i));
    t.agent_urls.push_back(fmt::format("http://{}:{}", a.host, a.agent_port));
  }
  return t;
}

std::string FirstLine(std::string s) {
  if (const size_t eol = s.find('\n'); eol != std::string::npos) s.resize(eol);
  return s;
}

// POSTs the request to the first agent that answers; returns its URL and the request.
Result<std::pair<std::string, formats::SwitchoverRequest>> Ask(const Target& t,
                                                               const std::string& to) {
  nlohmann::json body = nlohmann::json::object();
  if (!to.empty()) body["to"] = to;
  Status last = Unavailable("no agent answered");
  for (const std::string& url : t.agent_urls) {
    auto reply =
        net::HttpPostJsonWithToken(url, "/v1/switchover", body.dump(), t.token, kHttpTimeout);
    if (!reply.ok()) {
      last = reply.status();
      continue;
    }
    if (reply->status == 404) {
      last = FailedPrecondition("the agent at {} does not serve /v1/switchover (an older release?)",
                                url);
      continue;
    }
    if (reply->status != 202) return FailedPrecondition("{}", FirstLine(reply->body));
    auto r = formats::FromJson<formats::SwitchoverRequest>(reply->body);
    if (!r.ok()) return r.status();
    return std::make_pair(url, *r);
  }
  return Unavailable("no agent took the request: {}", last.message());
}

// The request as the agent at `url` has it now; nullopt when there is none (404).
Result<std::optional<formats::SwitchoverRequest>> Current(const std::string& url) {
  auto reply = net::HttpGet(url, "/v1/switchover", kHttpTimeout);
  if (!reply.ok()) return reply.status();
  if (reply->status == 404) return std::optional<formats::SwitchoverRequest>();
  if (reply->status != 200) return Unavailable("{}", FirstLine(reply->body));
  auto r = formats::FromJson<formats::SwitchoverRequest>(reply->body);
  if (!r.ok()) return r.status();
  return std::optional<formats::SwitchoverRequest>(*r);
}

Result<formats::AgentStatus> AgentStatusOf(const local::ClusterSpec& spec,
                                           const std::string& member) {
  auto id = ParseIdentity(member);
  if (!id.ok()) return id.status();
  const MemberAddress a = local::MemberAddressOf(spec, id->ordinal);
  auto reply = net::HttpGet(a.host, a.agent_port, "/v1/status", kHttpTimeout);
  if (!reply.ok()) return reply.status();
  if (reply->status != 200) return Unavailable("{}'s agent answered {}", member, reply->status);
  return formats::FromJson<formats::AgentStatus>(reply->body);
}

// The server behind the write endpoint: its server_id, when it is writable.
Result<uint32_t> WritableServerId(const local::ClusterSpec& spec, const Secrets& secrets) {
  ConnectOptions o;
  o.host = local::kLocalHost;
  o.port = local::WritePort(spec);
  o.user = kAdminUser;
  o.password = secrets.admin_password;
  o.connect_timeout_s = 2;
  auto c = Connection::Open(o);
  if (!c.ok()) return c.status();
  auto rows = (*c)->Query("SELECT @@global.server_id, @@global.read_only");
  if (!rows.ok()) return rows.status();
  if (rows->rows.size() != 1 || rows->rows[0].size() != 2) return Internal("unexpected result");
  if (rows->rows[0][1] != "0") return Unavailable("the write endpoint leads to a read-only server");
  return static_cast<uint32_t>(std::stoul(rows->rows[0][0].value_or("0")));
}

// Local mode: the new primary takes writes through the write endpoint, and the old primary
// is a ready replica. Empty when both hold, else what does not yet.
std::string LocalOutcome(const Target& t, const formats::SwitchoverRequest& r) {
  auto primary = AgentStatusOf(*t.spec, r.to);
  if (!primary.ok()) return primary.status().message();
  auto id = WritableServerId(*t.spec, *t.secrets);
  if (!id.ok()) return "write endpoint: " + id.status().message();
  if (*id != primary->server_id) {
    return fmt::format("the write endpoint leads to server_id {}, not {}'s {}", *id, r.to,
                       primary->server_id);
  }
  auto old = AgentStatusOf(*t.spec, r.from);
  if (!old.ok()) return old.status().message();
  if (old->role != "replica" || !old->ready) {
    return fmt::format("{} is not a ready replica yet ({}{})", r.from, old->role,
                       old->reasons.empty() ? "" : ": " + old->reasons.front());
  }
  return "";
}

// How far a request in `state` got: 0 requested, 1 read_only, 2 caught_up, 3 handed over.
int StepIndex(const std::string& state) {
  if (state == "read_only") return 1;
  if (state == "caught_up") return 2;
  if (state == "handed_over" || state == "done") return 3;
  return 0;
}

// Whether the agent at `url` serves /primary now (HAProxy's write check).
Result<bool> ServesPrimary(const std::string& url) {
  auto reply = net::HttpGet(url, "/primary", kHttpTimeout);
  if (!reply.ok()) return reply.status();
  return reply->status == 200;
}

// Whether the agent at `url` serves /replica now (HAProxy's read check); an agent that does
// not answer serves nothing.
bool ServesReplica(const std::string& url) {
  auto reply = net::HttpGet(url, "/replica", kHttpTimeout);
  return reply.ok() && reply->status == 200;
}

// --drain-wait: once the agent serves /replica no more (its own preStop drained it), waits
// `drain_wait_s` for every router to mark the member down, all within `deadline`.
int WaitDrained(const SwitchoverFlags& f, Clock::time_point deadline) {
  while (Clock::now() < deadline && ServesReplica(f.agent)) std::this_thread::sleep_for(kPoll);
  if (Clock::now() >= deadline) {
    return ReportError("switchover", DeadlineExceeded("{} still serves /replica after {:g} s",
                                                      f.agent, f.timeout_s));
  }
  std::printf("%s serves no endpoint: waiting %g s for the routers to notice\n", f.agent.c_str(),
              f.drain_wait_s);
  std::fflush(stdout);
  const auto until = std::min(
      deadline,
      Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(f.drain_wait_s * 1000)));
  std::this_thread::sleep_until(until);
  return kExitOk;
}

// --wait-not-primary: returns once the agent at --agent does not serve /primary (it handed
// over, it never was the primary, or it is gone), or fails at the timeout; with
// --drain-wait, then also once it is out of the read endpoints (WaitDrained).
int WaitNotPrimary(const SwitchoverFlags& f) {
  const auto deadline =
      Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(f.timeout_s * 1000));
  bool said = false;
  while (Clock::now() < deadline) {
    auto primary = ServesPrimary(f.agent);
    if (!primary.ok() || !*primary) {
      std::printf("%s is not the primary%s\n", f.agent.c_str(),
                  primary.ok() ? "" : (": " + primary.status().message()).c_str());
      std::fflush(stdout);
      return f.drain_wait_s > 0 ? WaitDrained(f, deadline) : kExitOk;
    }
    if (!said) {
      std::printf("%s is the primary: waiting for it to hand over\n", f.agent.c_str());
      std::fflush(stdout);
      said = true;
    }
    std::this_thread::sleep_for(kPoll);
  }
  return ReportError("switchover", DeadlineExceeded("{} still serves /primary after {:g} s",
                                                    f.agent, f.timeout_s));
}

int RunSwitchover(const SwitchoverFlags& f) {
  if ((f.if_primary || f.wait_not_primary) && f.agent.empty()) {
    return ReportError("switchover",
                       InvalidArgument("--if-primary and --wait-not-primary need --agent URL (the "
                                       "agent of this pod's member)"));
  }
  if ((f.drain && !f.if_primary) || (f.drain_wait_s > 0 && !f.wait_not_primary)) {
    return ReportError("switchover", InvalidArgument("--drain goes with --if-primary, and "
                                                     "--drain-wait with --wait-not-primary"));
  }
  if (f.wait_not_primary) return WaitNotPrimary(f);
  if (f.drain) {
    // Before any hand-over: the old primary turns replica during it, and must not join the
    // read endpoints on its way out. A failed drain does not stop the hand-over.
    auto target = ResolveTarget(f);
    if (!target.ok()) return ReportError("switchover", target.status());
    auto reply =
        net::HttpPostJsonWithToken(f.agent, "/v1/drain", "{}", target->token, kHttpTimeout);
    if (!reply.ok() || reply->status != 200) {
      std::printf("%s did not drain: %s\n", f.agent.c_str(),
                  reply.ok() ? FirstLine(reply->body).c_str() : reply.status().message().c_str());
    } else {
      std::printf("%s leaves the read endpoints\n", f.agent.c_str());
    }
    std::fflush(stdout);
  }
  if (f.if_primary) {
    auto primary = ServesPrimary(f.agent);
    if (!primary.ok()) return ReportError("switchover", primary.status());
    if (!*primary) {
      std::printf("%s is not the primary: nothing to hand over\n", f.agent.c_str());
      return kExitOk;
    }
  }
  auto target = ResolveTarget(f);
  if (!target.ok()) return ReportError("switchover", target.status());
  auto asked = Ask(*target, f.to);
  if (!asked.ok()) return ReportError("switchover", asked.status());
  const auto& [url, request] = *asked;
  std::printf("switchover %s: %s -> %s\n", request.id.c_str(), request.from.c_str(),
              request.to.c_str());
  std::fflush(stdout);

  const auto deadline =
      Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(f.timeout_s * 1000));
  std::string state = request.state;
  bool handed_over = false;
  int shown = 0;  // progress lines printed: 1 read-only, 2 caught up
  std::string why = "no answer";
  while (Clock::now() < deadline) {
    if (!handed_over) {
      auto now = Current(url);
      if (!now.ok()) {
        why = now.status().message();
      } else if (!*now || (*now)->id != request.id) {
        return ReportError("switchover",
                           FailedPrecondition("the request expired in state {} before the primary "
                                              "role moved; nothing changed",
                                              state));
      } else if ((*now)->state != state) {
        state = (*now)->state;
        if (state == "failed") {
          std::printf("%s\n", (*now)->message.c_str());
        } else {
          // The primary may take several steps between two polls: show each step passed.
          const int reached = StepIndex(state);
          for (; shown < reached && shown < 2; ++shown) {
            if (shown == 0) std::printf("%s read-only\n", request.from.c_str());
            if (shown == 1) {
              std::printf("%s caught up to %s\n", request.to.c_str(), (*now)->gtid.c_str());
            }
          }
        }
        std::fflush(stdout);
        if (state == "failed") return kExitFailure;
        handed_over = state == "handed_over" || state == "done";
      }
    }
    if (handed_over) {
      if (!target->spec) {  // Kubernetes: the candidate's agent says when it leads, writable
        auto now = Current(url);
        if (now.ok() && *now && (*now)->id == request.id && (*now)->state == "done") {
          std::printf("%s is primary\n", request.to.c_str());
          return kExitOk;
        }
        why = "waiting for " + request.to + " to report itself primary";
      } else if (why = LocalOutcome(*target, request); why.empty()) {
        std::printf("%s is primary\n%s is a ready replica\n", request.to.c_str(),
                    request.from.c_str());
        return kExitOk;
      }
    }
    std::this_thread::sleep_for(kPoll);
  }
  return ReportError("switchover", DeadlineExceeded("not finished after {:g} s (state {}): {}",
                                                    f.timeout_s, state, why));
}

}  // namespace

Action AddSwitchoverCommand(CLI::App& app) {
  auto f = std::make_shared<SwitchoverFlags>();
  AddClusterDirFlag(app, f->dir);
  app.add_option("--to", f->to,
                 "The member to make primary (NAME-N); default: the most caught-up healthy "
                 "replica");
  app.add_option("--agent", f->agent,
                 "Ask the agent at this URL (http://HOST:PORT), e.g. inside a Kubernetes pod, "
                 "instead of a local cluster's");
  app.add_option("--token-file", f->token_file,
                 "With --agent: the file holding the cluster's backup-token (default: "
                 "/etc/mysqlset/secrets/backup-token)");
  app.add_option("--timeout", f->timeout_s, "Give up after this many seconds")
      ->check(CLI::Range(1.0, 3600.0));
  auto* if_primary = app.add_flag(
      "--if-primary", f->if_primary,
      "With --agent: request the switchover only when that agent's member is the primary "
      "(serves /primary); otherwise do nothing and exit 0 (Kubernetes' preStop)");
  app.add_flag("--wait-not-primary", f->wait_not_primary,
               "With --agent: request nothing; wait until that agent's member is not the "
               "primary, up to --timeout (the mariadbd container's preStop)")
      ->excludes(if_primary);
  app.add_flag("--drain", f->drain,
               "With --if-primary: first take the member out of the read endpoints (POST "
               "/v1/drain; the agent container's preStop)");
  app.add_option("--drain-wait", f->drain_wait_s,
                 "With --wait-not-primary: then wait until the member serves no read endpoint, "
                 "and this many seconds more for the routers to notice")
      ->check(CLI::Range(0.0, 600.0));
  return [f]() { return RunSwitchover(*f); };
}

}  // namespace mysqlset::cmd
