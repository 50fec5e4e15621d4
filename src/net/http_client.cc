#include "net/http_client.h"

#include "httplib.h"

namespace mysqlset::net {

Result<std::string> HttpGet(const std::string& host, uint16_t port, const std::string& path,
                            std::chrono::milliseconds timeout) {
  httplib::Client client(host, port);
  const auto secs = timeout.count() / 1000;
  const auto usecs = (timeout.count() % 1000) * 1000;
  client.set_connection_timeout(secs, usecs);
  client.set_read_timeout(secs, usecs);
  client.set_write_timeout(secs, usecs);
  auto res = client.Get(path);
  if (!res) {
    return Unavailable("GET http://{}:{}{}: {}", host, port, path, httplib::to_string(res.error()));
  }
  if (res->status != 200) {
    return Unavailable("GET http://{}:{}{}: HTTP {}", host, port, path, res->status);
  }
  return res->body;
}

}  // namespace mysqlset::net
