#include "net/http_server.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <optional>
#include <thread>

#include "gtest/gtest.h"
#include "net/socket.h"
#include "posix/fd_limit.h"

namespace mysqlset::net {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

struct Reply {
  int status = -1;
  std::string head;
  std::string body;
};

// A raw HTTP client: sends exact bytes, reads responses one by one.
class RawClient {
 public:
  explicit RawClient(uint16_t port) {
    auto fd = ConnectTcp("127.0.0.1", port, milliseconds(2000));
    if (fd.ok()) fd_ = std::move(fd).value();
  }
  bool connected() const { return fd_.valid(); }
  bool Send(std::string_view bytes) { return SendAll(fd_.get(), bytes, milliseconds(2000)).ok(); }

  // The next response (`head_only`: a HEAD's, without body); nullopt on EOF or timeout.
  std::optional<Reply> Read(bool head_only = false, milliseconds timeout = milliseconds(3000)) {
    const auto deadline = SteadyClock::now() + timeout;
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill(deadline)) return std::nullopt;
    }
    Reply r;
    r.head = buf_.substr(0, end + 4);
    r.status = std::atoi(r.head.substr(9, 3).c_str());
    const size_t cl = r.head.find("Content-Length: ");
    const size_t length = head_only || cl == std::string::npos
                              ? 0
                              : std::strtoul(r.head.c_str() + cl + 16, nullptr, 10);
    while (buf_.size() < end + 4 + length) {
      if (!Fill(deadline)) return std::nullopt;
    }
    r.body = buf_.substr(end + 4, length);
    buf_.erase(0, end + 4 + length);
    return r;
  }

  // True when the server closes the connection (EOF or reset) within `timeout`, with no
  // bytes other than those already read.
  bool ClosedByServer(milliseconds timeout = milliseconds(3000)) {
    auto got = ReadSome(fd_.get(), 4096, timeout);
    if (!got.ok()) return got.status().code() == StatusCode::kUnavailable;  // reset
    return got->empty() && buf_.empty();
  }

 private:
  bool Fill(SteadyClock::time_point deadline) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0) return false;
    auto got = ReadSome(fd_.get(), 4096, left);
    if (!got.ok() || got->empty()) return false;
    buf_ += *got;
    return true;
  }

  Fd fd_;
  std::string buf_;
};

std::optional<Reply> Get(uint16_t port, const std::string& path) {
  RawClient c(port);
  if (!c.connected() ||
      !c.Send("GET " + path + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")) {
    return std::nullopt;
  }
  return c.Read();
}

// Blocks handlers until released.
class Gate {
 public:
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    ++waiting_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
  }
  void WaitForWaiters(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(5), [&] { return waiting_ >= n; });
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int waiting_ = 0;
  bool open_ = false;
};

