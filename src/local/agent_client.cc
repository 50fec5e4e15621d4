#include "local/agent_client.h"

#include "httplib.h"

namespace mysqlset::local {

Result<HttpReply> HttpGet(const std::string& host, uint16_t port, const std::string& path,
                          std::chrono::milliseconds timeout) {
  httplib::Client client(host, port);
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);
  auto res = client.Get(path);
  if (!res) {
    return Unavailable("GET http://{}:{}{}: {}", host, port, path, httplib::to_string(res.error()));
  }
  return HttpReply{res->status, res->body};
}

}  // namespace mysqlset::local
