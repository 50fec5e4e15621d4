#pragma once
// The one HTTP client: a GET over cpp-httplib with a timeout, for the agents' /readyz and
// /v1/status (read by peers, the supervisor, `status`, `up`) and `mysqlset probe`.
// Thread-safe: each call uses its own connection.

#include <chrono>
#include <cstdint>
#include <string>

#include "common/status.h"

namespace mysqlset::net {

struct HttpReply {
  int status = 0;  // the HTTP status code; callers decide what a non-200 means
  std::string body;
};

// GET http://host:port/path. `timeout` bounds connecting, sending and each read.
// kUnavailable when nothing answers in time ("GET http://...: no answer (Connection)").
Result<HttpReply> HttpGet(const std::string& host, uint16_t port, const std::string& path,
                          std::chrono::milliseconds timeout);

// The same against a base URL as a user types it: "http://host[:port]" (port 80 when
// omitted). kInvalidArgument when it is not an http URL.
Result<HttpReply> HttpGet(const std::string& base_url, const std::string& path,
                          std::chrono::milliseconds timeout);

// POST `body` (application/json) to base_url + path with "Authorization: Bearer <token>"
// (`bearer_token` is a secret: it appears in no message). Errors as HttpGet's.
Result<HttpReply> HttpPostJson(const std::string& base_url, const std::string& path,
                               const std::string& body, const std::string& bearer_token,
                               std::chrono::milliseconds timeout);

}  // namespace mysqlset::net
