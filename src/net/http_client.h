#pragma once
// A tiny HTTP GET over cpp-httplib, with timeouts, for reading peers' /v1/status.

#include <chrono>
#include <string>

#include "common/status.h"

namespace mysqlset::net {

// GET http://host:port/path. Returns the body for status 200; kUnavailable when the peer is
// unreachable, times out or answers another status.
Result<std::string> HttpGet(const std::string& host, uint16_t port, const std::string& path,
                            std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));

}  // namespace mysqlset::net
