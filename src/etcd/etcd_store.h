#pragma once
// The real CoordStore: etcd 3.4+ over its v3 JSON gateway (gateway_codec.h), spoken with
// net/http_client.h over plain HTTP on one or more client endpoints.
//
// Endpoints: each call tries the endpoint that answered last, then the others in order,
// each with `timeout` per request (connect, send and each read). An endpoint that cannot
// connect, or answers that it has no leader or timed out (gRPC code 14, any 5xx), is skipped;
// when none answers the call is kUnavailable, naming every endpoint and why. A call that
// failed makes the next one start at the following endpoint, so a member cut off from its
// quorum is not asked first for ever.
// A txn is sent again to another endpoint only when it never left (could not connect): once
// sent, its outcome is unknown, so it is kUnavailable ("outcome unknown") and the caller
// re-reads the store (the agent does every tick). Other calls are safe to repeat.
// Keys and values are logged at debug level only.
// Thread-safe: calls may run concurrently (each uses its own connection).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "env/coord_store.h"
#include "net/http_client.h"

namespace mysqlset::etcd {

struct EtcdEndpoint {
  std::string host;
  uint16_t port = 0;
  std::string url() const;  // "http://host:port"
  bool operator==(const EtcdEndpoint&) const = default;
};

// "http://127.0.0.1:2379,http://127.0.0.1:2381": comma-separated, spaces around commas
// ignored, each exactly http://HOST:PORT (no https, no path, no user). One clear error
// line (kInvalidArgument) naming the bad entry and the expected form.
Result<std::vector<EtcdEndpoint>> ParseEtcdEndpoints(const std::string& text);

// How a request reaches an endpoint: net::HttpPostJson, or a fake in unit tests.
using EtcdTransport = std::function<Result<net::HttpReply>(
    const std::string& base_url, const std::string& path, const std::string& json_body,
    std::chrono::milliseconds timeout)>;

inline constexpr std::chrono::milliseconds kDefaultEtcdTimeout{1000};

class EtcdStore : public CoordStore {
 public:
  // REQUIRES: `endpoints` not empty.
  EtcdStore(std::vector<EtcdEndpoint> endpoints, std::chrono::milliseconds timeout,
            EtcdTransport transport = net::HttpPostJson);

  Result<LeaseId> GrantLease(int64_t ttl_seconds) override;
  Result<int64_t> KeepAlive(LeaseId lease) override;
  Status RevokeLease(LeaseId lease) override;
  Result<std::optional<StoredValue>> Get(const std::string& key) override;
  Result<std::vector<StoredValue>> List(const std::string& prefix) override;
  Status Put(const std::string& key, const std::string& value, LeaseId lease = 0) override;
  Status Delete(const std::string& key) override;
  Result<bool> Txn(const std::vector<TxnCompare>& compares, const std::vector<TxnOp>& ops) override;

  const std::vector<EtcdEndpoint>& endpoints() const { return endpoints_; }

 private:
  enum class Repeat { kSafe, kOnlyIfNotSent };
  // The answer of the first endpoint that gave one (see the header comment).
  Result<net::HttpReply> Send(const std::string& path, const std::string& body, Repeat repeat);

  const std::vector<EtcdEndpoint> endpoints_;
  const std::chrono::milliseconds timeout_;
  const EtcdTransport transport_;
  std::atomic<size_t> next_{0};  // the endpoint to try first
};

// Parses `endpoints_text` (ParseEtcdEndpoints) and opens an EtcdStore on it; no request is
// made (the first call finds out whether etcd answers). For the agent and the CLI.
Result<std::unique_ptr<CoordStore>> OpenEtcdStore(
    const std::string& endpoints_text, std::chrono::milliseconds timeout = kDefaultEtcdTimeout);

}  // namespace mysqlset::etcd
