#include "etcd/etcd_store.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "etcd/gateway_codec.h"
#include "fmt/ranges.h"
#include "spdlog/spdlog.h"

namespace mysqlset::etcd {
namespace {

constexpr const char* kEndpointForm =
    "give comma-separated http://HOST:PORT endpoints, e.g. "
    "http://127.0.0.1:2379,http://127.0.0.1:2381 (plain http only)";

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

bool ValidHost(const std::string& host) {
  return !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
  });
}

Result<EtcdEndpoint> ParseOne(const std::string& entry) {
  constexpr std::string_view kScheme = "http://";
  auto bad = [&] {
    return InvalidArgument("etcd endpoint '{}' is not http://HOST:PORT: {}", entry, kEndpointForm);
  };
  if (!entry.starts_with(kScheme)) return bad();
  std::string rest = entry.substr(kScheme.size());
  if (rest.ends_with("/")) rest.pop_back();
  const size_t colon = rest.rfind(':');
  if (colon == std::string::npos) return bad();
  EtcdEndpoint ep{rest.substr(0, colon), 0};
  const std::string port = rest.substr(colon + 1);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (!ValidHost(ep.host) || port.empty() || ec != std::errc() ||
      end != port.data() + port.size() || value == 0 || value > 65535) {
    return bad();
  }
  ep.port = static_cast<uint16_t>(value);
  return ep;
}

// An answer that says "ask another member": no leader, a timeout, an overloaded proxy.
bool AnotherMemberMayAnswer(const net::HttpReply& reply) { return reply.status >= 500; }

}  // namespace

std::string EtcdEndpoint::url() const { return fmt::format("http://{}:{}", host, port); }

Result<std::vector<EtcdEndpoint>> ParseEtcdEndpoints(const std::string& text) {
  std::vector<EtcdEndpoint> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    const std::string entry = Trim(text.substr(start, comma - start));
    start = comma + 1;
    if (entry.empty()) {
      if (Trim(text).empty()) return InvalidArgument("no etcd endpoints given: {}", kEndpointForm);
      return InvalidArgument("etcd endpoints '{}' have an empty entry: {}", text, kEndpointForm);
    }
    ASSIGN_OR_RETURN(EtcdEndpoint ep, ParseOne(entry));
    if (std::find(out.begin(), out.end(), ep) != out.end()) {
      return InvalidArgument("etcd endpoint '{}' is given twice: {}", entry, kEndpointForm);
    }
    out.push_back(std::move(ep));
  }
  return out;
}

EtcdStore::EtcdStore(std::vector<EtcdEndpoint> endpoints, std::chrono::milliseconds timeout,
                     EtcdTransport transport)
    : endpoints_(std::move(endpoints)), timeout_(timeout), transport_(std::move(transport)) {
  CHECK(!endpoints_.empty());
}

Result<net::HttpReply> EtcdStore::Send(const std::string& path, const std::string& body,
                                       Repeat repeat) {
  const size_t n = endpoints_.size();
  const size_t first = next_.load() % n;
  std::string failures;
  for (size_t i = 0; i < n; ++i) {
    const size_t at = (first + i) % n;
    const std::string url = endpoints_[at].url();
    spdlog::debug("etcd POST {}{} {}", url, path, body);
    Result<net::HttpReply> reply = transport_(url, path, body, timeout_);
    if (reply.ok() && !AnotherMemberMayAnswer(*reply)) {
      next_ = at;
      return reply;
    }
    const std::string why = reply.ok() ? fmt::format("{}{}: HTTP {}: {}", url, path, reply->status,
                                                     reply->body.substr(0, 200))
                                       : reply.status().message();
    spdlog::debug("etcd {}{}: {}", url, path, why);
    failures += fmt::format("{}{}", failures.empty() ? "" : "; ", why);
    // Sent but unanswered, or answered with an error: the txn may have been applied.
    const bool sent = reply.ok() || reply.status().code() != StatusCode::kUnavailable;
    if (repeat == Repeat::kOnlyIfNotSent && sent) {
      next_ = (at + 1) % n;
      return Unavailable("etcd {}: outcome unknown, not retried elsewhere ({})", path, why);
    }
  }
  next_ = (first + 1) % n;
  std::vector<std::string> urls;
  for (const EtcdEndpoint& ep : endpoints_) urls.push_back(ep.url());
  return Unavailable("etcd {}: no endpoint answered ({}): {}", path, fmt::join(urls, ","),
                     failures);
}