bool Eventually(const std::function<bool()>& cond) {
  const auto deadline = SteadyClock::now() + std::chrono::seconds(5);
  while (SteadyClock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return cond();
}

class HttpServerTest : public ::testing::Test {
 protected:
  // A server with /readyz on a probe lane and /metrics on the default lane; not started.
  void Build(HttpServerOptions options = {}) {
    options.not_found_body = "unknown path\n";
    server_ = std::make_unique<HttpServer>(options);
    probes_ = server_->AddLane("probe", 1);
    server_->Get(
        "/readyz",
        [](const HttpRequest&) {
          return HttpResponse{200, "text/plain", "ready\n", {}};
        },
        probes_);
    server_->Get("/notready", [](const HttpRequest&) {
      return HttpResponse{503, "text/plain", "not ready:\nreplication stopped\n", {}};
    });
    server_->Get("/metrics", [this](const HttpRequest& r) {
      if (r.query == "slow") gate_.Wait();
      return HttpResponse{200, "text/plain; version=0.0.4", "up 1\n", {}};
    });
  }
  uint16_t Start(HttpServerOptions options = {}) {
    Build(std::move(options));
    EXPECT_TRUE(server_->Start("127.0.0.1", 0).ok());
    return server_->port();
  }
  void TearDown() override {
    JoinSlowMetrics();
    if (server_) server_->Stop();
  }

  // Sends `n` requests for a /metrics that blocks until gate_ opens, one thread each;
  // `after_each(i)` runs after starting the i-th. Counts the 200s in slow_ok_.
  void StartSlowMetrics(
      int n, const std::function<void(int)>& after_each = [](int) {}) {
    for (int i = 0; i < n; ++i) {
      slow_.emplace_back([this] {
        auto r = Get(server_->port(), "/metrics?slow");
        if (r && r->status == 200) ++slow_ok_;
      });
      after_each(i);
    }
  }
  int JoinSlowMetrics() {
    gate_.Open();
    for (auto& t : slow_) t.join();
    slow_.clear();
    return slow_ok_;
  }

  std::unique_ptr<HttpServer> server_;
  HttpServer::LaneId probes_ = 0;
  std::vector<std::thread> slow_;
  std::atomic<int> slow_ok_{0};
  Gate gate_;
};

TEST_F(HttpServerTest, ServesStatusBodyAndContentTypeAsHandlersSay) {
  const uint16_t port = Start();
  auto r = Get(port, "/notready");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->body, "not ready:\nreplication stopped\n");
  EXPECT_NE(r->head.find("HTTP/1.1 503 Service Unavailable\r\n"), std::string::npos) << r->head;
  EXPECT_NE(r->head.find("Content-Type: text/plain\r\n"), std::string::npos) << r->head;
  EXPECT_NE(r->head.find("Connection: close\r\n"), std::string::npos) << r->head;

  r = Get(port, "/metrics");
  ASSERT_TRUE(r);
  EXPECT_NE(r->head.find("Content-Type: text/plain; version=0.0.4\r\n"), std::string::npos);
  r = Get(port, "/readyz?verbose=1");  // the query does not change the route
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "ready\n");
  r = Get(port, "/nope");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->body, "unknown path\n");
}

TEST_F(HttpServerTest, PostRoutesGetTheBody) {
  HttpServerOptions options;
  options.max_body_bytes = 64;
  Build(options);
  server_->Post("/echo", [](const HttpRequest& r) {
    return HttpResponse{202, "application/json", r.body + r.Header("Authorization"), {}};
  });
  ASSERT_TRUE(server_->Start("127.0.0.1", 0).ok());
  RawClient c(server_->port());
  ASSERT_TRUE(c.Send("POST /echo HTTP/1.1\r\nAuthorization: t\r\nContent-Length: 2\r\n\r\n{}"));
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 202);
  EXPECT_EQ(r->body, "{}t");
  // GET routes take no POST, POST routes no GET.
  RawClient c2(server_->port());
  ASSERT_TRUE(c2.Send("POST /readyz HTTP/1.1\r\n\r\n"));
  r = c2.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  r = Get(server_->port(), "/echo");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

