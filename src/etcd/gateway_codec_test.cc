#include "etcd/gateway_codec.h"

#include <gtest/gtest.h>

#include "nlohmann/json.hpp"

namespace mysqlset::etcd {
namespace {

using nlohmann::json;

// A header as etcd 3.4.23 sends it.
const std::string kHeader =
    R"("header":{"cluster_id":"324952591200643719","member_id":"3319814642761637952",)"
    R"("revision":"7","raft_term":"2"})";

TEST(Base64Test, RoundTrips) {
  struct Case {
    std::string bytes, text;
  };
  const Case cases[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"/mysqlset/c/leader", "L215c3Fsc2V0L2MvbGVhZGVy"},
      {std::string("\0\xff\x01", 3), "AP8B"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    EXPECT_EQ(Base64Encode(c.bytes), c.text);
    auto back = Base64Decode(c.text);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, c.bytes);
  }
}

TEST(Base64Test, RejectsWhatIsNotPaddedBase64) {
  for (const char* text : {"Zm9", "Zm9v!", "Z=9v", "====", "Zm9v\n", "Zg=a"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(Base64Decode(text).status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(PrefixRangeEndTest, FollowsEtcdsRule) {
  struct Case {
    std::string prefix, end;
  };
  const Case cases[] = {
      {"a", "b"},
      {"/mysqlset/c/", "/mysqlset/c0"},
      {"a\xff", "b"},
      {"\xff\xff", std::string(1, '\0')},
      {"", std::string(1, '\0')},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.prefix);
    EXPECT_EQ(PrefixRangeEnd(c.prefix), c.end);
  }
}

TEST(GatewayRequestTest, PathsAndBodies) {
  struct Case {
    std::string name;
    GatewayRequest request;
    std::string path, body;
  };
  const Case cases[] = {
      {"range", RangeRequest("foo"), "/v3/kv/range", R"({"key":"Zm9v"})"},
      {"prefix", PrefixRangeRequest("a/"), "/v3/kv/range", R"({"key":"YS8=","range_end":"YTA="})"},
      {"every key", PrefixRangeRequest(""), "/v3/kv/range", R"({"key":"AA==","range_end":"AA=="})"},
      {"put", PutRequest("foo", "bar", 0), "/v3/kv/put", R"({"key":"Zm9v","value":"YmFy"})"},
      {"put on a lease", PutRequest("foo", "", 7587862594339417010), "/v3/kv/put",
       R"({"key":"Zm9v","value":"","lease":"7587862594339417010"})"},
      {"delete", DeleteRequest("foo"), "/v3/kv/deleterange", R"({"key":"Zm9v"})"},
      {"grant", LeaseGrantRequest(3), "/v3/lease/grant", R"({"TTL":"3"})"},
      {"keepalive", LeaseKeepAliveRequest(42), "/v3/lease/keepalive", R"({"ID":"42"})"},
      {"revoke", LeaseRevokeRequest(42), "/v3/lease/revoke", R"({"ID":"42"})"},
      {"empty txn", TxnRequest({}, {}), "/v3/kv/txn", R"({"compare":[],"success":[]})"},
      {"txn",
       TxnRequest({TxnCompare::Absent("a"), TxnCompare::ModRevision("b", 12),
                   TxnCompare::Lease("c", 9), TxnCompare::Value("d", "x")},
                  {TxnOp::Put("a", "1", 9), TxnOp::Delete("b")}),
       "/v3/kv/txn",
       R"({"compare":[
            {"key":"YQ==","result":"EQUAL","target":"CREATE","create_revision":"0"},
            {"key":"Yg==","result":"EQUAL","target":"MOD","mod_revision":"12"},
            {"key":"Yw==","result":"EQUAL","target":"LEASE","lease":"9"},
            {"key":"ZA==","result":"EQUAL","target":"VALUE","value":"eA=="}],
          "success":[
            {"request_put":{"key":"YQ==","value":"MQ==","lease":"9"}},
            {"request_delete_range":{"key":"Yg=="}}]})"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(c.request.path, c.path);
    EXPECT_EQ(json::parse(c.request.body), json::parse(c.body)) << c.request.body;
  }
}

TEST(GatewayResponseTest, RangeDecodesKeysAndOmittedFieldsAreZero) {
  auto kvs = ParseRangeResponse(
      200, "{" + kHeader +
               R"(,"kvs":[{"key":"Zm9v","create_revision":"2","mod_revision":"5","version":"2",)"
               R"("value":"YmFy","lease":"7587862594339417010"},)"
               R"({"key":"Zm9vMg==","create_revision":"3","mod_revision":"3","version":"1"}],)"
               R"("count":"2"})");
  ASSERT_TRUE(kvs.ok()) << kvs.status().ToString();
  ASSERT_EQ(kvs->size(), 2u);
  EXPECT_EQ((*kvs)[0], (StoredValue{"foo", "bar", 7587862594339417010, 2, 5}));
  EXPECT_EQ((*kvs)[1], (StoredValue{"foo2", "", 0, 3, 3}));  // empty value, no lease: omitted

  auto none = ParseRangeResponse(200, "{" + kHeader + "}");
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->empty());
}

TEST(GatewayResponseTest, TxnWithoutSucceededFailed) {
  auto won = ParseTxnResponse(
      200, "{" + kHeader +
               R"(,"succeeded":true,"responses":[{"response_put":{"header":{"revision":"2"}}}]})");
  ASSERT_TRUE(won.ok()) << won.status().ToString();
  EXPECT_TRUE(*won);
  auto lost = ParseTxnResponse(200, "{" + kHeader + "}");
  ASSERT_TRUE(lost.ok()) << lost.status().ToString();
  EXPECT_FALSE(*lost);
}

TEST(GatewayResponseTest, Leases) {
  auto id =
      ParseLeaseGrantResponse(200, "{" + kHeader + R"(,"ID":"2324035711711954442","TTL":"2"})");
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(*id, 2324035711711954442);

  auto ttl = ParseLeaseKeepAliveResponse(
      200, R"({"result":{)" + kHeader + R"(,"ID":"2324035711711954442","TTL":"3"}})");
  ASSERT_TRUE(ttl.ok()) << ttl.status().ToString();
  EXPECT_EQ(*ttl, 3);
  // A lease that expired or was revoked: 200, a result with no TTL.
  auto gone = ParseLeaseKeepAliveResponse(200, R"({"result":{)" + kHeader + R"(,"ID":"12345"}})");
  EXPECT_EQ(gone.status().code(), StatusCode::kNotFound) << gone.status().ToString();

  EXPECT_TRUE(ParseLeaseRevokeResponse(200, "{" + kHeader + "}").ok());
}

TEST(GatewayResponseTest, ErrorsMapToCodes) {
  const std::string dead_lease = R"({"error":"etcdserver: requested lease not found",)"
                                 R"("message":"etcdserver: requested lease not found","code":5})";
  struct Case {
    std::string name;
    Status status;
    StatusCode code;
  };
  const Case cases[] = {
      {"revoking a dead lease is OK", ParseLeaseRevokeResponse(404, dead_lease), StatusCode::kOk},
      {"put on a dead lease", ParseWriteResponse(404, dead_lease), StatusCode::kNotFound},
      {"txn on a dead lease", ParseTxnResponse(404, dead_lease).status(), StatusCode::kNotFound},
      {"no leader",
       ParseWriteResponse(503, R"({"error":"etcdserver: no leader","message":"etcdserver: no )"
                               R"(leader","code":14})"),
       StatusCode::kUnavailable},
      {"a proxy's 502", ParseRangeResponse(502, "Bad Gateway").status(), StatusCode::kUnavailable},
      {"not a gateway", ParseRangeResponse(404, "404 page not found\n").status(),
       StatusCode::kInternal},
      {"too large", ParseWriteResponse(400, R"({"message":"request is too large","code":3})"),
       StatusCode::kInvalidArgument},
      {"keepalive stream error",
       ParseLeaseKeepAliveResponse(
           200, R"({"error":{"grpc_code":14,"http_code":503,"message":"no leader"}})")
           .status(),
       StatusCode::kUnavailable},
      {"keepalive without result", ParseLeaseKeepAliveResponse(200, "{}").status(),
       StatusCode::kInternal},
      {"not JSON", ParseRangeResponse(200, "<html>").status(), StatusCode::kInternal},
      {"kvs not a list", ParseRangeResponse(200, R"({"kvs":{}})").status(), StatusCode::kInternal},
      {"key not base64", ParseRangeResponse(200, R"({"kvs":[{"key":"!"}]})").status(),
       StatusCode::kInternal},
      {"revision not a number",
       ParseRangeResponse(200, R"({"kvs":[{"key":"YQ==","mod_revision":"x"}]})").status(),
       StatusCode::kInternal},
      {"succeeded not a bool", ParseTxnResponse(200, R"({"succeeded":"yes"})").status(),
       StatusCode::kInternal},
      {"grant without ID", ParseLeaseGrantResponse(200, R"({"TTL":"2"})").status(),
       StatusCode::kInternal},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(c.status.code(), c.code) << c.status.ToString();
  }
}

}  // namespace
}  // namespace mysqlset::etcd
