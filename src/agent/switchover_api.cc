#include "agent/switchover_api.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <optional>

#include "common/status.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "spdlog/spdlog.h"

namespace mysqlset {
namespace {

net::HttpResponse Text(int status, const std::string& line) {
  return net::HttpResponse{status, "text/plain", line + "\n", {}};
}

std::string RandomId() {
  unsigned char raw[8];
  CHECK(RAND_bytes(raw, sizeof raw) == 1);
  std::string out;
  for (unsigned char c : raw) out += fmt::format("{:02x}", c);
  return out;
}

// {"to":"NAME"} or {}: the target, nullopt for none; an error line for anything else.
Result<std::optional<std::string>> ParseBody(const std::string& body) {
  if (body.empty()) return std::optional<std::string>();
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgument("the body must be a JSON object: {{\"to\":\"NAME\"}} or {{}}");
  }
  for (const auto& [key, value] : j.items()) {
    if (key != "to") return InvalidArgument("unknown field '{}' (only \"to\" is accepted)", key);
  }
  if (!j.contains("to") || j["to"].is_null()) return std::optional<std::string>();
  if (!j["to"].is_string()) return InvalidArgument("\"to\" must be a member name (a string)");
  return std::optional<std::string>(j["to"].get<std::string>());
}

}  // namespace

bool SwitchoverFinished(const std::string& state) {
  return state == SwitchoverStateName(SwitchoverState::kDone) ||
         state == SwitchoverStateName(SwitchoverState::kFailed);
}

bool SwitchoverApi::Authorized(const net::HttpRequest& request) const {
  const std::string header = request.Header("Authorization");
  constexpr std::string_view kPrefix = "Bearer ";
  if (deps_.token.empty() || header.size() != kPrefix.size() + deps_.token.size() ||
      header.compare(0, kPrefix.size(), kPrefix) != 0) {
    return false;
  }
  return CRYPTO_memcmp(header.data() + kPrefix.size(), deps_.token.data(), deps_.token.size()) == 0;
}

net::HttpResponse SwitchoverApi::Drain(const net::HttpRequest& request,
                                       const std::function<void()>& drain) {
  if (!Authorized(request)) {
    spdlog::warn("drain: refused a request from {} without the cluster's token", request.peer);
    return Text(401,
                "drain: missing or wrong token (send Authorization: Bearer <the cluster's "
                "backup-token>)");
  }
  drain();
  spdlog::info("drain: the pod is stopping; this member leaves the read endpoints");
  return Text(200, "draining: /replica answers 503 from now on\n");
}

net::HttpResponse SwitchoverApi::Post(const net::HttpRequest& request) {
  if (!Authorized(request)) {
    spdlog::warn("switchover: refused a request from {} without the cluster's token", request.peer);
    return Text(401,
                "switchover: missing or wrong token (send Authorization: Bearer <the cluster's "
                "backup-token>)");
  }
  auto to = ParseBody(request.body);
  if (!to.ok()) return Text(400, "switchover: " + to.status().message());

  const std::string key = deps_.keys.Switchover();
  auto existing = deps_.store->Get(key);
  if (!existing.ok())
    return Text(503, "switchover: the store does not answer: " + existing.status().message());
  int64_t existing_revision = 0;
  if (*existing) {
    auto r = formats::FromJson<formats::SwitchoverRequest>((*existing)->value);
    if (r.ok() && !SwitchoverFinished(r->state)) {
      return Text(409, fmt::format("switchover refused: switchover {} from {} to {} is already "
                                   "in progress ({})",
                                   r->id, r->from, r->to, r->state));
    }
    existing_revision = (*existing)->mod_revision;  // finished or garbled: replace it
  }
  auto view = deps_.read_view();
  if (!view.ok()) {
    return Text(503, "switchover: the store does not answer: " + view.status().message());
  }
  SwitchoverTarget target =
      CheckSwitchoverTarget(*view, deps_.set_name, deps_.members, *to, deps_.policy);
  if (!target.candidate) {
    spdlog::info("{}", target.refusal);
    return Text(409, target.refusal);
  }

  formats::SwitchoverRequest r;
  r.id = RandomId();
  r.from = target.from;
  r.to = *target.candidate;
  r.message = fmt::format("switchover from {} to {} requested", r.from, r.to);
  r.requested_at_unix_ms = deps_.clock->UnixMillis();
  r.updated_unix_ms = r.requested_at_unix_ms;
  auto lease = deps_.store->GrantLease(deps_.lease_ttl_seconds);
  if (!lease.ok()) {
    return Text(503, "switchover: the store does not answer: " + lease.status().message());
  }
  const std::string json = formats::ToJson(r);
  auto created =
      deps_.store->Txn({existing_revision == 0 ? TxnCompare::Absent(key)
                                               : TxnCompare::ModRevision(key, existing_revision)},
                       {TxnOp::Put(key, json, *lease)});
  if (!created.ok() || !*created) {
    (void)deps_.store->RevokeLease(*lease);
    if (!created.ok()) {
      return Text(503, "switchover: the store does not answer: " + created.status().message());
    }
    return Text(409, "switchover refused: another switchover was requested at the same time");
  }
  spdlog::info("switchover {} requested: {} -> {}", r.id, r.from, r.to);
  return net::HttpResponse{202, "application/json", json + "\n", {}};
}

net::HttpResponse SwitchoverApi::Get(const net::HttpRequest&) {
  auto existing = deps_.store->Get(deps_.keys.Switchover());
  if (!existing.ok()) {
    return Text(503, "switchover: the store does not answer: " + existing.status().message());
  }
  if (!*existing) return Text(404, "no switchover in progress");
  return net::HttpResponse{200, "application/json", (*existing)->value + "\n", {}};
}

}  // namespace mysqlset
