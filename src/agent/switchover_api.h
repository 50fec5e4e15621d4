#pragma once
// POST /v1/switchover and GET /v1/switchover on every agent (docs/roles.md "Switchover").
// POST, with "Authorization: Bearer <the cluster's backup-token>" and a body {"to":"NAME"}
// or {}: checks the request (core/switchover.h) against one read of the store and, when it
// may go ahead, creates the "switchover" key (create-if-absent, on a fresh 30 s lease); 202
// and the request's JSON. 401 for a missing or wrong token, 400 for a bad body, 409 with the
// refusal line when refused or when a request is already in progress, 503 when the store
// does not answer. Nothing in the store changes unless it answers 202.
// GET: the current request's JSON, or 404. Neither carries a secret. POST /v1/drain: below.

#include <cstdint>
#include <functional>
#include <string>

#include "common/status.h"
#include "core/leadership.h"
#include "core/switchover.h"
#include "env/clock.h"
#include "env/coord_store.h"
#include "formats/store_records.h"
#include "net/http_message.h"

namespace mysqlset {

class SwitchoverApi {
 public:
  struct Deps {
    CoordStore* store;
    formats::StoreKeys keys;
    std::string set_name;
    uint32_t members = 1;  // expected members: ordinals 0..members-1 exist
    std::string token;     // Secrets::backup_token (secret: never logged or returned)
    SwitchoverPolicy policy;
    std::function<Result<ClusterView>()> read_view;  // one linearizable read of the keys
    const Clock* clock;
    int64_t lease_ttl_seconds = 30;
  };
  explicit SwitchoverApi(Deps deps) : deps_(std::move(deps)) {}

  net::HttpResponse Post(const net::HttpRequest& request);
  net::HttpResponse Get(const net::HttpRequest& request);
  // POST /v1/drain, with the same token: the pod is stopping (Kubernetes' preStop). Calls
  // `drain` (the agent then serves /replica no more, so the routers take the member out of
  // the read endpoints before mariadbd gets SIGTERM) and answers 200; 401 without the token.
  // Nothing in the store changes.
  net::HttpResponse Drain(const net::HttpRequest& request, const std::function<void()>& drain);

 private:
  bool Authorized(const net::HttpRequest& request) const;

  Deps deps_;
};

// True when a request in `state` is finished ("done" or "failed"): a new one may replace it.
bool SwitchoverFinished(const std::string& state);

}  // namespace mysqlset
