#pragma once
// The donor's listener for the backup stream (see backup_protocol.h). Knows nothing of
// mariabackup: a BackupProducer supplies the estimate and the payload bytes.
//
// Each connection runs on its own thread: greeting, one bounded AUTH line read with a
// timeout, authentication (constant time), then the concurrency check, then the stream.
// An unauthenticated client gets one refusal line and nothing else; garbage, oversized
// lines and slow clients are dropped without affecting other connections.
// Thread-safe: Stats() may be called from any thread while serving.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "common/status.h"
#include "net/socket.h"

namespace mysqlset {

struct BackupStats {
  uint64_t served_ok = 0, failed = 0, refused_auth = 0, refused_busy = 0, bad_requests = 0,
           bytes_sent = 0;
  int active = 0;
};

namespace net {

struct BackupServerOptions {
  std::string bind_address = "0.0.0.0";
  uint16_t port = 3307;  // 0: any free port (tests)
  int max_concurrent = 1;
  std::string pod_name;
  std::string token;  // secret: the shared backup token
  std::chrono::milliseconds handshake_timeout{10000};
  std::chrono::milliseconds send_timeout{120000};  // a receiver that stops reading is dropped
  int max_connections = 32;  // handshakes + streams; beyond this, refuse at once
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

  // Binds and starts accepting. kUnavailable when the port is in use.
  Status Start();
  // Stops accepting, disconnects every client (their producers see send() fail) and joins
  // all threads. Idempotent.
  void Stop();
  BackupStats Stats() const;
  uint16_t port() const { return bound_port_; }

 private:
  struct Conn {
    Fd fd;
    std::thread thread;
    std::atomic<bool> done{false};
  };
  void AcceptLoop();
  void Serve(Conn* conn);
  void ReapFinished(bool all);

  const BackupServerOptions options_;
  BackupProducer* const producer_;
  Fd listen_fd_;
  uint16_t bound_port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread accept_thread_;

  mutable std::mutex mu_;
  BackupStats stats_;        // guarded by mu_
  std::list<std::unique_ptr<Conn>> conns_;  // guarded by mu_
};

}  // namespace net
}  // namespace mysqlset
