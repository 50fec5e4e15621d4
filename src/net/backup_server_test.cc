#include "net/backup_server.h"

#include <sys/socket.h>

#include <condition_variable>
#include <optional>
#include <sstream>
#include <thread>

#include "gtest/gtest.h"
#include "net/backup_client.h"
#include "net/backup_protocol.h"
#include "spdlog/sinks/ostream_sink.h"
#include "spdlog/spdlog.h"

namespace mysqlset::net {
namespace {

using std::chrono::milliseconds;

// Produces `chunks` copies of `chunk`; optionally blocks until released, or fails.
class FakeProducer : public BackupProducer {
 public:
  std::string chunk = "0123456789";
  int chunks = 100;
  Status result = Status::Ok();
  bool block = false;
  std::atomic<int> produced_calls{0};
  std::atomic<bool> saw_client_gone{false};

  uint64_t EstimateBytes() override { return chunk.size() * chunks; }
  Status Produce(const std::function<bool(std::string_view)>& send,
                 const std::function<bool()>& client_gone) override {
    ++produced_calls;
    {
      std::unique_lock<std::mutex> lock(mu_);
      started_ = true;
      cv_.notify_all();
      cv_.wait(lock, [&] { return !block || released_; });
    }
    for (int i = 0; i < chunks; ++i) {
      if (!send(chunk)) {
        saw_client_gone = true;
        return Unavailable("client gone");
      }
    }
    if (block_after_) {
      while (!client_gone()) std::this_thread::sleep_for(milliseconds(5));
      saw_client_gone = true;
      return Unavailable("client gone");
    }
    return result;
  }
  void WaitStarted() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return started_; });
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    cv_.notify_all();
  }
  bool block_after_ = false;

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool started_ = false;
  bool released_ = false;
};

class BackupServerTest : public ::testing::Test {
 protected:
  void StartServer(int max_concurrent = 1,
                   const std::function<void(BackupServerOptions&)>& adjust = nullptr) {
    BackupServerOptions o;
    o.bind_address = "127.0.0.1";
    o.port = 0;
    o.max_concurrent = max_concurrent;
    o.pod_name = "mysql-1";
    o.token = "the-token";
    o.handshake_timeout = milliseconds(300);
    if (adjust) adjust(o);
    server_ = std::make_unique<BackupServer>(o, &producer_);
    ASSERT_TRUE(server_->Start().ok());
  }
  BackupClientOptions ClientOptions(std::string token = "the-token") {
    BackupClientOptions c;
    c.host = "127.0.0.1";
    c.port = server_->port();
    c.token = std::move(token);
    c.idle_timeout = milliseconds(5000);
    return c;
  }
  Result<std::string> Fetch(std::string token = "the-token") {
    ASSIGN_OR_RETURN(BackupClient c, BackupClient::Connect(ClientOptions(std::move(token))));
    std::string data;
    RETURN_IF_ERROR(c.Receive([&](std::string_view d) {
      data.append(d);
      return Status::Ok();
    }));
    return data;
  }
  // Everything the server sends on a raw connection after we send `request`, until EOF
  // (nullopt if it did not close within `wait`).
  std::optional<std::string> RawExchange(const std::string& request, bool half_close = false,
                                         milliseconds wait = milliseconds(3000)) {
    auto fd = ConnectTcp("127.0.0.1", server_->port(), milliseconds(1000));
    EXPECT_TRUE(fd.ok());
    if (!request.empty()) (void)SendAll(fd->get(), request, milliseconds(1000));
    if (half_close) shutdown(fd->get(), SHUT_WR);
    return ReadToEof(fd->get(), wait);
  }
  static std::optional<std::string> ReadToEof(int fd, milliseconds wait) {
    std::string all;
    while (true) {
      auto s = ReadSome(fd, 4096, wait);
      if (!s.ok()) {
        if (s.status().code() == StatusCode::kDeadlineExceeded) return std::nullopt;
        return all;  // reset
      }
      if (s->empty()) return all;
      all += *s;
    }
  }
  // No plaintext line of ours: neither a reply line nor anything after.
  static void ExpectNoPlaintext(const std::optional<std::string>& reply) {
    ASSERT_TRUE(reply.has_value()) << "the server did not close the connection";
    EXPECT_EQ(reply->find("OK "), std::string::npos) << *reply;
    EXPECT_EQ(reply->find("ERR "), std::string::npos) << *reply;
    EXPECT_EQ(reply->find("mysql-1"), std::string::npos) << *reply;
  }