Result<LeaseId> EtcdStore::GrantLease(int64_t ttl_seconds) {
  GatewayRequest req = LeaseGrantRequest(ttl_seconds);
  ASSIGN_OR_RETURN(net::HttpReply reply, Send(req.path, req.body, Repeat::kSafe));
  return ParseLeaseGrantResponse(reply.status, reply.body);
}

Result<int64_t> EtcdStore::KeepAlive(LeaseId lease) {
  GatewayRequest req = LeaseKeepAliveRequest(lease);
  ASSIGN_OR_RETURN(net::HttpReply reply, Send(req.path, req.body, Repeat::kSafe));
  return ParseLeaseKeepAliveResponse(reply.status, reply.body);
}

Status EtcdStore::RevokeLease(LeaseId lease) {
  GatewayRequest req = LeaseRevokeRequest(lease);
  ASSIGN_OR_RETURN(net::HttpReply reply, Send(req.path, req.body, Repeat::kSafe));
  return ParseLeaseRevokeResponse(reply.status, reply.body);
}

Result<std::optional<StoredValue>> EtcdStore::Get(const std::string& key) {
  GatewayRequest req = RangeRequest(key);
  ASSIGN_OR_RETURN(net::HttpReply reply, Send(req.path, req.body, Repeat::kSafe));
  ASSIGN_OR_RETURN(std::vector<StoredValue> kvs, ParseRangeResponse(reply.status, reply.body));
  if (kvs.empty()) return std::optional<StoredValue>();
  if (kvs.size() > 1 || kvs[0].key != key) {
    return Internal("etcd range {}: the answer holds other keys", key);
  }
  return std::optional<StoredValue>(std::move(kvs[0]));
}

Result<std::vector<StoredValue>> EtcdStore::List(const std::string& prefix) {
  GatewayRequest req = PrefixRangeRequest(prefix);
  ASSIGN_OR_RETURN(net::HttpReply reply, Send(req.path, req.body, Repeat::kSafe));
  return ParseRangeResponse(reply.status, reply.body);
}

Status EtcdStore::Put(const std::string& key, const std::string& value, LeaseId lease) {
  GatewayRequest req = PutRequest(key, value, lease);
  ASSIGN_OR_RETURN(net::HttpReply reply, Send(req.path, req.body, Repeat::kSafe));
  return ParseWriteResponse(reply.status, reply.body);
}

Status EtcdStore::Delete(const std::string& key) {
  GatewayRequest req = DeleteRequest(key);
  ASSIGN_OR_RETURN(net::HttpReply reply, Send(req.path, req.body, Repeat::kSafe));
  return ParseWriteResponse(reply.status, reply.body);
}

Result<bool> EtcdStore::Txn(const std::vector<TxnCompare>& compares,
                            const std::vector<TxnOp>& ops) {
  GatewayRequest req = TxnRequest(compares, ops);
  ASSIGN_OR_RETURN(net::HttpReply reply, Send(req.path, req.body, Repeat::kOnlyIfNotSent));
  return ParseTxnResponse(reply.status, reply.body);
}

Result<std::unique_ptr<CoordStore>> OpenEtcdStore(const std::string& endpoints_text,
                                                  std::chrono::milliseconds timeout) {
  ASSIGN_OR_RETURN(std::vector<EtcdEndpoint> endpoints, ParseEtcdEndpoints(endpoints_text));
  return std::unique_ptr<CoordStore>(std::make_unique<EtcdStore>(std::move(endpoints), timeout));
}

}  // namespace mysqlset::etcd
