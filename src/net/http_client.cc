#include "net/http_client.h"

#include <exception>
#include <memory>

#include "httplib.h"

namespace mysqlset::net {
namespace {

// `where` is the URL without the path, for messages. A POST when `json_body` is given.
Result<HttpReply> Send(httplib::Client& client, const std::string& where, const std::string& path,
                       const std::string* json_body, std::chrono::milliseconds timeout) {
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);
  auto res = json_body ? client.Post(path, *json_body, "application/json") : client.Get(path);
  if (!res) {
    const httplib::Error e = res.error();
    const bool sent = e != httplib::Error::Connection && e != httplib::Error::ConnectionTimeout &&
                      e != httplib::Error::BindIPAddress;
    // A POST that reached the server may have been applied: the caller must know.
    if (json_body && sent) {
      return DeadlineExceeded("POST {}{}: sent, but no answer ({})", where, path,
                              httplib::to_string(e));
    }
    return Unavailable("{} {}{}: no answer ({})", json_body ? "POST" : "GET", where, path,
                       httplib::to_string(e));
  }
  return HttpReply{res->status, res->body};
}

Result<HttpReply> SendTo(const std::string& base_url, const std::string& path,
                         const std::string* json_body, std::chrono::milliseconds timeout) {
  // httplib::Client throws std::invalid_argument for an unsupported scheme (ftp://...).
  std::unique_ptr<httplib::Client> client;
  try {
    client = std::make_unique<httplib::Client>(base_url);
  } catch (const std::exception&) {  // std::out_of_range too, for a port like 99999999999
  }
  if (!client || !client->is_valid()) {
    return InvalidArgument("'{}' is not a valid http URL", base_url);
  }
  return Send(*client, base_url, path, json_body, timeout);
}

}  // namespace

Result<HttpReply> HttpGet(const std::string& host, uint16_t port, const std::string& path,
                          std::chrono::milliseconds timeout) {
  httplib::Client client(host, port);
  return Send(client, fmt::format("http://{}:{}", host, port), path, nullptr, timeout);
}

Result<HttpReply> HttpGet(const std::string& base_url, const std::string& path,
                          std::chrono::milliseconds timeout) {
  return SendTo(base_url, path, nullptr, timeout);
}

Result<HttpReply> HttpPostJson(const std::string& base_url, const std::string& path,
                               const std::string& json_body, std::chrono::milliseconds timeout) {
  return SendTo(base_url, path, &json_body, timeout);
}

}  // namespace mysqlset::net
