#include "etcd/gateway_codec.h"

#include <openssl/evp.h>

#include <cctype>
#include <charconv>

#include "nlohmann/json.hpp"

namespace mysqlset::etcd {
namespace {

using nlohmann::json;

GatewayRequest Make(std::string path, const json& body) { return {std::move(path), body.dump()}; }

// Int64 fields travel as decimal strings (JSON numbers cannot hold every int64).
std::string Int(int64_t v) { return std::to_string(v); }

// An int64 field: absent means 0 (the gateway omits defaults); a string or a number.
Result<int64_t> IntField(const json& obj, const char* name, const char* call) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return int64_t{0};
  if (it->is_number_integer()) return it->get<int64_t>();
  if (it->is_string()) {
    const std::string& s = it->get_ref<const std::string&>();
    int64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc() && end == s.data() + s.size() && !s.empty()) return v;
  }
  return Internal("etcd {}: field '{}' is not an integer: {}", call, name, it->dump());
}

// A base64 bytes field: absent means "".
Result<std::string> BytesField(const json& obj, const char* name, const char* call) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return std::string();
  if (!it->is_string()) return Internal("etcd {}: field '{}' is not a string", call, name);
  auto bytes = Base64Decode(it->get<std::string>());
  if (!bytes.ok()) return Internal("etcd {}: field '{}' is not base64", call, name);
  return bytes;
}

Status FromGrpcCode(int64_t code, const std::string& message, const char* call) {
  switch (code) {
    case 5:  // NotFound: "etcdserver: requested lease not found"
      return NotFound("etcd {}: {}", call, message);
    case 3:   // InvalidArgument
    case 11:  // OutOfRange
      return InvalidArgument("etcd {}: {}", call, message);
    case 7:   // PermissionDenied
    case 16:  // Unauthenticated
      return PermissionDenied("etcd {}: {}", call, message);
    case 8:  // ResourceExhausted: "too many requests", the space quota
      return ResourceExhausted("etcd {}: {}", call, message);
    case 9:  // FailedPrecondition
      return FailedPrecondition("etcd {}: {}", call, message);
    case 1:   // Canceled
    case 4:   // DeadlineExceeded
    case 10:  // Aborted
    case 14:  // Unavailable: "no leader", "request timed out", "leader changed"
      return Unavailable("etcd {}: {}", call, message);
    default:
      return Internal("etcd {}: {} (gRPC code {})", call, message, code);
  }
}

// The JSON object of a 200 answer, or the error the answer stands for.
Result<json> Answer(int http_status, const std::string& body, const char* call) {
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (http_status != 200) {
    if (doc.is_object() && doc.contains("code")) {
      ASSIGN_OR_RETURN(int64_t code, IntField(doc, "code", call));
      std::string message = doc.value("message", doc.value("error", std::string("?")));
      return FromGrpcCode(code, message, call);
    }
    std::string excerpt = body.substr(0, 200);
    if (http_status >= 500) return Unavailable("etcd {}: HTTP {}: {}", call, http_status, excerpt);
    if (http_status == 404) {
      return Internal("etcd {}: HTTP 404: no v3 JSON gateway here (etcd 3.4 or later?)", call);
    }
    return Internal("etcd {}: HTTP {}: {}", call, http_status, excerpt);
  }
  if (!doc.is_object()) return Internal("etcd {}: the answer is not a JSON object", call);
  // A streamed call (keepalive) reports errors inside a 200: {"error":{"grpc_code":...}}.
  if (auto err = doc.find("error"); err != doc.end() && err->is_object()) {
    ASSIGN_OR_RETURN(int64_t code, IntField(*err, "grpc_code", call));
    return FromGrpcCode(code, err->value("message", std::string("?")), call);
  }
  return doc;
}

json CompareJson(const TxnCompare& c) {
  json j = {{"key", Base64Encode(c.key)}, {"result", "EQUAL"}};
  switch (c.field) {
    case TxnCompare::Field::kCreateRevision:
      j["target"] = "CREATE";
      j["create_revision"] = Int(c.number);
      break;
    case TxnCompare::Field::kModRevision:
      j["target"] = "MOD";
      j["mod_revision"] = Int(c.number);
      break;
    case TxnCompare::Field::kLease:
      j["target"] = "LEASE";
      j["lease"] = Int(c.number);
      break;
    case TxnCompare::Field::kValue:
      j["target"] = "VALUE";
      j["value"] = Base64Encode(c.value);
      break;
  }
  return j;
}

json PutJson(const std::string& key, const std::string& value, LeaseId lease) {
  json j = {{"key", Base64Encode(key)}, {"value", Base64Encode(value)}};
  if (lease != 0) j["lease"] = Int(lease);
  return j;
}

}  // namespace

std::string PrefixRangeEnd(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty()) {
    unsigned char last = static_cast<unsigned char>(end.back());
    if (last < 0xff) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');
}

GatewayRequest RangeRequest(const std::string& key) {
  return Make("/v3/kv/range", {{"key", Base64Encode(key)}});
}

GatewayRequest PrefixRangeRequest(const std::string& prefix) {
  // The empty prefix: key "\0" with range_end "\0" is etcd's "every key".
  const std::string key = prefix.empty() ? std::string(1, '\0') : prefix;
  return Make("/v3/kv/range",
              {{"key", Base64Encode(key)}, {"range_end", Base64Encode(PrefixRangeEnd(prefix))}});
}

