#include "net/backup_server.h"

#include <sys/socket.h>

#include <condition_variable>
#include <thread>

#include "gtest/gtest.h"
#include "net/backup_client.h"
#include "net/backup_protocol.h"

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
  void StartServer(int max_concurrent = 1) {
    BackupServerOptions o;
    o.bind_address = "127.0.0.1";
    o.port = 0;
    o.max_concurrent = max_concurrent;
    o.pod_name = "mysql-1";
    o.token = "the-token";
    o.handshake_timeout = milliseconds(300);
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
  // Everything the server sends on a raw connection after we send `request`.
  std::string RawExchange(const std::string& request, bool half_close = false) {
    auto fd = ConnectTcp("127.0.0.1", server_->port(), milliseconds(1000));
    EXPECT_TRUE(fd.ok());
    if (!request.empty()) {
      EXPECT_TRUE(SendAll(fd->get(), request, milliseconds(1000)).ok());
    }
    if (half_close) shutdown(fd->get(), SHUT_WR);
    std::string all;
    while (true) {
      auto s = ReadSome(fd->get(), 4096, milliseconds(3000));
      if (!s.ok() || s->empty()) break;
      all += *s;
    }
    return all;
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
  EXPECT_EQ(producer_.produced_calls, 0);
  // On the wire: greeting, then exactly one refusal line, then EOF.
  auto fd = ConnectTcp("127.0.0.1", server_->port(), milliseconds(1000));
  ASSERT_TRUE(fd.ok());
  auto greeting = ReadLine(fd->get(), kMaxLine, milliseconds(1000));
  ASSERT_TRUE(greeting.ok());
  ASSERT_TRUE(SendAll(fd->get(), AuthLine(std::string(64, 'a')), milliseconds(1000)).ok());
  std::string rest;
  while (true) {
    auto s = ReadSome(fd->get(), 4096, milliseconds(2000));
    if (!s.ok() || s->empty()) break;
    rest += *s;
  }
  EXPECT_TRUE(rest.starts_with("ERR auth ")) << rest;
  EXPECT_EQ(rest.find('\n'), rest.size() - 1) << rest;
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
  const std::string oversized = RawExchange(std::string(5000, 'x'));
  EXPECT_NE(oversized.find("ERR bad-request"), std::string::npos) << oversized;
  EXPECT_NE(RawExchange("\x16\x03\x01 hello\n").find("ERR auth"), std::string::npos);
  EXPECT_NE(RawExchange("", /*half_close=*/true).find("ERR bad-request"), std::string::npos);
  // Silent client: held open, dropped after the handshake timeout; meanwhile others work.
  auto silent = ConnectTcp("127.0.0.1", server_->port(), milliseconds(1000));
  ASSERT_TRUE(silent.ok());
  EXPECT_TRUE(Fetch().ok());
  std::string got;
  while (true) {
    auto s = ReadSome(silent->get(), 4096, milliseconds(3000));
    if (!s.ok() || s->empty()) break;
    got += *s;
  }
  EXPECT_NE(got.find("ERR bad-request"), std::string::npos) << got;
  EXPECT_EQ(server_->Stats().bad_requests, 3u);
  EXPECT_EQ(server_->Stats().served_ok, 1u);
  EXPECT_EQ(producer_.produced_calls, 1);
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
