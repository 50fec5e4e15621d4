#include "net/http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <list>
#include <mutex>
#include <unordered_map>

#include "common/logging.h"
#include "net/log_limiter.h"
#include "net/socket.h"

namespace mysqlset::net {
namespace {

// Routes of POST requests share the map with GET's: no path contains a space.
std::string PostKey(const std::string& path) { return "POST " + path; }

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;

// epoll user data: these two, then connection ids.
constexpr uint64_t kListenId = 0;
constexpr uint64_t kWakeId = 1;
constexpr int kMaxEvents = 256;
constexpr int kAcceptBatch = 256;  // then serve the connections we have before accepting more
constexpr size_t kReadChunk = 4096;
constexpr int kListenBacklog = 1024;  // the kernel caps it at net.core.somaxconn
// Descriptors left to the rest of the process (mysqld connections, backups, logs) when the
// connection cap is fitted to RLIMIT_NOFILE.
constexpr size_t kFdsForTheRest = 256;
constexpr auto kAcceptPause = std::chrono::milliseconds(100);

std::string PeerName(const sockaddr_storage& ss) {
  char host[INET6_ADDRSTRLEN] = "?";
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
    return fmt::format("{}:{}", host, ntohs(a->sin_port));
  }
  if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
    return fmt::format("[{}]:{}", host, ntohs(a->sin6_port));
  }
  return "?";
}

// What the server logs about its peers; each kind is rate-limited on its own.
enum class Event { kRefused, kEvicted, kHeaderTimeout, kWriteTimeout, kBadRequest, kBusy, kCount };
constexpr std::array<const char*, static_cast<size_t>(Event::kCount)> kEventNames = {
    "connections refused",
    "waiting connections evicted",
    "connections closed without a complete request head",
    "connections closed with their response unread",
    "bad requests",
    "requests refused as busy",
};

struct Job {
  uint64_t conn_id;
  HttpRequest request;
  const HttpHandler* handler;
  bool head_only;
  bool keep_alive;
};

}  // namespace

struct HttpServer::Lane {
  std::string name;
  int threads;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Job> queue;
  bool stopping = false;
  std::vector<std::thread> workers;
};

// The epoll thread: owns the listening socket and every connection.
struct HttpServer::Loop {
  enum class State {
    kWaiting,     // in the waiting room, reading a request head
    kDispatched,  // its request is with a lane; not in epoll
    kWriting,     // writing a response
    kDraining,    // response sent, write side shut; reading until EOF so close sends no RST
  };
  struct Conn {
    uint64_t id;
    Fd fd;
    std::string peer;
    std::string in;
    std::string out;
    size_t sent = 0;
    bool eof = false;  // the peer will send nothing more
    bool close_after_write = false;
    uint64_t served = 0;               // responses written on this connection
    State state = State::kDispatched;  // in no list yet
    uint32_t epoll_events = 0;         // 0: not registered
    TimePoint deadline;
    std::list<uint64_t>::iterator pos;  // in waiting_ or writing_
  };
  struct Done {
    uint64_t conn_id;
    std::string bytes;
    bool keep_alive;
  };

  Loop(const HttpServerOptions& options, size_t max_connections,
       const std::map<std::string, std::pair<HttpHandler, LaneId>>& routes,
       std::vector<std::unique_ptr<Lane>>& lanes)
      : options_(options), max_connections_(max_connections), routes_(routes), lanes_(lanes) {}

