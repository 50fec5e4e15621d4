#include "net/socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mysqlset::net {
namespace {

using Ms = std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

}  // namespace

int WaitForFd(int fd, short events, SteadyClock::time_point deadline) {
  while (true) {
    const auto left = std::chrono::duration_cast<Ms>(deadline - SteadyClock::now()).count();
    if (left <= 0) return 0;
    pollfd p{fd, events, 0};
    const int r = poll(&p, 1, static_cast<int>(std::min<long long>(left, 1 << 30)));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) return 0;
    return p.revents;
  }
}

Result<Fd> ConnectTcp(const std::string& host, uint16_t port, Ms timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const int gai = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res);
  if (gai != 0) return Unavailable("resolve {}: {}", host, gai_strerror(gai));
  std::string last_error = "no address";
  const auto deadline = SteadyClock::now() + timeout;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    Fd fd(socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol));
    if (!fd.valid()) {
      last_error = std::strerror(errno);
      continue;
    }
    int r = connect(fd.get(), ai->ai_addr, ai->ai_addrlen);
    if (r != 0 && errno == EINPROGRESS) {
      const int ev = WaitForFd(fd.get(), POLLOUT, deadline);
      if (ev == 0) {
        last_error = "connect timed out";
        continue;
      }
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
      r = err == 0 ? 0 : -1;
      errno = err;
    }
    if (r != 0) {
      last_error = std::strerror(errno);
      continue;
    }
    // Back to blocking mode; every wait below goes through poll with a deadline.
    fcntl(fd.get(), F_SETFL, fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
    const int one = 1;
    setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    freeaddrinfo(res);
    return fd;
  }
  freeaddrinfo(res);
  return Unavailable("connect {}:{}: {}", host, port, last_error);
}

Result<Fd> ListenTcp(const std::string& bind_address, uint16_t port, uint16_t* bound_port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
  addrinfo* res = nullptr;
  const int gai = getaddrinfo(bind_address.empty() ? nullptr : bind_address.c_str(),
                              std::to_string(port).c_str(), &hints, &res);
  if (gai != 0) {
    return InvalidArgument("bind address '{}' is not a numeric address: {}", bind_address,
                           gai_strerror(gai));
  }
  Fd fd(socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, res->ai_protocol));
  if (!fd.valid()) {
    freeaddrinfo(res);
    return Internal("socket: {}", std::strerror(errno));
  }
  const int one = 1;
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd.get(), res->ai_addr, res->ai_addrlen) != 0) {
    const int err = errno;
    freeaddrinfo(res);
    return Unavailable("bind {}:{}: {}", bind_address, port, std::strerror(err));
  }
  freeaddrinfo(res);
  // A deep queue: under a connection flood the acceptor drains it in batches, and a SYN
  // dropped for a full queue costs a real client a 1 s retransmit.
  if (listen(fd.get(), 1024) != 0) return Unavailable("listen {}: {}", port, std::strerror(errno));
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  getsockname(fd.get(), reinterpret_cast<sockaddr*>(&ss), &len);
  if (bound_port != nullptr) {
    *bound_port = ss.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port)
                                           : ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  }
  return fd;
}

Status SendAll(int fd, std::string_view data, Ms timeout) {
  while (!data.empty()) {
    const ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      const int ev = WaitForFd(fd, POLLOUT, SteadyClock::now() + timeout);
      if (ev == 0) return DeadlineExceeded("peer accepted no data for {} ms", timeout.count());
      if (ev < 0 || (ev & (POLLERR | POLLHUP))) return Unavailable("peer closed the connection");
      continue;
    }
    return Unavailable("send: {}", std::strerror(errno));
  }
  return Status::Ok();
}

Result<std::string> ReadLine(int fd, size_t max_bytes, Ms timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  std::string line;
  while (true) {
    const int ev = WaitForFd(fd, POLLIN, deadline);
    if (ev == 0) return DeadlineExceeded("no complete line within {} ms", timeout.count());
    if (ev < 0) return Unavailable("poll: {}", std::strerror(errno));
    char c;
    const ssize_t n = read(fd, &c, 1);  // read, not recv: also used on pipes
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Unavailable("read: {}", std::strerror(errno));
    if (n == 0) return Unavailable("connection closed before a complete line");
    if (c == '\n') return line;
    if (line.size() >= max_bytes) return InvalidArgument("line longer than {} bytes", max_bytes);
    line.push_back(c);
  }
}

Result<std::string> ReadSome(int fd, size_t cap, Ms timeout) {
  const int ev = WaitForFd(fd, POLLIN, SteadyClock::now() + timeout);
  if (ev == 0) return DeadlineExceeded("no data for {} ms", timeout.count());
  if (ev < 0) return Unavailable("poll: {}", std::strerror(errno));
  std::string buf(cap, '\0');
  while (true) {
    const ssize_t n = read(fd, buf.data(), cap);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Unavailable("read: {}", std::strerror(errno));
    buf.resize(static_cast<size_t>(n));
    return buf;
  }
}

Status ReadExact(int fd, char* buf, size_t n, Ms idle_timeout) {
  size_t got = 0;
  while (got < n) {
    const int ev = WaitForFd(fd, POLLIN, SteadyClock::now() + idle_timeout);
    if (ev == 0) return DeadlineExceeded("peer sent nothing for {} ms", idle_timeout.count());
    if (ev < 0) return Unavailable("poll: {}", std::strerror(errno));
    const ssize_t r = read(fd, buf + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Unavailable("read: {}", std::strerror(errno));
    if (r == 0) return DataLoss("connection closed");
    got += static_cast<size_t>(r);
  }
  return Status::Ok();
}

}  // namespace mysqlset::net
