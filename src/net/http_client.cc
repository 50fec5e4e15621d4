#include "net/http_client.h"

#include <exception>
#include <memory>

#include "httplib.h"

namespace mysqlset::net {
namespace {

void SetTimeouts(httplib::Client& client, std::chrono::milliseconds timeout) {
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);
}

// `where` is the URL without the path, for messages.
Result<HttpReply> Get(httplib::Client& client, const std::string& where, const std::string& path,
                      std::chrono::milliseconds timeout) {
  SetTimeouts(client, timeout);
  auto res = client.Get(path);
  if (!res) {
    return Unavailable("GET {}{}: no answer ({})", where, path, httplib::to_string(res.error()));
  }
  return HttpReply{res->status, res->body};
}

Result<std::unique_ptr<httplib::Client>> ClientFor(const std::string& base_url) {
  // httplib::Client throws std::invalid_argument for an unsupported scheme (ftp://...).
  std::unique_ptr<httplib::Client> client;
  try {
    client = std::make_unique<httplib::Client>(base_url);
  } catch (const std::exception&) {  // std::out_of_range too, for a port like 99999999999
  }
  if (!client || !client->is_valid()) {
    return InvalidArgument("'{}' is not a valid http URL", base_url);
  }
  return client;
}

}  // namespace

Result<HttpReply> HttpGet(const std::string& host, uint16_t port, const std::string& path,
                          std::chrono::milliseconds timeout) {
  httplib::Client client(host, port);
  return Get(client, fmt::format("http://{}:{}", host, port), path, timeout);
}

Result<HttpReply> HttpGet(const std::string& base_url, const std::string& path,
                          std::chrono::milliseconds timeout) {
  ASSIGN_OR_RETURN(std::unique_ptr<httplib::Client> client, ClientFor(base_url));
  return Get(*client, base_url, path, timeout);
}

Result<HttpReply> HttpPostJson(const std::string& base_url, const std::string& path,
                               const std::string& body, const std::string& bearer_token,
                               std::chrono::milliseconds timeout) {
  ASSIGN_OR_RETURN(std::unique_ptr<httplib::Client> client, ClientFor(base_url));
  SetTimeouts(*client, timeout);
  httplib::Headers headers{{"Authorization", "Bearer " + bearer_token}};
  auto res = client->Post(path, headers, body, "application/json");
  if (!res) {
    return Unavailable("POST {}{}: no answer ({})", base_url, path,
                       httplib::to_string(res.error()));
  }
  return HttpReply{res->status, res->body};
}

}  // namespace mysqlset::net