TEST_F(HttpServerTest, HeadAnswersTheHeadersWithoutABody) {
  const uint16_t port = Start();
  RawClient c(port);
  ASSERT_TRUE(c.Send("HEAD /readyz HTTP/1.1\r\n\r\nGET /readyz HTTP/1.1\r\n\r\n"));
  auto head = c.Read(/*head_only=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_NE(head->head.find("Content-Length: 6\r\n"), std::string::npos);
  auto get = c.Read();  // the next bytes are the GET's response, not a body
  ASSERT_TRUE(get);
  EXPECT_EQ(get->body, "ready\n");
}

TEST_F(HttpServerTest, BadRequestsGetAnErrorAndTheConnectionClosed) {
  const uint16_t port = Start();
  const std::vector<std::pair<std::string, int>> cases = {
      {"hello\r\n\r\n", 400},
      {"GET /readyz HTTP/2.0\r\n\r\n", 505},
      {"POST /readyz HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", 413},
      {"DELETE /readyz HTTP/1.1\r\n\r\n", 405},
      {"GET /readyz HTTP/1.1\r\nX: " + std::string(9000, 'x') + "\r\n\r\n", 431},
      {"GET /readyz HTTP/1.1\r\nX: " + std::string(20000, 'x'), 431},  // never finished
  };
  for (const auto& [request, status] : cases) {
    RawClient c(port);
    ASSERT_TRUE(c.Send(request)) << status;
    auto r = c.Read();
    ASSERT_TRUE(r) << status;
    EXPECT_EQ(r->status, status) << request.substr(0, 40);
    if (status != 405) {
      EXPECT_TRUE(c.ClosedByServer()) << status;
    }
  }
  EXPECT_EQ(server_->Stats().bad_requests, 5u);
  // The server still serves.
  auto r = Get(port, "/readyz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(HttpServerTest, SlowLorisIsCutAtTheHeaderDeadline) {
  HttpServerOptions o;
  o.header_timeout = milliseconds(300);
  const uint16_t port = Start(o);
  RawClient c(port);
  ASSERT_TRUE(c.connected());
  // One byte every 50 ms never finishes a head within 300 ms: each byte must not extend it.
  const std::string request = "GET /readyz HTTP/1.1\r\nHost: slow\r\nX-Padding: aaaaaaaaaaaaaa\r\n";
  const auto t0 = SteadyClock::now();
  bool cut = false;
  for (char ch : request) {
    if (!c.Send(std::string(1, ch))) {
      cut = true;
      break;
    }
    std::this_thread::sleep_for(milliseconds(50));
    if (SteadyClock::now() - t0 > milliseconds(1500)) break;
  }
  EXPECT_TRUE(cut || c.ClosedByServer()) << "a trickling client kept its connection";
  EXPECT_EQ(server_->Stats().header_timeouts, 1u);
  EXPECT_EQ(server_->Stats().requests, 0u);
}

TEST_F(HttpServerTest, ProbesAnswerWithin1sUnder500IdleAndSlowConnections) {
  ASSERT_TRUE(RaiseOpenFileLimit().ok());
  const uint16_t port = Start();
  std::vector<std::unique_ptr<RawClient>> idle;
  for (int i = 0; i < 500; ++i) {
    idle.push_back(std::make_unique<RawClient>(port));
    ASSERT_TRUE(idle.back()->connected()) << i;
  }
  // 20 more trickle a request head, a byte every 100 ms, for at most 3 s.
  std::atomic<bool> stop{false};
  std::thread trickler([&] {
    std::vector<std::unique_ptr<RawClient>> slow;
    for (int i = 0; i < 20; ++i) slow.push_back(std::make_unique<RawClient>(port));
    const std::string head = "GET /metrics HTTP/1.1\r\nHost: slow\r\nX-Slow: yes\r\n\r\n";
    for (size_t i = 0; i < head.size() && !stop; ++i) {
      for (auto& s : slow) s->Send(std::string(1, head[i]));
      std::this_thread::sleep_for(milliseconds(100));
    }
  });
  ASSERT_TRUE(Eventually([&] { return server_->Stats().open >= 500; }));
  std::vector<double> ms;
  for (int i = 0; i < 20; ++i) {
    const auto t0 = SteadyClock::now();
    auto r = Get(port, "/readyz");
    ms.push_back(std::chrono::duration<double, std::milli>(SteadyClock::now() - t0).count());
    ASSERT_TRUE(r) << "probe " << i << " got no answer";
    EXPECT_EQ(r->status, 200);
  }
  stop = true;
  trickler.join();
  std::sort(ms.begin(), ms.end());
  std::fprintf(stderr,
               "[latency] /readyz under 520 idle/slow connections: p50 %.2f ms, max %.2f ms\n",
               ms[ms.size() / 2], ms.back());
  EXPECT_LT(ms.back(), 1000.0);
}

TEST_F(HttpServerTest, ProbeLaneIsNotQueuedBehindSlowHandlers) {
  const uint16_t port = Start();
  // Two slow /metrics hold both default workers; two more wait in its queue.
  StartSlowMetrics(4);
  gate_.WaitForWaiters(2);
  const auto t0 = SteadyClock::now();
  auto r = Get(port, "/readyz");
  const auto took = SteadyClock::now() - t0;
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_LT(took, milliseconds(1000));
  EXPECT_EQ(JoinSlowMetrics(), 4);
}

TEST_F(HttpServerTest, FullLaneQueueAnswers503) {
  HttpServerOptions o;
  o.max_queued_per_lane = 1;
  const uint16_t port = Start(o);
  StartSlowMetrics(3, [&](int i) {  // two run (each taken from the queue first), one queued
    if (i < 2) gate_.WaitForWaiters(i + 1);
  });
  ASSERT_TRUE(Eventually([&] { return server_->Stats().requests >= 3; }))
      << server_->Stats().requests << " requests, " << server_->Stats().open << " open";
  auto r = Get(port, "/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(server_->Stats().busy, 1u);
  EXPECT_EQ(JoinSlowMetrics(), 3);
}

TEST_F(HttpServerTest, OldestWaitingConnectionIsEvictedAtTheCap) {
  HttpServerOptions o;
  o.max_connections = 8;
  const uint16_t port = Start(o);
  std::vector<std::unique_ptr<RawClient>> idle;
  for (int i = 0; i < 8; ++i) {
    idle.push_back(std::make_unique<RawClient>(port));
    ASSERT_TRUE(Eventually([&] { return server_->Stats().open == static_cast<uint64_t>(i + 1); }));
  }
  auto r = Get(port, "/readyz");  // the ninth connection
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(idle[0]->ClosedByServer()) << "the oldest idle connection was kept";
  EXPECT_EQ(server_->Stats().evicted, 1u);
  ASSERT_TRUE(idle[1]->Send("GET /readyz HTTP/1.1\r\n\r\n"));  // the others still wait
  auto second = idle[1]->Read();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 200);
}

TEST_F(HttpServerTest, KeepAliveAndPipelinedRequestsAreAnsweredInOrder) {
  const uint16_t port = Start();
  RawClient c(port);
  ASSERT_TRUE(
      c.Send("GET /readyz HTTP/1.1\r\n\r\nGET /notready HTTP/1.1\r\n\r\n"
             "GET /metrics HTTP/1.1\r\n\r\n"));
  for (const char* body : {"ready\n", "not ready:\nreplication stopped\n", "up 1\n"}) {
    auto r = c.Read();
    ASSERT_TRUE(r) << body;
    EXPECT_EQ(r->body, body);
    EXPECT_NE(r->head.find("Connection: keep-alive"), std::string::npos);
  }
  // Later, on the same connection; then HTTP/1.0 without keep-alive closes it.
  ASSERT_TRUE(c.Send("GET /readyz HTTP/1.1\r\n\r\n"));
  ASSERT_TRUE(c.Read());
  ASSERT_TRUE(c.Send("GET /readyz HTTP/1.0\r\n\r\n"));
  auto last = c.Read();
  ASSERT_TRUE(last);
  EXPECT_NE(last->head.find("Connection: close"), std::string::npos);
  EXPECT_TRUE(c.ClosedByServer());
  EXPECT_EQ(server_->Stats().requests, 5u);
}

TEST_F(HttpServerTest, IdleKeptAliveConnectionIsClosedQuietly) {
  HttpServerOptions o;
  o.header_timeout = milliseconds(200);
  const uint16_t port = Start(o);
  RawClient c(port);
  ASSERT_TRUE(c.Send("GET /readyz HTTP/1.1\r\n\r\n"));
  ASSERT_TRUE(c.Read());
  EXPECT_TRUE(c.ClosedByServer());
  EXPECT_EQ(server_->Stats().header_timeouts, 0u);
}

TEST_F(HttpServerTest, ClientThatDoesNotReadItsResponseIsDroppedAtTheWriteDeadline) {
  HttpServerOptions o;
  o.write_timeout = milliseconds(300);
  Build(o);
  // More than loopback's socket buffers hold, so the write must wait for the client.
  server_->Get("/big", [](const HttpRequest&) {
    return HttpResponse{200, "text/plain", std::string(32 << 20, 'x'), {}};
  });
  ASSERT_TRUE(server_->Start("127.0.0.1", 0).ok());
  RawClient c(server_->port());
  ASSERT_TRUE(c.Send("GET /big HTTP/1.1\r\n\r\n"));  // and never read
  EXPECT_TRUE(Eventually([&] { return server_->Stats().write_timeouts == 1; }));
  EXPECT_TRUE(Eventually([&] { return server_->Stats().open == 0; }));
  auto r = Get(server_->port(), "/readyz");  // nobody else was held up
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

// Lowers the soft RLIMIT_NOFILE so that only `room` more descriptors can be opened (the
// test's client sockets are made before); the limit is restored on destruction.
class FdSqueeze {
 public:
  explicit FdSqueeze(int room) {
    const int lowest_free = open("/dev/null", O_RDONLY);
    if (lowest_free < 0 || getrlimit(RLIMIT_NOFILE, &saved_) != 0) return;
    close(lowest_free);
    rlimit low = saved_;
    low.rlim_cur = static_cast<rlim_t>(lowest_free + room);
    ok_ = setrlimit(RLIMIT_NOFILE, &low) == 0;
  }
  ~FdSqueeze() { Restore(); }
  bool ok() const { return ok_; }
  void Restore() {
    if (ok_) setrlimit(RLIMIT_NOFILE, &saved_);
    ok_ = false;
  }

 private:
  rlimit saved_{};
  bool ok_ = false;
};

int ConnectLoopback(const Fd& fd, uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
}

// Out of file descriptors, connections are refused one by one (a reserved descriptor makes
// accept-and-close possible) instead of spinning on a listening socket that stays readable;
// with room again, the server serves.
TEST_F(HttpServerTest, OutOfFileDescriptorsRefusesConnectionsAndRecovers) {
  const uint16_t port = Start();
  constexpr int kClients = 20;
  std::vector<Fd> clients;
  for (int i = 0; i < kClients; ++i) clients.emplace_back(socket(AF_INET, SOCK_STREAM, 0));
  FdSqueeze squeeze(0);  // the server has no descriptor left to accept with
  ASSERT_TRUE(squeeze.ok());
  for (auto& fd : clients) EXPECT_EQ(ConnectLoopback(fd, port), 0);
  rusage before{};
  getrusage(RUSAGE_SELF, &before);
  const bool refused_all =
      Eventually([&] { return server_->Stats().refused >= static_cast<uint64_t>(kClients); });
  std::this_thread::sleep_for(milliseconds(300));  // would spin here if it did
  rusage after{};
  getrusage(RUSAGE_SELF, &after);
  squeeze.Restore();
  EXPECT_TRUE(refused_all) << "refused " << server_->Stats().refused;
  EXPECT_EQ(server_->Stats().refused, static_cast<uint64_t>(kClients));
  const double cpu = (after.ru_utime.tv_sec - before.ru_utime.tv_sec) +
                     (after.ru_stime.tv_sec - before.ru_stime.tv_sec) +
                     (after.ru_utime.tv_usec - before.ru_utime.tv_usec) / 1e6 +
                     (after.ru_stime.tv_usec - before.ru_stime.tv_usec) / 1e6;
  EXPECT_LT(cpu, 0.25) << "CPU seconds while out of descriptors";
  char byte;
  for (auto& fd : clients) EXPECT_LE(recv(fd.get(), &byte, 1, 0), 0);  // closed, not served
  auto r = Get(port, "/readyz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

// Out of descriptors with a connection waiting: the oldest waiting one makes room for the
// newcomer, which is served.
TEST_F(HttpServerTest, OutOfFileDescriptorsEvictsTheOldestWaitingConnection) {
  const uint16_t port = Start();
  Fd idle(socket(AF_INET, SOCK_STREAM, 0)), fresh(socket(AF_INET, SOCK_STREAM, 0));
  FdSqueeze squeeze(1);  // room for one accepted connection
  ASSERT_TRUE(squeeze.ok());
  EXPECT_EQ(ConnectLoopback(idle, port), 0);
  const bool idle_accepted = Eventually([&] { return server_->Stats().open == 1; });
  EXPECT_EQ(ConnectLoopback(fresh, port), 0);
  const bool evicted = Eventually([&] { return server_->Stats().evicted == 1; });
  const bool sent = SendAll(fresh.get(), "GET /readyz HTTP/1.0\r\n\r\n", milliseconds(2000)).ok();
  std::string reply;
  while (sent) {
    auto got = ReadSome(fresh.get(), 4096, milliseconds(3000));
    if (!got.ok() || got->empty()) break;
    reply += *got;
  }
  squeeze.Restore();
  EXPECT_TRUE(idle_accepted);
  EXPECT_TRUE(evicted) << "evicted " << server_->Stats().evicted;
  EXPECT_EQ(reply.substr(0, 15), "HTTP/1.1 200 OK") << reply;
  char byte;
  EXPECT_LE(recv(idle.get(), &byte, 1, 0), 0);  // the idle one was closed
  EXPECT_EQ(server_->Stats().refused, 0u);
}

}  // namespace
}  // namespace mysqlset::net
