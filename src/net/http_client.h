#pragma once
// The one HTTP client over cpp-httplib, with a timeout: GET for the agents' /readyz and
// /v1/status (read by peers, the supervisor, `status`, `up`) and `mysqlset probe`; POST of a
// JSON body for etcd's v3 gateway (etcd/etcd_store.h).
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

// POST `json_body` (Content-Type: application/json) to base_url + path; the same timeout and
// URL rules as HttpGet. kUnavailable only when it could not connect (nothing was sent);
// kDeadlineExceeded when the request went out but no full answer came back in time (the
// server may have acted on it).
Result<HttpReply> HttpPostJson(const std::string& base_url, const std::string& path,
                               const std::string& json_body, std::chrono::milliseconds timeout);

}  // namespace mysqlset::net
