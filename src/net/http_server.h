#pragma once
// A small HTTP/1.1 server for GET (and HEAD, and small POSTs) that idle, slow or many connections
// cannot starve (issue #18: 200 silent connections to cpp-httplib's thread-per-connection server
// made /readyz time out, and HAProxy took the primary out of service).
//
//   accept loop ──> waiting room ──(complete head)──> lane queue ──> lane worker(s)
//                   (one epoll thread)                              (run the handler)
//        <── response written without blocking by the same epoll thread <──┘
//
// - The waiting room holds every connection until a complete request head has arrived: at
//   most `max_head_bytes`, within `header_timeout` of entering it (a trickling client is cut
//   at the deadline, not kept alive by each byte). It costs a buffer, not a thread.
// - Above `max_connections` open connections, accepting one evicts the oldest in the waiting
//   room; when none waits, the new one is refused. Out of file descriptors, the server frees
//   one of its own waiting connections or refuses the new connection (a reserved descriptor
//   makes that possible) and never spins.
// - Each path belongs to a lane with its own worker threads and a bounded queue (full: 503),
//   so a slow handler (a /metrics render, a mysqld ping) never delays another lane's
//   requests (the probes).
// - Responses are written by the epoll thread; a client that does not read its response
//   within `write_timeout` is dropped. Keep-alive and pipelined requests are served one at a
//   time per connection, in order; between requests the connection waits in the room again.
// - Refusals, evictions, timeouts and bad requests are logged with the client's address, at
//   most one line per second per kind with the count of those left out.
// Thread-safety: configure (AddLane, Get) before Start; Start/Stop from one thread; Stats from
// any thread while running.
// Handlers run on their lane's threads, concurrently with other lanes' handlers.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "net/http_message.h"

namespace mysqlset::net {

struct HttpServerOptions {
  std::string name = "http";  // in log lines: "agent http: ..."
  size_t max_head_bytes = 8 * 1024;
  std::chrono::milliseconds header_timeout{2000};  // also the keep-alive idle time
  std::chrono::milliseconds write_timeout{5000};
  size_t max_connections = 4096;  // lowered at Start to fit RLIMIT_NOFILE
  size_t max_queued_per_lane = 128;
  std::string not_found_body = "not found\n";  // text/plain, for paths nobody handles
  size_t max_body_bytes = 0;  // POST bodies; head and body fit in max_head_bytes together
};

// Counters since Start, for tests and metrics.
struct HttpServerStats {
  uint64_t accepted = 0;
  uint64_t requests = 0;  // handed to a lane or answered with an error
  uint64_t refused = 0;   // closed at accept: over the cap with nobody waiting, or out of fds
  uint64_t evicted = 0;   // oldest waiting connection closed to make room
  uint64_t header_timeouts = 0;
  uint64_t write_timeouts = 0;
  uint64_t bad_requests = 0;  // 4xx/5xx from the parser
  uint64_t busy = 0;          // 503 because a lane's queue was full
  uint64_t open = 0;          // connections open now
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

class HttpServer {
 public:
  using LaneId = int;
  static constexpr LaneId kDefaultLane = 0;  // made by the constructor, with 2 threads

  explicit HttpServer(HttpServerOptions options);
  ~HttpServer();  // Stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // A lane with `threads` workers of its own. REQUIRES: before Start, threads >= 1.
  LaneId AddLane(const std::string& name, int threads);
  // Serves GET and HEAD `path` (exact match, query ignored) with `handler` on `lane`.
  void Get(const std::string& path, HttpHandler handler, LaneId lane = kDefaultLane);
  // Serves POST `path`, with its body in the request (options.max_body_bytes).
  void Post(const std::string& path, HttpHandler handler, LaneId lane = kDefaultLane);

  // Binds (port 0 picks a free one) and starts serving on background threads.
  // kUnavailable when the port is taken.
  Status Start(const std::string& bind_address, uint16_t port);
  // Stops accepting, closes every connection and joins the threads (waits for running
  // handlers to return). Idempotent.
  void Stop();

  uint16_t port() const { return port_; }
  size_t max_connections() const { return max_connections_; }
  HttpServerStats Stats() const;

 private:
  struct Lane;
  struct Loop;

  HttpServerOptions options_;
  std::vector<std::unique_ptr<Lane>> lanes_;
  std::map<std::string, std::pair<HttpHandler, LaneId>> routes_;
  std::unique_ptr<Loop> loop_;
  std::thread loop_thread_;
  uint16_t port_ = 0;
  size_t max_connections_ = 0;
};

}  // namespace mysqlset::net
