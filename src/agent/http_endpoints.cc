#include "agent/http_endpoints.h"

#include "common/logging.h"

namespace mysqlset {
namespace {

constexpr auto kProbeDeadline = std::chrono::seconds(2);

net::HttpServerOptions ServerOptions() {
  net::HttpServerOptions o;
  o.name = "agent http";
  o.not_found_body =
      "unknown path; try /livez /healthz /readyz /primary /replica /v1/status /v1/switchover "
      "/v1/drain /metrics\n";
  o.max_body_bytes = 1024;  // POST /v1/switchover: {"to":"NAME"}
  return o;
}

net::HttpResponse Text(int status, std::string body) {
  return net::HttpResponse{status, "text/plain", std::move(body), {}};
}

std::string JoinLines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

}  // namespace

AgentHttpServer::AgentHttpServer(Deps deps)
    : deps_(deps), metrics_(deps.agent->config()), server_(ServerOptions()) {
  Install();
}

AgentHttpServer::~AgentHttpServer() { Stop(); }

std::optional<double> AgentHttpServer::StateAgeSeconds(const AgentSnapshot& snap) const {
  if (snap.ticks == 0) return std::nullopt;
  return std::chrono::duration<double>(deps_.clock->Now() - snap.updated).count();
}

BackupStats AgentHttpServer::Backup() const {
  return deps_.backup ? deps_.backup() : BackupStats{};
}

void AgentHttpServer::Install() {
  // The cpp-httplib server used before served each connection on a pool thread until its
  // request was read, so 200 silent connections kept /readyz waiting and HAProxy took the
  // primary out of service. Now connections wait for their request without a thread, and
  // each kind of endpoint has workers of its own.
  const auto probes = server_.AddLane("probe", 2);
  const auto health = server_.AddLane("healthz", 2);

  server_.Get(
      "/livez", [](const net::HttpRequest&) { return Text(200, "ok\n"); }, probes);

  server_.Get(
      "/healthz",
      [this](const net::HttpRequest&) {
        std::unique_lock<std::timed_mutex> lock(probe_mu_, std::defer_lock);
        Status st;
        if (!lock.try_lock_for(kProbeDeadline)) {
          st = DeadlineExceeded("previous health check still waiting on mysqld");
        } else {
          st = deps_.monitor->Ping();
        }
        if (st.ok()) {
          ++healthz_ok_;
          return Text(200, "ok\n");
        }
        ++healthz_fail_;
        return Text(503, "mysqld is not answering: " + st.message() + "\n");
      },
      health);

  server_.Get(
      "/readyz",
      [this](const net::HttpRequest&) {
        // Decided again now: the last tick's state may have gone stale since.
        const AgentSnapshot snap = deps_.agent->Snapshot();
        const Readiness r = deps_.agent->ReadinessOf(snap, StateAgeSeconds(snap));
        if (r.ready) {
          ++readyz_ok_;
          std::string body = std::string("ready: ") + RoleName(snap.role) + "\n";
          if (!r.stale_reads.empty()) body += r.stale_reads + "\n";
          if (!r.awaiting_election.empty()) body += r.awaiting_election + "\n";
          if (!r.awaiting_replica.empty()) body += r.awaiting_replica + "\n";
          return Text(200, std::move(body));
        }
        ++readyz_fail_;
        return Text(503, "not ready:\n" + JoinLines(r.reasons));
      },
      probes);

  // HAProxy's write backend: only the holder of the leader key, in time, with a writable
  // server. Decided at request time: the lease may expire between two ticks.
  server_.Get(
      "/primary",
      [this](const net::HttpRequest&) {
        const AgentSnapshot snap = deps_.agent->Snapshot();
        if (Agent::ServesPrimary(snap, deps_.clock->Now())) return Text(200, "primary\n");
        return Text(503, std::string("not the primary: ") + RoleVerdictName(snap.decision.verdict) +
                             ": " + snap.decision.reason + "\n");
      },
      probes);

  // HAProxy's read backend: a replica following the leader that passes its readiness rules
  // (read-only, replicating, under the lag limit) on state that is not stale. While no one
  // leads (the primary's lease expired, an election or failover is under way), a replica
  // serving stale reads under core/readiness.h's rule stays in too: reads survive the loss.
  server_.Get(
      "/replica",
      [this](const net::HttpRequest&) {
        if (draining_) return Text(503, "draining: the pod is stopping\n");
        const AgentSnapshot snap = deps_.agent->Snapshot();
        const Readiness r = deps_.agent->ReadinessOf(snap, StateAgeSeconds(snap));
        if (Agent::ServesReplica(snap, r)) {
          return Text(200,
                      r.stale_reads.empty() ? "replica\n" : "replica\n" + r.stale_reads + "\n");
        }
        if (snap.role != Role::kReplica || snap.decision.verdict != RoleVerdict::kFollow) {
          return Text(503, std::string("not a replica: ") + RoleVerdictName(snap.decision.verdict) +
                               ": " + snap.decision.reason + "\n");
        }
        return Text(503, "not a healthy replica:\n" + JoinLines(r.reasons));
      },
      probes);

  server_.Get("/v1/status", [this](const net::HttpRequest&) {
    const AgentSnapshot snap = deps_.agent->Snapshot();
    formats::AgentStatus st =
        StatusOf(deps_.agent->config(), snap, Backup(), StateAgeSeconds(snap).value_or(-1));
    if (deps_.archive_status) st.archive = deps_.archive_status();
    if (deps_.data_volume) st.data_volume = deps_.data_volume();
    return net::HttpResponse{200, "application/json", formats::ToJson(st), {}};
  });

  if (deps_.switchover) {
    server_.Post("/v1/switchover",
                 [this](const net::HttpRequest& r) { return deps_.switchover->Post(r); });
    server_.Get("/v1/switchover",
                [this](const net::HttpRequest& r) { return deps_.switchover->Get(r); });
    server_.Post("/v1/drain", [this](const net::HttpRequest& r) {
      return deps_.switchover->Drain(r, [this] { draining_ = true; });
    });
  }

  server_.Get("/metrics", [this](const net::HttpRequest&) {
    ProbeCounters p{healthz_ok_, healthz_fail_, readyz_ok_, readyz_fail_};
    return net::HttpResponse{
        200,
        "text/plain; version=0.0.4",
        metrics_.Render(deps_.agent->Snapshot(), Backup(), p,
                        deps_.data_volume ? deps_.data_volume() : std::nullopt) +
            (deps_.extra_metrics ? deps_.extra_metrics() : ""),
        {}};
  });
}

Status AgentHttpServer::Start(const std::string& bind_address, uint16_t port) {
  if (Status st = server_.Start(bind_address, port); !st.ok()) {
    return Unavailable("cannot listen on {}:{} for the agent's HTTP endpoints (port in use?): {}",
                       bind_address, port, st.message());
  }
  return Status::Ok();
}

void AgentHttpServer::Stop() { server_.Stop(); }

}  // namespace mysqlset