  FakeProducer producer_;
  std::unique_ptr<BackupServer> server_;
};

TEST_F(BackupServerTest, AuthenticatedClientGetsTheWholeVerifiedStream) {
  StartServer();
  auto data = Fetch();
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  EXPECT_EQ(data->size(), 1000u);
  const BackupStats s = server_->Stats();
  EXPECT_EQ(s.served_ok, 1u);
  EXPECT_EQ(s.bytes_sent, 1000u);
  EXPECT_EQ(s.active, 0);
}

TEST_F(BackupServerTest, WrongTokenIsRefusedWithNoData) {
  StartServer();
  auto data = Fetch("wrong");
  EXPECT_EQ(data.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(data.status().message().find("backup-token secret"), std::string::npos)
      << data.status().message();
  EXPECT_EQ(producer_.produced_calls, 0);
  // A version-1 client (plaintext AUTH line) gets no line back, only the TLS layer's refusal.
  ExpectNoPlaintext(RawExchange("AUTH " + std::string(64, 'a') + "\n"));
  EXPECT_EQ(server_->Stats().refused_auth, 2u);
  EXPECT_EQ(server_->Stats().bytes_sent, 0u);
}

TEST_F(BackupServerTest, SecondClientIsRefusedAsBusy) {
  producer_.block = true;
  StartServer();
  std::thread first([&] { EXPECT_TRUE(Fetch().ok()); });
  producer_.WaitStarted();
  auto second = Fetch();
  EXPECT_EQ(second.status().code(), StatusCode::kResourceExhausted);
  producer_.Release();
  first.join();
  EXPECT_EQ(server_->Stats().refused_busy, 1u);
  EXPECT_EQ(server_->Stats().served_ok, 1u);
}

TEST_F(BackupServerTest, UnauthenticatedClientIsNotToldTheDonorIsBusy) {
  producer_.block = true;
  StartServer();
  std::thread first([&] { EXPECT_TRUE(Fetch().ok()); });
  producer_.WaitStarted();
  EXPECT_EQ(Fetch("wrong").status().code(), StatusCode::kPermissionDenied);
  producer_.Release();
  first.join();
}

TEST_F(BackupServerTest, GarbageOversizedAndSilentClientsAreDroppedAndServingContinues) {
  StartServer();
  ExpectNoPlaintext(RawExchange(std::string(5000, 'x')));
  ExpectNoPlaintext(RawExchange("\x16\x03\x01 hello\n"));
  ExpectNoPlaintext(RawExchange("", /*half_close=*/true));
  // Silent client: held open, dropped after the handshake timeout; meanwhile others work.
  auto silent = ConnectTcp("127.0.0.1", server_->port(), milliseconds(1000));
  ASSERT_TRUE(silent.ok());
  EXPECT_TRUE(Fetch().ok());
  ExpectNoPlaintext(ReadToEof(silent->get(), milliseconds(5000)));
  const BackupStats s = server_->Stats();
  EXPECT_EQ(s.refused_auth + s.bad_requests, 4u);
  EXPECT_GE(s.bad_requests, 2u);  // at least the half-closed one and the silent one
  EXPECT_EQ(s.served_ok, 1u);
  EXPECT_EQ(producer_.produced_calls, 1);
}

// Regression (issue #18): 40 silent connections held every slot of the old thread-per-
// connection listener, and every clone got "ERR busy too many connections".
TEST_F(BackupServerTest, SilentConnectionFloodNeverTakesTheSlotOfAnAuthenticatedClient) {
  StartServer(/*max_concurrent=*/1, [](BackupServerOptions& o) {
    o.handshake_timeout = milliseconds(60000);  // the flood stays for the whole test
    o.max_connections = 2;
    o.max_pending_handshakes = 64;
  });
  std::vector<Fd> flood;
  for (int i = 0; i < 200; ++i) {
    auto fd = ConnectTcp("127.0.0.1", server_->port(), milliseconds(1000));
    ASSERT_TRUE(fd.ok()) << i << " " << fd.status().ToString() << " pending "
                         << server_->Stats().pending << " bad " << server_->Stats().bad_requests;
    flood.push_back(std::move(*fd));
  }
  for (int round = 0; round < 3; ++round) {
    auto data = Fetch();
    ASSERT_TRUE(data.ok()) << round << ": " << data.status().ToString();
    EXPECT_EQ(data->size(), 1000u);
  }
  const BackupStats s = server_->Stats();
  EXPECT_EQ(s.served_ok, 3u);
  EXPECT_EQ(s.refused_busy, 0u);
  EXPECT_LE(s.pending, 64);
}

TEST_F(BackupServerTest, BeyondThePendingCapTheOldestUnauthenticatedConnectionIsDropped) {
  StartServer(/*max_concurrent=*/1, [](BackupServerOptions& o) {
    o.handshake_timeout = milliseconds(60000);
    o.max_pending_handshakes = 4;
  });
  std::vector<Fd> conns;
  for (int i = 0; i < 4; ++i) {
    auto fd = ConnectTcp("127.0.0.1", server_->port(), milliseconds(1000));
    ASSERT_TRUE(fd.ok());
    conns.push_back(std::move(*fd));
  }
  // Wait until the server holds all four, then one more connection evicts the first.
  for (int i = 0; i < 500 && server_->Stats().pending < 4; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  ASSERT_EQ(server_->Stats().pending, 4);
  auto fifth = ConnectTcp("127.0.0.1", server_->port(), milliseconds(1000));
  ASSERT_TRUE(fifth.ok());
  // Closed long before its 60 s deadline; the second one is still held.
  ExpectNoPlaintext(ReadToEof(conns[0].get(), milliseconds(10000)));
  EXPECT_EQ(ReadSome(conns[1].get(), 16, milliseconds(200)).status().code(),
            StatusCode::kDeadlineExceeded);
  EXPECT_EQ(server_->Stats().bad_requests, 1u);
  EXPECT_EQ(server_->Stats().pending, 4);
}

TEST_F(BackupServerTest, RefusalsAreLoggedWithThePeerAddressAtMostOncePerSecond) {
  std::ostringstream log;
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(log)));
  StartServer();
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 50; ++i) ExpectNoPlaintext(RawExchange("garbage\n"));
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (int i = 0; i < 150 && log.str().find("more refusals not logged") == std::string::npos; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  server_->Stop();
  spdlog::set_default_logger(previous);
  const std::string text = log.str();
  size_t lines = 0;
  for (size_t p = text.find("backup port: refused"); p != std::string::npos;
       p = text.find("backup port: refused", p + 1)) {
    ++lines;
  }
  std::printf("50 refusals in %.2fs gave %zu refusal lines\n", secs, lines);
  EXPECT_GE(lines, 1u) << text;
  EXPECT_LE(lines, static_cast<size_t>(secs) + 2) << text;
  EXPECT_NE(text.find("refused 127.0.0.1:"), std::string::npos) << text;
  EXPECT_NE(text.find("more refusals not logged"), std::string::npos) << text;
  EXPECT_EQ(server_->Stats().refused_auth, 50u);
}

TEST_F(BackupServerTest, ProducerFailureReachesTheClientAsFailedTrailer) {
  producer_.result = Internal("mariabackup exited with code 1: disk full");
  StartServer();
  auto data = Fetch();
  EXPECT_EQ(data.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(data.status().message().find("disk full"), std::string::npos);
  EXPECT_EQ(server_->Stats().failed, 1u);
}

TEST_F(BackupServerTest, ClientDisconnectStopsTheProducer) {
  producer_.block_after_ = true;
  StartServer();
  {
    auto c = BackupClient::Connect(ClientOptions());
    ASSERT_TRUE(c.ok());
  }  // closed without reading
  for (int i = 0; i < 200 && server_->Stats().failed == 0; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_TRUE(producer_.saw_client_gone);
  EXPECT_EQ(server_->Stats().failed, 1u);
  EXPECT_EQ(server_->Stats().active, 0);
}

TEST_F(BackupServerTest, PortInUseIsAnError) {
  StartServer();
  BackupServerOptions o;
  o.bind_address = "127.0.0.1";
  o.port = server_->port();
  o.token = "t";
  BackupServer other(o, &producer_);
  EXPECT_EQ(other.Start().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace mysqlset::net
