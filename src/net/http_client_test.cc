#include "net/http_client.h"

#include <gtest/gtest.h>

#include <thread>

#include "httplib.h"
#include "net/http_server.h"
#include "net/socket.h"

namespace mysqlset::net {
namespace {

using std::chrono::milliseconds;

class HttpGetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Get("/readyz", [](const HttpRequest&) {
      return HttpResponse{200, "text/plain", "ready\n", {}};
    });
    server_.Get("/notready", [](const HttpRequest&) {
      return HttpResponse{503, "text/plain", "not ready:\nreplication stopped\n", {}};
    });
    ASSERT_TRUE(server_.Start("127.0.0.1", 0).ok());
  }
  void TearDown() override { server_.Stop(); }

  HttpServer server_{HttpServerOptions{}};
};

TEST_F(HttpGetTest, StatusAndBodyWhateverTheStatus) {
  auto ok = HttpGet("127.0.0.1", server_.port(), "/readyz", milliseconds(2000));
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->body, "ready\n");
  auto no = HttpGet("127.0.0.1", server_.port(), "/notready", milliseconds(2000));
  ASSERT_TRUE(no.ok());
  EXPECT_EQ(no->status, 503);
  EXPECT_EQ(no->body, "not ready:\nreplication stopped\n");
  auto missing = HttpGet("127.0.0.1", server_.port(), "/nope", milliseconds(2000));
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);
}

TEST_F(HttpGetTest, BaseUrl) {
  const std::string url = "http://127.0.0.1:" + std::to_string(server_.port());
  auto ok = HttpGet(url, "/readyz", milliseconds(2000));
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->body, "ready\n");
}

TEST_F(HttpGetTest, NotAnHttpUrlIsInvalidArgument) {
  for (const char* url : {"ftp://x", "http://127.0.0.1:99999999999"}) {
    SCOPED_TRACE(url);
    auto r = HttpGet(url, "/readyz", milliseconds(500));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("not a valid http URL"), std::string::npos);
  }
}

TEST(HttpGetNoServerTest, NothingListeningIsUnavailableNamingTheUrl) {
  // A port that was free a moment ago: bound, then closed.
  uint16_t port = 0;
  {
    auto fd = ListenTcp("127.0.0.1", 0, &port);
    ASSERT_TRUE(fd.ok());
  }
  auto r = HttpGet("127.0.0.1", port, "/healthz", milliseconds(500));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("GET http://127.0.0.1:" + std::to_string(port) +
                                      "/healthz: no answer"),
            std::string::npos)
      << r.status().message();
}

// Our HttpServer serves GET only; cpp-httplib's server stands in for etcd's gateway here.
TEST(HttpPostJsonTest, SendsTheBodyAsJsonAndReturnsStatusAndBody) {
  httplib::Server server;
  server.Post("/v3/kv/range", [](const httplib::Request& req, httplib::Response& res) {
    res.status = req.get_header_value("Content-Type") == "application/json" ? 200 : 415;
    res.set_content("echo:" + req.body, "application/json");
  });
  int port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread serving([&] { server.listen_after_bind(); });
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  auto r = HttpPostJson(url, "/v3/kv/range", R"({"key":"Zm9v"})", milliseconds(2000));
  auto missing = HttpPostJson(url, "/nope", "{}", milliseconds(2000));
  server.stop();
  serving.join();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"(echo:{"key":"Zm9v"})");
  ASSERT_TRUE(missing.ok()) << missing.status().message();
  EXPECT_EQ(missing->status, 404);
}

TEST(HttpPostJsonTest, SentButUnansweredIsDeadlineExceeded) {
  httplib::Server server;
  server.Post("/slow", [](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(milliseconds(300));
    res.set_content("{}", "application/json");
  });
  int port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread serving([&] { server.listen_after_bind(); });
  auto r =
      HttpPostJson("http://127.0.0.1:" + std::to_string(port), "/slow", "{}", milliseconds(100));
  server.stop();
  serving.join();
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status().ToString();
}

TEST(HttpPostJsonTest, NothingListeningIsUnavailableNamingTheUrl) {
  uint16_t port = 0;
  {
    auto fd = ListenTcp("127.0.0.1", 0, &port);
    ASSERT_TRUE(fd.ok());
  }
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  auto r = HttpPostJson(url, "/v3/kv/range", "{}", milliseconds(500));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("POST " + url + "/v3/kv/range: no answer"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(HttpPostJson("ftp://x", "/", "{}", milliseconds(500)).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mysqlset::net
