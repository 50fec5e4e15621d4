#include "net/http_message.h"

#include <vector>

#include "gtest/gtest.h"

namespace mysqlset::net {
namespace {

using Kind = HttpParse::Kind;

struct RequestCase {
  const char* name;
  std::string bytes;
  Kind kind;
  int status = 0;           // kError
  std::string path = "";    // kRequest
  std::string query = "";   // kRequest
  bool keep_alive = false;  // kRequest
};

TEST(HttpMessageTest, ParsesWhatProbesAndScrapersSendAndRefusesTheRest) {
  const std::vector<RequestCase> cases = {
      // HAProxy's `option httpchk GET /readyz`: HTTP/1.0, no Host.
      {"haproxy httpchk", "GET /readyz HTTP/1.0\r\n\r\n", Kind::kRequest, 0, "/readyz", "", false},
      // kubelet's httpGet.
      {"kubelet",
       "GET /healthz HTTP/1.1\r\nHost: 10.0.0.5:8080\r\nUser-Agent: kube-probe/1.29\r\n"
       "Accept: */*\r\nConnection: close\r\n\r\n",
       Kind::kRequest, 0, "/healthz", "", false},
      // Prometheus keeps connections alive.
      {"prometheus", "GET /metrics HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n",
       Kind::kRequest, 0, "/metrics", "", true},
      {"http/1.0 keep-alive", "GET /livez HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
       Kind::kRequest, 0, "/livez", "", true},
      {"close among options", "GET /livez HTTP/1.1\r\nConnection: TE, close\r\n\r\n",
       Kind::kRequest, 0, "/livez", "", false},
      {"query split off", "GET /readyz?verbose=1 HTTP/1.1\r\n\r\n", Kind::kRequest, 0, "/readyz",
       "verbose=1", true},
      {"absolute form", "GET http://127.0.0.1:8080/v1/status HTTP/1.1\r\n\r\n", Kind::kRequest, 0,
       "/v1/status", "", true},
      {"bare LF lines", "GET /livez HTTP/1.1\nHost: x\n\n", Kind::kRequest, 0, "/livez", "", true},
      {"empty lines first", "\r\n\r\nGET /livez HTTP/1.1\r\n\r\n", Kind::kRequest, 0, "/livez", "",
       true},
      {"Content-Length 0", "GET /livez HTTP/1.1\r\nContent-Length: 0\r\n\r\n", Kind::kRequest, 0,
       "/livez", "", true},
      {"HEAD", "HEAD /livez HTTP/1.1\r\n\r\n", Kind::kRequest, 0, "/livez", "", true},
      // Not complete yet.
      {"nothing", "", Kind::kIncomplete},
      {"half a request line", "GET /rea", Kind::kIncomplete},
      {"no empty line yet", "GET /readyz HTTP/1.1\r\nHost: x\r\n", Kind::kIncomplete},
      // Refused.
      {"garbage", "hello\r\n\r\n", Kind::kError, 400},
      {"two spaces", "GET  /livez HTTP/1.1\r\n\r\n", Kind::kError, 400},
      {"no version", "GET /livez\r\n\r\n", Kind::kError, 400},
      {"relative target", "GET livez HTTP/1.1\r\n\r\n", Kind::kError, 400},
      {"control char in target", "GET /li\x01vez HTTP/1.1\r\n\r\n", Kind::kError, 400},
      {"HTTP/2.0", "GET /livez HTTP/2.0\r\n\r\n", Kind::kError, 505},
      {"not HTTP", "GET /livez FTP/1.1\r\n\r\n", Kind::kError, 400},
      {"header without colon", "GET /livez HTTP/1.1\r\nHost\r\n\r\n", Kind::kError, 400},
      {"space before colon", "GET /livez HTTP/1.1\r\nHost : x\r\n\r\n", Kind::kError, 400},
      {"folded header", "GET /livez HTTP/1.1\r\nA: b\r\n c\r\n\r\n", Kind::kError, 400},
      {"control char in value", "GET /livez HTTP/1.1\r\nA: b\x01\r\n\r\n", Kind::kError, 400},
      {"body", "POST /livez HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", Kind::kError, 413},
      {"chunked body", "POST /livez HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", Kind::kError,
       413},
      {"bad Content-Length", "GET /livez HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", Kind::kError,
       400},
      {"oversized, unfinished", "GET /livez HTTP/1.1\r\nA: " + std::string(300, 'a'), Kind::kError,
       431},
      {"oversized, finished", "GET /livez HTTP/1.1\r\nA: " + std::string(300, 'a') + "\r\n\r\n",
       Kind::kError, 431},
  };
  for (const RequestCase& c : cases) {
    const HttpParse p = ParseHttpRequestHead(c.bytes, 256);
    ASSERT_EQ(p.kind, c.kind) << c.name << ": " << p.error;
    if (c.kind == Kind::kError) {
      EXPECT_EQ(p.status, c.status) << c.name;
      EXPECT_FALSE(p.error.empty()) << c.name;
    }
    if (c.kind == Kind::kRequest) {
      EXPECT_EQ(p.request.path, c.path) << c.name;
      EXPECT_EQ(p.request.query, c.query) << c.name;
      EXPECT_EQ(p.request.keep_alive, c.keep_alive) << c.name;
      EXPECT_EQ(p.consumed, c.bytes.size()) << c.name;
    }
  }
}

TEST(HttpMessageTest, SmallPostBodiesAreReadWhenAllowed) {
  const std::string post =
      "POST /v1/x HTTP/1.1\r\nContent-Length: 8\r\n\r\n{\"to\":1}GET /a HTTP/1.1\r\n\r\n";
  const HttpParse p = ParseHttpRequestHead(post, 256, 64);
  ASSERT_EQ(p.kind, Kind::kRequest) << p.error;
  EXPECT_EQ(p.request.body, "{\"to\":1}");
  EXPECT_EQ(post.substr(p.consumed), "GET /a HTTP/1.1\r\n\r\n");
  // Not all of the body yet: wait for it.
  EXPECT_EQ(ParseHttpRequestHead(post.substr(0, p.consumed - 1), 256, 64).kind, Kind::kIncomplete);
  // Over the body limit, or over the head limit with the head, or not a POST: 413.
  EXPECT_EQ(ParseHttpRequestHead(post, 256, 7).status, 413);
  EXPECT_EQ(ParseHttpRequestHead(post, 45, 64).status, 413);
  EXPECT_EQ(ParseHttpRequestHead("GET /a HTTP/1.1\r\nContent-Length: 1\r\n\r\nx", 256, 64).status,
            413);
}

TEST(HttpMessageTest, PipelinedRequestsAreParsedOneAtATime) {
  const std::string two = "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\n\r\n";
  const HttpParse first = ParseHttpRequestHead(two, 8192);
  ASSERT_EQ(first.kind, Kind::kRequest);
  EXPECT_EQ(first.request.path, "/a");
  EXPECT_EQ(first.request.Header("host"), "x");
  const HttpParse second = ParseHttpRequestHead(std::string_view(two).substr(first.consumed), 8192);
  ASSERT_EQ(second.kind, Kind::kRequest);
  EXPECT_EQ(second.request.path, "/b");
  EXPECT_EQ(first.consumed + second.consumed, two.size());
}

TEST(HttpMessageTest, ResponsesCarryLengthTypeAndConnection) {
  HttpResponse r{503, "text/plain", "not ready:\nx\n", {{"Allow", "GET, HEAD"}}};
  EXPECT_EQ(SerializeHttpResponse(r, false, false),
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n"
            "Connection: close\r\nAllow: GET, HEAD\r\n\r\nnot ready:\nx\n");
  EXPECT_EQ(SerializeHttpResponse(HttpResponse{200, "application/json", "{}", {}}, true, true),
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
            "Connection: keep-alive\r\n\r\n");
}

}  // namespace
}  // namespace mysqlset::net
