#pragma once
// etcd's v3 JSON gateway, encoded and decoded (pure: no I/O). Each Request is the path and
// JSON body of one POST; each Parse* turns the answer (HTTP status and body) into our types.
// Checked against etcd 3.4.23 (HA.md pitfalls, tests/integration/etcd_contract_test.cc):
// - keys and values are base64; int64 fields are JSON strings;
// - the gateway omits fields that hold their default: a failed txn has no "succeeded", a
//   revision or lease of 0 is absent;
// - a keepalive on a lease that is gone answers 200 with no TTL: kNotFound;
// - a dead lease (revoke, or a put on it) answers 404 with gRPC code 5: kNotFound;
// - reads are linearizable (the default; "serializable" is never set);
// - the prefix is /v3/ (3.4 also serves /v3beta/; 3.5 only /v3/).
// Errors: gRPC code 14 (no leader, timeout) and any 5xx are kUnavailable; garbled answers
// are kInternal naming the call.

#include <string>
#include <vector>

#include "common/status.h"
#include "env/coord_store.h"

namespace mysqlset::etcd {

struct GatewayRequest {
  std::string path;  // "/v3/kv/range"
  std::string body;  // JSON
};

// The range_end that, with `prefix` as key, selects every key starting with `prefix`
// (etcd's rule: the prefix with its last byte below 0xff incremented and what follows it
// dropped; "\0" for every key when no such byte exists).
std::string PrefixRangeEnd(const std::string& prefix);

GatewayRequest RangeRequest(const std::string& key);
GatewayRequest PrefixRangeRequest(const std::string& prefix);
GatewayRequest PutRequest(const std::string& key, const std::string& value, LeaseId lease);
GatewayRequest DeleteRequest(const std::string& key);
GatewayRequest TxnRequest(const std::vector<TxnCompare>& compares, const std::vector<TxnOp>& ops);
GatewayRequest LeaseGrantRequest(int64_t ttl_seconds);
GatewayRequest LeaseKeepAliveRequest(LeaseId lease);
GatewayRequest LeaseRevokeRequest(LeaseId lease);

// The keys of a range answer, in etcd's order (sorted by key).
Result<std::vector<StoredValue>> ParseRangeResponse(int http_status, const std::string& body);
// A put or delete answer.
Status ParseWriteResponse(int http_status, const std::string& body);
// true when the compares held and the ops ran.
Result<bool> ParseTxnResponse(int http_status, const std::string& body);
Result<LeaseId> ParseLeaseGrantResponse(int http_status, const std::string& body);
// The TTL the lease now has; kNotFound when it is gone.
Result<int64_t> ParseLeaseKeepAliveResponse(int http_status, const std::string& body);
// OK also when the lease was already gone.
Status ParseLeaseRevokeResponse(int http_status, const std::string& body);

// Standard base64 with padding, as the gateway sends bytes.
std::string Base64Encode(const std::string& bytes);
// kInvalidArgument unless `text` is padded standard base64.
Result<std::string> Base64Decode(const std::string& text);

}  // namespace mysqlset::etcd
