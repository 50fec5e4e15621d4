#include "net/backup_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "common/logging.h"
#include "net/backup_protocol.h"
#include "posix/pipe.h"

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
  ASSIGN_OR_RETURN(TlsPsk psk, BackupPsk(options_.token));
  ASSIGN_OR_RETURN(tls_, TlsContext::NewPsk(TlsRole::kServer, std::move(psk)));
  ASSIGN_OR_RETURN(listen_fd_, ListenTcp(options_.bind_address, options_.port, &bound_port_));
  // Non-blocking: the acceptor drains the queue without ever blocking in accept.
  fcntl(listen_fd_.get(), F_SETFL, fcntl(listen_fd_.get(), F_GETFL) | O_NONBLOCK);
  accept_thread_ = std::thread([this] { AcceptLoop(); });
  spdlog::info("backup port listening on {}:{} (TLS 1.3, at most {} concurrent backups)",
               options_.bind_address, bound_port_, options_.max_concurrent);
  return Status::Ok();
}

void BackupServer::Stop() {
  if (stopping_.exchange(true)) return;
  if (listen_fd_.valid()) shutdown(listen_fd_.get(), SHUT_RDWR);  // wakes the accept poll
  if (accept_thread_.joinable()) accept_thread_.join();
  listen_fd_.Reset();
  // A burst's tail the loop had not reported yet (it does so a second after the last line).
  if (auto left_out = refusal_log_.Flush()) {
    spdlog::warn("backup port: {} more refusals not logged before the stop", *left_out);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Wakes every blocked read/write; producers then see send() fail and stop.
    for (auto& c : conns_) {
      if (c->session != nullptr) shutdown(c->session->fd(), SHUT_RDWR);
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

struct BackupServer::Pending {
  TlsSession session;
  std::string peer;  // "address:port", for the log
  Clock::time_point deadline;
  short events = POLLIN;
};

namespace {

std::string PeerAddress(const sockaddr_storage& ss) {
  char host[INET6_ADDRSTRLEN] = "?";
  uint16_t port = 0;
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
    port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
    return fmt::format("[{}]:{}", host, ntohs(a->sin6_port));
  }
  return fmt::format("{}:{}", host, port);
}

}  // namespace

void BackupServer::Refuse(uint64_t BackupStats::*counter, std::string_view line) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++(stats_.*counter);
  }
  if (auto left_out = refusal_log_.Admit(Clock::now())) {
    if (*left_out > 0) {
      spdlog::warn("backup port: {} ({} more refusals not logged in the last second)", line,
                   *left_out);
    } else {
      spdlog::warn("backup port: {}", line);
    }
  }
}

void BackupServer::AcceptLoop() {
  std::deque<std::unique_ptr<Pending>> pending;  // oldest first
  std::vector<pollfd> fds;
  while (!stopping_) {
    ReapFinished(/*all=*/false);
    const auto now = Clock::now();
    // Drop the handshakes past their deadline (the oldest first: deadlines are in order).
    while (!pending.empty() && pending.front()->deadline <= now) {
      Refuse(&BackupStats::bad_requests,
             fmt::format("dropped {}: no TLS handshake within {} ms", pending.front()->peer,
                         options_.handshake_timeout.count()));
      pending.pop_front();
    }
    if (auto left_out = refusal_log_.TakeLeftOut(now)) {
      spdlog::warn("backup port: {} more refusals not logged in the last second", *left_out);
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      stats_.pending = static_cast<int>(pending.size());
    }
    fds.assign(1, pollfd{listen_fd_.get(), POLLIN, 0});
    for (const auto& p : pending) fds.push_back(pollfd{p->session.fd(), p->events, 0});
    auto wait = std::chrono::milliseconds(200);
    if (!pending.empty()) {
      wait = std::min(
          wait, std::chrono::ceil<std::chrono::milliseconds>(pending.front()->deadline - now));
    }
    const int r = poll(fds.data(), fds.size(), static_cast<int>(std::max<long>(wait.count(), 1)));
    // Stop() shuts the listening socket down to wake this poll; accept would then fail with
    // EINVAL, which is not worth a warning.
    if (stopping_) break;
    if (r <= 0) continue;
    // Handshakes first (fds[i + 1] is pending[i]); then new connections, which may evict.
    for (size_t i = 0; i < pending.size(); ++i) {
      if (fds[i + 1].revents != 0 && !StepHandshake(*pending[i])) pending[i].reset();
    }
    std::erase(pending, nullptr);
    if (fds[0].revents != 0) AcceptNew(pending);
  }
}

void BackupServer::AcceptNew(std::deque<std::unique_ptr<Pending>>& pending) {
  // Bounded per round so the pending handshakes get their turn under a flood.
  for (int i = 0; i < 64 && !stopping_; ++i) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    Fd fd(accept4(listen_fd_.get(), reinterpret_cast<sockaddr*>(&ss), &len, SOCK_CLOEXEC));
    if (!fd.valid()) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED) {
        return;
      }
      if (!stopping_) {
        spdlog::warn("backup port: accept: {}", std::strerror(errno));
        // Out of descriptors: the oldest pending handshake gives way, else wait a little.
        if ((errno == EMFILE || errno == ENFILE) && !pending.empty()) {
          pending.pop_front();
        } else {
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
      }
      return;
    }
    const std::string peer = PeerAddress(ss);
    auto session = TlsSession::New(tls_, std::move(fd));
    if (!session.ok()) {
      spdlog::warn("backup port: {}: {}", peer, session.status().message());
      continue;
    }
    if (static_cast<int>(pending.size()) >= options_.max_pending_handshakes) {
      Refuse(&BackupStats::bad_requests,
             fmt::format("dropped {}: {} connections are waiting in the TLS handshake; the "
                         "oldest gives way",
                         pending.front()->peer, pending.size()));
      pending.pop_front();
    }
    auto p = std::make_unique<Pending>(
        Pending{std::move(*session), peer, Clock::now() + options_.handshake_timeout});
    // A ClientHello may already be here; stepping now saves a poll round.
    if (StepHandshake(*p)) pending.push_back(std::move(p));
  }
}

