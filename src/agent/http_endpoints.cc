#include "agent/http_endpoints.h"

#include "common/logging.h"
#include "httplib.h"

namespace mysqlset {
namespace {

constexpr auto kProbeDeadline = std::chrono::seconds(2);
constexpr size_t kMaxRequestBody = 16 * 1024;
// cpp-httplib serves each connection on a pool thread until the request is read, so idle or
// slow clients each hold one (its default pool is 8: eight silent connections starved the
// probes). Threads are cheap while idle; a short read timeout frees them sooner.
constexpr size_t kHttpThreads = 64;
constexpr time_t kReadTimeoutSeconds = 2;

std::string JoinLines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

}  // namespace

AgentHttpServer::AgentHttpServer(Deps deps)
    : deps_(deps), metrics_(deps.agent->config()), server_(std::make_unique<httplib::Server>()) {
  Install();
}

AgentHttpServer::~AgentHttpServer() { Stop(); }

double AgentHttpServer::StateAgeSeconds(const AgentSnapshot& snap) const {
  if (snap.ticks == 0) return -1;
  return std::chrono::duration<double>(deps_.clock->Now() - snap.updated).count();
}

BackupStats AgentHttpServer::Backup() const {
  return deps_.backup ? deps_.backup() : BackupStats{};
}

void AgentHttpServer::Install() {
  httplib::Server& s = *server_;
  s.new_task_queue = [] { return new httplib::ThreadPool(kHttpThreads); };
  s.set_read_timeout(kReadTimeoutSeconds, 0);
  s.set_keep_alive_timeout(kReadTimeoutSeconds);
  s.set_write_timeout(5, 0);
  s.set_payload_max_length(kMaxRequestBody);
  s.set_keep_alive_max_count(1000);

  s.Get("/livez", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });

  s.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    std::unique_lock<std::timed_mutex> lock(probe_mu_, std::defer_lock);
    Status st;
    if (!lock.try_lock_for(kProbeDeadline)) {
      st = DeadlineExceeded("previous health check still waiting on mysqld");
    } else {
      st = deps_.monitor->Ping();
    }
    if (st.ok()) {
      ++healthz_ok_;
      res.set_content("ok\n", "text/plain");
    } else {
      ++healthz_fail_;
      res.status = 503;
      res.set_content("mysqld is not answering: " + st.message() + "\n", "text/plain");
    }
  });

  s.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    const AgentSnapshot snap = deps_.agent->Snapshot();
    std::vector<std::string> reasons = snap.readiness.reasons;
    const double age = StateAgeSeconds(snap);
    const double max_age =
        std::max(5.0, 3 * std::chrono::duration<double>(deps_.agent->config().tick).count());
    if (snap.readiness.ready && (age < 0 || age > max_age)) {
      reasons.push_back(fmt::format("agent state is stale ({:.0f} s old)", age));
    }
    if (reasons.empty()) {
      ++readyz_ok_;
      res.set_content(std::string("ready: ") + RoleName(snap.role) + "\n", "text/plain");
    } else {
      ++readyz_fail_;
      res.status = 503;
      res.set_content("not ready:\n" + JoinLines(reasons), "text/plain");
    }
  });

  s.Get("/v1/status", [this](const httplib::Request&, httplib::Response& res) {
    const AgentSnapshot snap = deps_.agent->Snapshot();
    res.set_content(StatusJsonText(deps_.agent->config(), snap, Backup(), StateAgeSeconds(snap)),
                    "application/json");
  });

  s.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    ProbeCounters p{healthz_ok_, healthz_fail_, readyz_ok_, readyz_fail_};
    res.set_content(metrics_.Render(deps_.agent->Snapshot(), Backup(), p),
                    "text/plain; version=0.0.4");
  });

  s.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (res.status == 404) {
      res.set_content("unknown path; try /livez /healthz /readyz /v1/status /metrics\n",
                      "text/plain");
    }
  });
}

Status AgentHttpServer::Start(const std::string& bind_address, uint16_t port) {
  if (!server_->bind_to_port(bind_address.c_str(), port)) {
    return Unavailable("cannot listen on {}:{} for the agent's HTTP endpoints (port in use?)",
                       bind_address, port);
  }
  port_ = port;
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return Status::Ok();
}

void AgentHttpServer::Stop() {
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
}

}  // namespace mysqlset
