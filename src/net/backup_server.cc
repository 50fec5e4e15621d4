#include "net/backup_server.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "common/logging.h"
#include "net/backup_protocol.h"

namespace mysqlset::net {

BackupServer::BackupServer(BackupServerOptions options, BackupProducer* producer)
    : options_(std::move(options)), producer_(producer) {
  CHECK(producer_ != nullptr);
  CHECK(options_.max_concurrent >= 1);
}

BackupServer::~BackupServer() { Stop(); }

Status BackupServer::Start() {
  CHECK(!listen_fd_.valid());
  IgnoreSigpipe();
  ASSIGN_OR_RETURN(listen_fd_, ListenTcp(options_.bind_address, options_.port, &bound_port_));
  accept_thread_ = std::thread([this] { AcceptLoop(); });
  spdlog::info("backup port listening on {}:{} (at most {} concurrent backups)",
               options_.bind_address, bound_port_, options_.max_concurrent);
  return Status::Ok();
}

void BackupServer::Stop() {
  if (stopping_.exchange(true)) return;
  if (listen_fd_.valid()) shutdown(listen_fd_.get(), SHUT_RDWR);  // wakes the accept poll
  if (accept_thread_.joinable()) accept_thread_.join();
  listen_fd_.Reset();
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Wakes every blocked read/write; producers then see send() fail and stop.
    for (auto& c : conns_) {
      if (c->fd.valid()) shutdown(c->fd.get(), SHUT_RDWR);
    }
  }
  ReapFinished(/*all=*/true);
}

BackupStats BackupServer::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void BackupServer::ReapFinished(bool all) {
  std::list<std::unique_ptr<Conn>> finished;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = conns_.begin(); it != conns_.end();) {
      if (all || (*it)->done) {
        finished.push_back(std::move(*it));
        it = conns_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& c : finished) c->thread.join();
}

void BackupServer::AcceptLoop() {
  while (!stopping_) {
    ReapFinished(/*all=*/false);
    pollfd p{listen_fd_.get(), POLLIN, 0};
    const int r = poll(&p, 1, 200);
    if (r <= 0) continue;
    // Stop() shuts the listening socket down to wake this poll; accept then fails with
    // EINVAL, which is not worth a warning.
    if (stopping_) break;
    Fd fd(accept4(listen_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!fd.valid()) {
      if (stopping_) break;
      if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED) {
        spdlog::warn("backup port: accept: {}", std::strerror(errno));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));  // e.g. EMFILE
      }
      continue;
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (static_cast<int>(conns_.size()) >= options_.max_connections) {
      // A flood of connections must not exhaust threads; answer and drop.
      (void)SendAll(fd.get(), ErrLine("busy", "too many connections"),
                    std::chrono::milliseconds(100));
      ++stats_.refused_busy;
      continue;
    }
    auto conn = std::make_unique<Conn>();
    conn->fd = std::move(fd);
    Conn* raw = conn.get();
    conns_.push_back(std::move(conn));
    raw->thread = std::thread([this, raw] {
      Serve(raw);
      // Close now rather than when reaped: the client sees EOF right after the last line.
      std::lock_guard<std::mutex> lock(mu_);
      raw->fd.Reset();
      raw->done = true;
    });
  }
}

void BackupServer::Serve(Conn* conn) {
  const int fd = conn->fd.get();
  const auto hs = options_.handshake_timeout;
  const std::string nonce = NewNonce();
  if (!SendAll(fd, GreetingLine(nonce), hs).ok()) return;

  auto refuse = [&](std::string_view kind, std::string_view why, uint64_t BackupStats::*counter,
                    std::string_view log_why) {
    (void)SendAll(fd, ErrLine(kind, why), std::chrono::milliseconds(1000));
    std::lock_guard<std::mutex> lock(mu_);
    ++(stats_.*counter);
    spdlog::warn("backup port: refused a client: {} ({})", kind, log_why);
  };

  auto line = ReadLine(fd, kMaxLine, hs);
  if (!line.ok()) {
    refuse("bad-request", "expected 'AUTH <hmac>' line", &BackupStats::bad_requests,
           line.status().message());
    return;
  }
  auto proof = ParseAuthLine(*line);
  if (!proof.ok()) {
    refuse("auth", "authentication required", &BackupStats::refused_auth, "no AUTH line");
    return;
  }
  if (!VerifyAuthProof(options_.token, nonce, *proof)) {
    refuse("auth", "authentication failed: check that the backup-token secret matches",
           &BackupStats::refused_auth, "wrong HMAC");
    return;
  }
  // Only an authenticated client learns whether the donor is busy.
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stats_.active >= options_.max_concurrent) {
      ++stats_.refused_busy;
      (void)SendAll(fd, ErrLine("busy", fmt::format("already serving {} backup(s); retry later",
                                                    stats_.active)),
                    std::chrono::milliseconds(1000));
      spdlog::info("backup port: refused a client: busy");
      return;
    }
    ++stats_.active;
  }
  const auto started = std::chrono::steady_clock::now();
  BackupHello hello{options_.pod_name, producer_->EstimateBytes()};
  Status st = SendAll(fd, OkLine(hello), hs);
  Sha256 sha;
  uint64_t sent = 0;
  bool client_ok = st.ok();
  if (client_ok) {
    spdlog::info("backup port: streaming a backup (estimated {} bytes)", hello.estimated_bytes);
    auto send = [&](std::string_view data) -> bool {
      while (client_ok && !data.empty()) {
        const uint32_t n = static_cast<uint32_t>(std::min<size_t>(data.size(), kMaxDataFrame));
        if (!SendAll(fd, DataFrameHeader(n), options_.send_timeout).ok() ||
            !SendAll(fd, data.substr(0, n), options_.send_timeout).ok()) {
          client_ok = false;
          break;
        }
        sha.Update(data.substr(0, n));
        sent += n;
        data.remove_prefix(n);
        std::lock_guard<std::mutex> lock(mu_);
        stats_.bytes_sent += n;
      }
      return client_ok;
    };
    // The client sends nothing after AUTH: readable means it closed (or misbehaves).
    auto client_gone = [&]() -> bool {
      if (!client_ok) return true;
      pollfd p{fd, POLLIN | POLLRDHUP, 0};
      if (poll(&p, 1, 0) > 0) client_ok = false;
      return !client_ok;
    };
    st = producer_->Produce(send, client_gone);
    if (client_ok) {
      Trailer t{st.ok(), sent, sha.HexDigest(), st.ok() ? "" : st.message()};
      if (!SendAll(fd, TrailerFrame(t), options_.send_timeout).ok()) client_ok = false;
    }
    if (!client_ok && st.ok()) st = Unavailable("the receiver disconnected");
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::lock_guard<std::mutex> lock(mu_);
  --stats_.active;
  if (st.ok() && client_ok) {
    ++stats_.served_ok;
    spdlog::info("backup port: backup served: {} bytes in {:.1f}s", sent, secs);
  } else {
    ++stats_.failed;
    spdlog::warn("backup port: backup failed after {} bytes: {}", sent,
                 st.ok() ? "the receiver disconnected" : st.message());
  }
}

}  // namespace mysqlset::net
