#pragma once
// The one HTTP client, with a timeout: GET (over cpp-httplib) for the agents' /readyz and
// /v1/status (read by peers, the supervisor, `status`, `up`) and `mysqlset probe`; POST of a
// JSON body (HTTP/1.0 on net/socket.h: see http_client.cc) for etcd's v3 gateway
// (etcd/etcd_store.h).
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

// POST `json_body` (Content-Type: application/json, HTTP/1.0) to base_url + path
// ("http://host[:port]"; no IPv6 literal). `timeout` bounds the whole request: connecting,
// sending and reading the answer. kUnavailable only when it could not connect (nothing was sent);
// kDeadlineExceeded when the request went out but no full answer came back in time (the
// server may have acted on it).
Result<HttpReply> HttpPostJson(const std::string& base_url, const std::string& path,
                               const std::string& json_body, std::chrono::milliseconds timeout);
// The same with "Authorization: Bearer <token>" (`bearer_token` is a secret: it appears in no
// message).
Result<HttpReply> HttpPostJsonWithToken(const std::string& base_url, const std::string& path,
                                        const std::string& json_body,
                                        const std::string& bearer_token,
                                        std::chrono::milliseconds timeout);

}  // namespace mysqlset::net