GatewayRequest PutRequest(const std::string& key, const std::string& value, LeaseId lease) {
  return Make("/v3/kv/put", PutJson(key, value, lease));
}

GatewayRequest DeleteRequest(const std::string& key) {
  return Make("/v3/kv/deleterange", {{"key", Base64Encode(key)}});
}

GatewayRequest TxnRequest(const std::vector<TxnCompare>& compares, const std::vector<TxnOp>& ops) {
  json cmp = json::array(), success = json::array();
  for (const TxnCompare& c : compares) cmp.push_back(CompareJson(c));
  for (const TxnOp& op : ops) {
    if (op.kind == TxnOp::Kind::kPut) {
      success.push_back({{"request_put", PutJson(op.key, op.value, op.lease)}});
    } else {
      success.push_back({{"request_delete_range", {{"key", Base64Encode(op.key)}}}});
    }
  }
  return Make("/v3/kv/txn", {{"compare", cmp}, {"success", success}});
}

GatewayRequest LeaseGrantRequest(int64_t ttl_seconds) {
  return Make("/v3/lease/grant", {{"TTL", Int(ttl_seconds)}});
}

GatewayRequest LeaseKeepAliveRequest(LeaseId lease) {
  return Make("/v3/lease/keepalive", {{"ID", Int(lease)}});
}

GatewayRequest LeaseRevokeRequest(LeaseId lease) {
  return Make("/v3/lease/revoke", {{"ID", Int(lease)}});
}

Result<std::vector<StoredValue>> ParseRangeResponse(int http_status, const std::string& body) {
  ASSIGN_OR_RETURN(json doc, Answer(http_status, body, "range"));
  std::vector<StoredValue> out;
  auto kvs = doc.find("kvs");
  if (kvs == doc.end()) return out;  // no key: the field is omitted
  if (!kvs->is_array()) return Internal("etcd range: 'kvs' is not an array");
  for (const json& kv : *kvs) {
    if (!kv.is_object()) return Internal("etcd range: an entry of 'kvs' is not an object");
    StoredValue v;
    ASSIGN_OR_RETURN(v.key, BytesField(kv, "key", "range"));
    ASSIGN_OR_RETURN(v.value, BytesField(kv, "value", "range"));
    ASSIGN_OR_RETURN(v.lease, IntField(kv, "lease", "range"));
    ASSIGN_OR_RETURN(v.create_revision, IntField(kv, "create_revision", "range"));
    ASSIGN_OR_RETURN(v.mod_revision, IntField(kv, "mod_revision", "range"));
    out.push_back(std::move(v));
  }
  return out;
}

Status ParseWriteResponse(int http_status, const std::string& body) {
  return Answer(http_status, body, "write").status();
}

Result<bool> ParseTxnResponse(int http_status, const std::string& body) {
  ASSIGN_OR_RETURN(json doc, Answer(http_status, body, "txn"));
  auto it = doc.find("succeeded");
  if (it == doc.end()) return false;  // a failed txn: the gateway omits "succeeded": false
  if (!it->is_boolean()) return Internal("etcd txn: 'succeeded' is not a boolean");
  return it->get<bool>();
}

Result<LeaseId> ParseLeaseGrantResponse(int http_status, const std::string& body) {
  ASSIGN_OR_RETURN(json doc, Answer(http_status, body, "lease grant"));
  if (std::string error = doc.value("error", std::string()); !error.empty()) {
    return Unavailable("etcd lease grant: {}", error);
  }
  ASSIGN_OR_RETURN(LeaseId id, IntField(doc, "ID", "lease grant"));
  if (id == 0) return Internal("etcd lease grant: the answer has no lease ID");
  return id;
}

Result<int64_t> ParseLeaseKeepAliveResponse(int http_status, const std::string& body) {
  ASSIGN_OR_RETURN(json doc, Answer(http_status, body, "lease keepalive"));
  auto result = doc.find("result");
  if (result == doc.end() || !result->is_object()) {
    return Internal("etcd lease keepalive: the answer has no 'result'");
  }
  ASSIGN_OR_RETURN(int64_t ttl, IntField(*result, "TTL", "lease keepalive"));
  // A lease that is gone answers with no TTL (0 omitted) rather than an error.
  if (ttl <= 0) return NotFound("etcd lease keepalive: the lease is gone (expired or revoked)");
  return ttl;
}

Status ParseLeaseRevokeResponse(int http_status, const std::string& body) {
  Status st = Answer(http_status, body, "lease revoke").status();
  if (st.code() == StatusCode::kNotFound) return Status::Ok();  // already gone
  return st;
}

std::string Base64Encode(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');  // + the NUL OpenSSL writes
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(n);
  return out;
}

Result<std::string> Base64Decode(const std::string& text) {
  if (text.size() % 4 != 0) return InvalidArgument("not base64: length {}", text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    const bool padding =
        c == '=' && i + 2 >= text.size() && (i + 1 == text.size() || text[i + 1] == '=');
    if (!std::isalnum(c) && c != '+' && c != '/' && !padding) {
      return InvalidArgument("not base64: byte {} at offset {}", static_cast<int>(c), i);
    }
  }
  std::string out(text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return InvalidArgument("not base64");
  // EVP_DecodeBlock counts the padding as zero bytes.
  size_t pad = 0;
  if (!text.empty() && text.back() == '=')
    pad = text.size() >= 2 && text[text.size() - 2] == '=' ? 2 : 1;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

}  // namespace mysqlset::etcd