  Status Open(const std::string& bind_address, uint16_t port, uint16_t* bound) {
    ASSIGN_OR_RETURN(listen_, ListenTcp(bind_address, port, bound));
    // A flood arrives faster than one accept batch: a longer queue than ListenTcp's keeps
    // the kernel from dropping probes' SYNs meanwhile (listen(2) again only resizes it).
    listen(listen_.get(), kListenBacklog);
    fcntl(listen_.get(), F_SETFL, fcntl(listen_.get(), F_GETFL) | O_NONBLOCK);
    epoll_ = Fd(epoll_create1(EPOLL_CLOEXEC));
    wake_ = Fd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!epoll_.valid() || !wake_.valid()) return Internal("epoll: {}", std::strerror(errno));
    reserve_ = Fd(open("/dev/null", O_RDONLY | O_CLOEXEC));
    Watch(kListenId, listen_.get(), EPOLLIN);
    Watch(kWakeId, wake_.get(), EPOLLIN);
    return Status::Ok();
  }

  void Watch(uint64_t id, int fd, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = id;
    epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev);
  }

  void Run() {
    std::array<epoll_event, kMaxEvents> events;
    while (!stop_.load()) {
      const int n = epoll_wait(epoll_.get(), events.data(), kMaxEvents, NextTimeoutMs());
      if (n < 0 && errno != EINTR) {
        spdlog::error("{}: epoll_wait: {}", options_.name, std::strerror(errno));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        continue;
      }
      TimePoint now = SteadyClock::now();
      for (int i = 0; i < n; ++i) {
        const uint64_t id = events[i].data.u64;
        if (id == kListenId) {
          AcceptSome(now);
        } else if (id == kWakeId) {
          uint64_t count;
          while (read(wake_.get(), &count, sizeof count) > 0) {
          }
        } else {
          OnConnEvent(id, events[i].events, now);
        }
      }
      now = SteadyClock::now();
      TakeCompletions(now);
      ExpireDeadlines(now);
      if (accept_paused_ && now >= accept_resume_) ResumeAccept();
      FlushLogs(now);
    }
    conns_.clear();  // closes every connection
  }

  void RequestStop() {
    stop_ = true;
    Wake();
  }

  void Wake() {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t r = write(wake_.get(), &one, sizeof one);
  }

  // From a lane worker: the response for a dispatched connection.
  void Complete(Done done) {
    {
      std::lock_guard<std::mutex> lock(done_mu_);
      done_.push_back(std::move(done));
    }
    Wake();
  }

  HttpServerStats Stats() const {
    std::lock_guard<std::mutex> lock(stats_mu_);
    return stats_;
  }

 private:
  template <typename F>
  void Count(F&& f) {
    std::lock_guard<std::mutex> lock(stats_mu_);
    f(stats_);
  }

  void Log(Event e, TimePoint now, const std::string& what) {
    auto left_out = limiters_[static_cast<size_t>(e)].Admit(now);
    if (!left_out) return;
    if (*left_out == 0) {
      spdlog::warn("{}: {}", options_.name, what);
    } else {
      spdlog::warn("{}: {} (and {} more {} in the last second, not logged)", options_.name, what,
                   *left_out, kEventNames[static_cast<size_t>(e)]);
    }
  }

  void FlushLogs(TimePoint now) {
    for (size_t i = 0; i < limiters_.size(); ++i) {
      if (auto n = limiters_[i].TakeLeftOut(now)) {
        spdlog::warn("{}: {} more {} in the last second, not logged", options_.name, *n,
                     kEventNames[i]);
      }
    }
  }

  int NextTimeoutMs() {
    TimePoint next = SteadyClock::now() + std::chrono::seconds(1);
    if (!waiting_.empty()) next = std::min(next, conns_.at(waiting_.front())->deadline);
    if (!writing_.empty()) next = std::min(next, conns_.at(writing_.front())->deadline);
    if (accept_paused_) next = std::min(next, accept_resume_);
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(next - SteadyClock::now()).count();
    return static_cast<int>(std::clamp<int64_t>(ms + 1, 0, 1000));
  }

  // ---- accepting

  void AcceptSome(TimePoint now) {
    for (int i = 0; i < kAcceptBatch && !accept_paused_; ++i) {
      sockaddr_storage ss{};
      socklen_t len = sizeof ss;
      const int fd = accept4(listen_.get(), reinterpret_cast<sockaddr*>(&ss), &len,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
          if (OnOutOfDescriptors(now)) continue;
          return;
        }
        spdlog::error("{}: accept: {}", options_.name, std::strerror(errno));
        PauseAccept(now);
        return;
      }
      std::string peer = PeerName(ss);
      if (conns_.size() >= max_connections_) {
        if (waiting_.empty()) {
          close(fd);
          Count([](HttpServerStats& s) { ++s.refused; });
          Log(Event::kRefused, now,
              fmt::format("refused a connection from {}: {} connections open, none of them idle",
                          peer, conns_.size()));
          continue;
        }
        Evict(now, fmt::format("{} connections open (the cap)", conns_.size()));
      }
      AddConn(Fd(fd), std::move(peer), now);
    }
  }

  // accept() failed for want of a descriptor. Frees one (the oldest waiting connection, or
  // the reserve to refuse the newcomer) and returns true to go on accepting, or pauses
  // accepting briefly and returns false: never spin on a listening socket that stays ready.
  bool OnOutOfDescriptors(TimePoint now) {
    // accept(2) takes a descriptor before it looks at the queue: EMFILE also comes when no
    // connection is pending, and then nothing is to be freed or refused.
    pollfd pending{listen_.get(), POLLIN, 0};
    if (poll(&pending, 1, 0) <= 0) return false;
    if (!waiting_.empty()) {
      Evict(now, "out of file descriptors");
      return true;
    }
    if (reserve_.valid()) {
      reserve_.Reset();
      sockaddr_storage ss{};
      socklen_t len = sizeof ss;
      const int fd = accept4(listen_.get(), reinterpret_cast<sockaddr*>(&ss), &len, SOCK_CLOEXEC);
      if (fd >= 0) {
        close(fd);
        Count([](HttpServerStats& s) { ++s.refused; });
        Log(Event::kRefused, now,
            fmt::format("refused a connection from {}: out of file descriptors ({} open here)",
                        PeerName(ss), conns_.size()));
      }
      reserve_ = Fd(open("/dev/null", O_RDONLY | O_CLOEXEC));
      if (fd >= 0 && reserve_.valid()) return true;
    }
    Log(Event::kRefused, now, "out of file descriptors: not accepting for 100 ms");
    PauseAccept(now);
    return false;
  }

  void PauseAccept(TimePoint now) {
    epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, listen_.get(), nullptr);
    accept_paused_ = true;
    accept_resume_ = now + kAcceptPause;
  }

  void ResumeAccept() {
    accept_paused_ = false;
    if (!reserve_.valid()) reserve_ = Fd(open("/dev/null", O_RDONLY | O_CLOEXEC));
    Watch(kListenId, listen_.get(), EPOLLIN);
  }

  void AddConn(Fd fd, std::string peer, TimePoint now) {
    const int one = 1;
    setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto c = std::make_unique<Conn>();
    c->id = next_id_++;
    c->fd = std::move(fd);
    c->peer = std::move(peer);
    Conn& conn = *c;
    conns_.emplace(conn.id, std::move(c));
    Count([&](HttpServerStats& s) {
      ++s.accepted;
      s.open = conns_.size();
    });
    SetEvents(conn, EPOLLIN | EPOLLRDHUP);
    EnterWaiting(conn, State::kWaiting, now);
  }

  void Evict(TimePoint now, const std::string& why) {
    Conn& oldest = *conns_.at(waiting_.front());
    Count([](HttpServerStats& s) { ++s.evicted; });
    if (oldest.state != State::kDraining) {
      Log(Event::kEvicted, now,
          fmt::format("closed the oldest waiting connection, from {}: {}", oldest.peer, why));
    }
    Close(oldest);
  }

  // ---- connection lists and epoll registration

  void SetEvents(Conn& c, uint32_t events) {
    if (events == c.epoll_events) return;
    if (events == 0) {
      epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, c.fd.get(), nullptr);
    } else {
      epoll_event ev{};
      ev.events = events;
      ev.data.u64 = c.id;
      epoll_ctl(epoll_.get(), c.epoll_events == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, c.fd.get(), &ev);
    }
    c.epoll_events = events;
  }

  void EnterWaiting(Conn& c, State state, TimePoint now) {
    LeaveList(c);
    c.state = state;
    c.deadline = now + options_.header_timeout;
    c.pos = waiting_.insert(waiting_.end(), c.id);
  }

  void LeaveList(Conn& c) {
    if (c.state == State::kWaiting || c.state == State::kDraining) waiting_.erase(c.pos);
    if (c.state == State::kWriting) writing_.erase(c.pos);
    c.state = State::kDispatched;
  }

  void Close(Conn& c) {
    LeaveList(c);
    const uint64_t id = c.id;  // erase destroys c
    conns_.erase(id);          // closes the fd, which also leaves epoll
    Count([&](HttpServerStats& s) { s.open = conns_.size(); });
  }

  // ---- reading requests

  void OnConnEvent(uint64_t id, uint32_t events, TimePoint now) {
    auto it = conns_.find(id);
    if (it == conns_.end()) return;
    Conn& c = *it->second;
    switch (c.state) {
      case State::kWaiting:
        ReadHead(c, now);
        break;
      case State::kWriting:
        if (events & (EPOLLERR | EPOLLHUP)) {
          Close(c);
        } else {
          ContinueWrite(c, now);
        }
        break;
      case State::kDraining:
        Drain(c);
        break;
      case State::kDispatched:
        break;
    }
  }

  void ReadHead(Conn& c, TimePoint now) {
    char buf[kReadChunk];
    while (!c.eof && c.in.size() < options_.max_head_bytes) {
      const size_t want = std::min(sizeof buf, options_.max_head_bytes - c.in.size());
      const ssize_t n = recv(c.fd.get(), buf, want, 0);
      if (n > 0) {
        c.in.append(buf, static_cast<size_t>(n));
      } else if (n == 0) {
        c.eof = true;
      } else if (errno == EINTR) {
        continue;
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        break;
      } else {
        Close(c);
        return;
      }
    }
    TryDispatch(c, now);
  }

  // Serves the request at the start of c.in if it is complete.
  void TryDispatch(Conn& c, TimePoint now) {
    HttpParse p = ParseHttpRequestHead(c.in, options_.max_head_bytes, options_.max_body_bytes);
    if (p.kind == HttpParse::Kind::kIncomplete) {
      if (c.eof) Close(c);
      // Nothing more can arrive while the buffer is full; ParseHttpRequestHead said 431 then.
      return;
    }
    Count([](HttpServerStats& s) { ++s.requests; });
    if (p.kind == HttpParse::Kind::kError) {
      Count([](HttpServerStats& s) { ++s.bad_requests; });
      Log(Event::kBadRequest, now,
          fmt::format("bad request from {}: {} (HTTP {})", c.peer, p.error, p.status));
      c.in.clear();
      Respond(c, HttpResponse{p.status, "text/plain", p.error + "\n", {}}, false, false, now);
      return;
    }
    c.in.erase(0, p.consumed);
    HttpRequest& req = p.request;
    req.peer = c.peer;
    const bool keep_alive = req.keep_alive && !c.eof;
    const bool head_only = req.method == "HEAD";
    const bool post = req.method == "POST";
    if (req.method != "GET" && !head_only && !post) {
      Respond(c,
              HttpResponse{
                  405, "text/plain", "only GET and HEAD are served\n", {{"Allow", "GET, HEAD"}}},
              false, keep_alive, now);
      return;
    }
    auto route = routes_.find(post ? PostKey(req.path) : req.path);
    if (route == routes_.end()) {
      Respond(c, HttpResponse{404, "text/plain", options_.not_found_body, {}}, head_only,
              keep_alive, now);
      return;
    }
    Lane& lane = *lanes_.at(static_cast<size_t>(route->second.second));
    {
      std::lock_guard<std::mutex> lock(lane.mu);
      if (lane.queue.size() < options_.max_queued_per_lane) {
        lane.queue.push_back(
            Job{c.id, std::move(req), &route->second.first, head_only, keep_alive});
        lane.cv.notify_one();
        LeaveList(c);
        SetEvents(c, 0);  // nothing to read until the response is out (requests in order)
        return;
      }
    }
    Count([](HttpServerStats& s) { ++s.busy; });
    Log(Event::kBusy, now,
        fmt::format("answered 503 to {} for {}: {} requests already queued for the {} workers",
                    c.peer, req.path, options_.max_queued_per_lane, lane.name));
    Respond(c, HttpResponse{503, "text/plain", "busy, try again\n", {}}, head_only, false, now);
  }

  // ---- writing responses

  void TakeCompletions(TimePoint now) {
    std::vector<Done> done;
    {
      std::lock_guard<std::mutex> lock(done_mu_);
      done.swap(done_);
    }
    for (Done& d : done) {
      auto it = conns_.find(d.conn_id);
      if (it == conns_.end()) continue;
      Conn& c = *it->second;
      c.out = std::move(d.bytes);
      c.sent = 0;
      c.close_after_write = !d.keep_alive;
      StartWrite(c, now);
    }
  }

  void Respond(Conn& c, const HttpResponse& r, bool head_only, bool keep_alive, TimePoint now) {
    c.out = SerializeHttpResponse(r, head_only, keep_alive);
    c.sent = 0;
    c.close_after_write = !keep_alive;
    StartWrite(c, now);
  }

  void StartWrite(Conn& c, TimePoint now) {
    LeaveList(c);
    c.state = State::kWriting;
    c.deadline = now + options_.write_timeout;
    c.pos = writing_.insert(writing_.end(), c.id);
    ContinueWrite(c, now);
  }

  void ContinueWrite(Conn& c, TimePoint now) {
    while (c.sent < c.out.size()) {
      const ssize_t n = send(c.fd.get(), c.out.data() + c.sent, c.out.size() - c.sent,
                             MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        c.sent += static_cast<size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        SetEvents(c, EPOLLOUT);
        return;
      } else {
        Close(c);
        return;
      }
    }
    c.out.clear();
    if (c.close_after_write) {
      // Closing with unread bytes in the receive queue would send an RST, which can destroy
      // the response before the client reads it: shut the write side, read until EOF.
      shutdown(c.fd.get(), SHUT_WR);
      c.in.clear();
      SetEvents(c, EPOLLIN | EPOLLRDHUP);
      EnterWaiting(c, State::kDraining, now);
      Drain(c);
      return;
    }
    ++c.served;
    SetEvents(c, EPOLLIN | EPOLLRDHUP);
    EnterWaiting(c, State::kWaiting, now);
    if (!c.in.empty()) TryDispatch(c, now);  // a pipelined request
  }

  void Drain(Conn& c) {
    char buf[kReadChunk];
    for (int i = 0; i < 16; ++i) {
      const ssize_t n = recv(c.fd.get(), buf, sizeof buf, 0);
      if (n > 0) continue;
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      break;
    }
    Close(c);  // EOF, error, or more than 64 KiB after the response: enough
  }

  void ExpireDeadlines(TimePoint now) {
    while (!waiting_.empty()) {
      Conn& c = *conns_.at(waiting_.front());
      if (c.deadline > now) break;
      // A kept-alive connection idle since its last response is closed without a word.
      if (c.state == State::kWaiting && !(c.served > 0 && c.in.empty())) {
        Count([](HttpServerStats& s) { ++s.header_timeouts; });
        Log(Event::kHeaderTimeout, now,
            fmt::format("closed the connection from {}: no complete request head within {} ms "
                        "({} bytes received)",
                        c.peer, options_.header_timeout.count(), c.in.size()));
      }
      Close(c);
    }
    while (!writing_.empty()) {
      Conn& c = *conns_.at(writing_.front());
      if (c.deadline > now) break;
      Count([](HttpServerStats& s) { ++s.write_timeouts; });
      Log(Event::kWriteTimeout, now,
          fmt::format("closed the connection from {}: response not read within {} ms", c.peer,
                      options_.write_timeout.count()));
      Close(c);
    }
  }

  const HttpServerOptions& options_;
  const size_t max_connections_;
  const std::map<std::string, std::pair<HttpHandler, LaneId>>& routes_;
  std::vector<std::unique_ptr<Lane>>& lanes_;

  Fd listen_, epoll_, wake_, reserve_;
  std::atomic<bool> stop_{false};
  bool accept_paused_ = false;
  TimePoint accept_resume_;
  uint64_t next_id_ = 2;
  std::unordered_map<uint64_t, std::unique_ptr<Conn>> conns_;
  std::list<uint64_t> waiting_;  // oldest first; deadlines in the same order
  std::list<uint64_t> writing_;  // oldest first
  std::mutex done_mu_;
  std::vector<Done> done_;
  mutable std::mutex stats_mu_;
  HttpServerStats stats_;
  std::array<LogLimiter, static_cast<size_t>(Event::kCount)> limiters_;
};

