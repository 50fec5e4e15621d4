#pragma once
// The donor's listener for the backup stream (see backup_protocol.h). Knows nothing of
// mariabackup: a BackupProducer supplies the estimate and the payload bytes.
//
// Two stages, so that peers without the token cannot crowd out those with it:
//  - Pending: one thread (the acceptor) runs every TLS handshake non-blocking from a poll
//    loop. At most max_pending_handshakes wait at once: a new connection beyond that drops
//    the oldest pending one (whose peer, if real, retries), and each is dropped at the
//    handshake deadline. A pending peer costs a socket and a TLS object, no thread, and never
//    counts against max_concurrent or max_connections. A flood of silent connections thus
//    delays a real handshake by one poll round at most, and only a flood of more than
//    max_pending_handshakes new connections within one handshake's round trip can displace
//    it (the receiver's retry then gets through).
//  - Authenticated: a peer that completed the handshake (it holds the backup token) gets its
//    own thread: the concurrency check, then the stream.
// Refusals (failed handshakes, deadlines, evictions) are logged with the peer's address, at
// most one line per second plus the count of those left out.
// Thread-safe: Stats() may be called from any thread while serving.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "common/status.h"
#include "net/log_limiter.h"
#include "net/socket.h"
#include "net/tls.h"

namespace mysqlset {

struct BackupStats {
  // refused_auth: failed TLS handshakes (no backup token); bad_requests: connections that
  // closed, stayed silent past the handshake deadline or were evicted before completing one.
  uint64_t served_ok = 0, failed = 0, refused_auth = 0, refused_busy = 0, bad_requests = 0,
           bytes_sent = 0;
  int active = 0;
  int pending = 0;  // connections waiting in the TLS handshake
};

namespace net {

struct BackupServerOptions {
  std::string bind_address = "0.0.0.0";
  uint16_t port = 3307;  // 0: any free port (tests)
  int max_concurrent = 1;
  std::string pod_name;
  std::string token;  // secret: the shared backup token
  // An unauthenticated connection must complete the TLS handshake within this.
  std::chrono::milliseconds handshake_timeout{5000};
  std::chrono::milliseconds send_timeout{120000};  // a receiver that stops reading is dropped
  int max_pending_handshakes = 256;  // beyond this, a new connection evicts the oldest
  int max_connections = 32;          // authenticated connections (streams and busy replies)
};

// Produces one backup. `send` delivers payload bytes and returns false once the client is
// gone (the producer must then stop); `client_gone` can be polled while no bytes are ready.
// Returns OK when the backup is complete; otherwise the reason goes into the FAIL trailer,
// so it must hold no secret.
class BackupProducer {
 public:
  virtual ~BackupProducer() = default;
  virtual uint64_t EstimateBytes() = 0;
  virtual Status Produce(const std::function<bool(std::string_view)>& send,
                         const std::function<bool()>& client_gone) = 0;
};

class BackupServer {
 public:
  BackupServer(BackupServerOptions options, BackupProducer* producer);
  ~BackupServer();  // Stop()
  BackupServer(const BackupServer&) = delete;
  BackupServer& operator=(const BackupServer&) = delete;

  // Binds and starts accepting. kUnavailable when the port is in use, kInvalidArgument for
  // an empty token.
  Status Start();
  // Stops accepting, disconnects every client (their producers see send() fail) and joins
  // all threads. Idempotent.
  void Stop();
  BackupStats Stats() const;
  uint16_t port() const { return bound_port_; }

 private:
  struct Conn {
    std::unique_ptr<TlsSession> session;  // reset (closed) when served; guarded by mu_
    std::thread thread;
    std::atomic<bool> done{false};
  };
  struct Pending;  // a connection in the TLS handshake; owned by the acceptor thread
  using Clock = std::chrono::steady_clock;

  void AcceptLoop();
  // Accepts what the listener has queued, evicting the oldest pending ones beyond the cap.
  void AcceptNew(std::deque<std::unique_ptr<Pending>>& pending);
  // Advances one handshake; false when the connection left the pending stage.
  bool StepHandshake(Pending& p);
  void StartServing(TlsSession session, const std::string& peer);
  void Serve(TlsSession& session);
  void ReapFinished(bool all);
  // Logs a refusal line, rate-limited; `counter` is counted either way.
  void Refuse(uint64_t BackupStats::*counter, std::string_view line);

  const BackupServerOptions options_;
  std::shared_ptr<const TlsContext> tls_;  // set by Start()
  BackupProducer* const producer_;
  Fd listen_fd_;
  uint16_t bound_port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread accept_thread_;

  LogLimiter refusal_log_;  // acceptor thread only (Refuse)
  mutable std::mutex mu_;
  BackupStats stats_;                       // guarded by mu_
  std::list<std::unique_ptr<Conn>> conns_;  // guarded by mu_
};

}  // namespace net
}  // namespace mysqlset