bool BackupServer::StepHandshake(Pending& p) {
  auto step = p.session.HandshakeStep();
  if (!step.ok()) {
    if (step.status().code() == StatusCode::kPermissionDenied) {
      Refuse(&BackupStats::refused_auth,
             fmt::format("refused {}: {} (the peer does not hold the backup-token secret, or "
                         "is not a mysqlset receiver of this version)",
                         p.peer, step.status().message()));
    } else {
      Refuse(&BackupStats::bad_requests,
             fmt::format("dropped {}: {}", p.peer, step.status().message()));
    }
    return false;
  }
  switch (*step) {
    case TlsSession::Step::kWantRead:
      p.events = POLLIN;
      return true;
    case TlsSession::Step::kWantWrite:
      p.events = POLLOUT;
      return true;
    case TlsSession::Step::kDone:
      StartServing(std::move(p.session), p.peer);
      return false;
  }
  return false;
}

void BackupServer::StartServing(TlsSession session, const std::string& peer) {
  std::unique_lock<std::mutex> lock(mu_);
  if (static_cast<int>(conns_.size()) >= options_.max_connections) {
    // Only token holders get here; still, threads are bounded.
    ++stats_.refused_busy;
    const size_t open = conns_.size();
    // The refusal is written without the lock: Stats() (the agent's /metrics) and the
    // pending handshakes must not wait on a slow peer.
    lock.unlock();
    (void)session.Write(ErrLine("busy", "too many connections"), std::chrono::milliseconds(100));
    session.Close();
    spdlog::warn("backup port: refused {}: {} connections already open", peer, open);
    return;
  }
  auto conn = std::make_unique<Conn>();
  conn->session = std::make_unique<TlsSession>(std::move(session));
  Conn* raw = conn.get();
  conns_.push_back(std::move(conn));
  raw->thread = std::thread([this, raw] {
    Serve(*raw->session);
    raw->session->Close();
    // Close now rather than when reaped: the client sees EOF right after the last frame.
    std::lock_guard<std::mutex> lock(mu_);
    raw->session.reset();
    raw->done = true;
  });
}

void BackupServer::Serve(TlsSession& session) {
  const auto hs = options_.handshake_timeout;
  const int fd = session.fd();
  // Only an authenticated client learns whether the donor is busy.
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (stats_.active >= options_.max_concurrent) {
      ++stats_.refused_busy;
      const int active = stats_.active;
      lock.unlock();  // never hold mu_ while a peer reads (see StartServing)
      (void)session.Write(
          ErrLine("busy", fmt::format("already serving {} backup(s); retry later", active)),
          std::chrono::milliseconds(1000));
      spdlog::info("backup port: refused a client: busy");
      return;
    }
    ++stats_.active;
  }
  const auto started = std::chrono::steady_clock::now();
  BackupHello hello{options_.pod_name, producer_->EstimateBytes()};
  Status st = session.Write(OkLine(hello), hs);
  uint64_t sent = 0;
  bool client_ok = st.ok();
  if (client_ok) {
    spdlog::info("backup port: streaming a backup (estimated {} bytes)", hello.estimated_bytes);
    // The header goes out with the payload's first bytes as one full TLS record (no 5-byte
    // records), the rest of the payload straight from the producer's buffer (no copy).
    std::string head;
    auto send = [&](std::string_view data) -> bool {
      while (client_ok && !data.empty()) {
        const uint32_t n = static_cast<uint32_t>(std::min<size_t>(data.size(), kMaxDataFrame));
        const size_t first = std::min<size_t>(n, kTlsMaxRecord - kFrameHeaderSize);
        head.assign(DataFrameHeader(n));
        head.append(data.substr(0, first));
        if (!session.Write(head, options_.send_timeout).ok() ||
            !session.Write(data.substr(first, n - first), options_.send_timeout).ok()) {
          client_ok = false;
          break;
        }
        sent += n;
        data.remove_prefix(n);
        std::lock_guard<std::mutex> lock(mu_);
        stats_.bytes_sent += n;
      }
      return client_ok;
    };
    // The client sends nothing after the handshake: readable means it closed (or
    // misbehaves).
    auto client_gone = [&]() -> bool {
      if (!client_ok) return true;
      pollfd p{fd, POLLIN | POLLRDHUP, 0};
      if (poll(&p, 1, 0) > 0) client_ok = false;
      return !client_ok;
    };
    st = producer_->Produce(send, client_gone);
    if (client_ok) {
      Trailer t{st.ok(), sent, st.ok() ? "" : st.message()};
      if (!session.Write(TrailerFrame(t), options_.send_timeout).ok()) client_ok = false;
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