HttpServer::HttpServer(HttpServerOptions options) : options_(std::move(options)) {
  AddLane("default", 2);
}

HttpServer::~HttpServer() { Stop(); }

HttpServer::LaneId HttpServer::AddLane(const std::string& name, int threads) {
  CHECK(!loop_ && threads >= 1);
  auto lane = std::make_unique<Lane>();
  lane->name = name;
  lane->threads = threads;
  lanes_.push_back(std::move(lane));
  return static_cast<LaneId>(lanes_.size() - 1);
}

void HttpServer::Get(const std::string& path, HttpHandler handler, LaneId lane) {
  CHECK(!loop_ && lane >= 0 && static_cast<size_t>(lane) < lanes_.size());
  routes_[path] = {std::move(handler), lane};
}

void HttpServer::Post(const std::string& path, HttpHandler handler, LaneId lane) {
  Get(PostKey(path), std::move(handler), lane);
}

Status HttpServer::Start(const std::string& bind_address, uint16_t port) {
  CHECK(!loop_);
  // Each connection holds a descriptor: fit the cap under RLIMIT_NOFILE, leaving the rest
  // of the process its share, so a flood makes this server refuse, not the process fail.
  max_connections_ = options_.max_connections;
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
    const size_t soft = static_cast<size_t>(rl.rlim_cur);
    const size_t room = soft > 2 * kFdsForTheRest ? soft - kFdsForTheRest : soft / 2;
    max_connections_ = std::max<size_t>(1, std::min(max_connections_, room));
  }
  auto loop = std::make_unique<Loop>(options_, max_connections_, routes_, lanes_);
  RETURN_IF_ERROR(loop->Open(bind_address, port, &port_));
  loop_ = std::move(loop);
  for (auto& lane : lanes_) {
    Lane* l = lane.get();
    for (int i = 0; i < l->threads; ++i) {
      l->workers.emplace_back([this, l] {
        while (true) {
          std::unique_lock<std::mutex> lock(l->mu);
          l->cv.wait(lock, [l] { return l->stopping || !l->queue.empty(); });
          if (l->stopping) return;
          Job job = std::move(l->queue.front());
          l->queue.pop_front();
          lock.unlock();
          HttpResponse response;
          try {
            response = (*job.handler)(job.request);
          } catch (const std::exception& e) {
            spdlog::error("{}: handler for {} failed: {}", options_.name, job.request.path,
                          e.what());
            response = HttpResponse{500, "text/plain", "internal error\n", {}};
          }
          loop_->Complete(Loop::Done{job.conn_id,
                                     SerializeHttpResponse(response, job.head_only, job.keep_alive),
                                     job.keep_alive});
        }
      });
    }
  }
  loop_thread_ = std::thread([this] { loop_->Run(); });
  return Status::Ok();
}

void HttpServer::Stop() {
  if (!loop_) return;
  loop_->RequestStop();
  if (loop_thread_.joinable()) loop_thread_.join();
  for (auto& lane : lanes_) {
    {
      std::lock_guard<std::mutex> lock(lane->mu);
      lane->stopping = true;
      lane->queue.clear();
    }
    lane->cv.notify_all();
    for (auto& t : lane->workers) t.join();
    lane->workers.clear();
    lane->stopping = false;
  }
  loop_.reset();
}

HttpServerStats HttpServer::Stats() const { return loop_ ? loop_->Stats() : HttpServerStats{}; }

}  // namespace mysqlset::net
