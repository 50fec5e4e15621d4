#pragma once
// Small HTTP GETs against a member's agent on loopback, with short timeouts so a hung agent
// never stalls the supervisor or `status`.

#include <chrono>
#include <cstdint>
#include <string>

#include "common/status.h"

namespace mysqlset::local {

struct HttpReply {
  int status = 0;
  std::string body;
};

// kUnavailable when nothing answers within `timeout`.
Result<HttpReply> HttpGet(const std::string& host, uint16_t port, const std::string& path,
                          std::chrono::milliseconds timeout);

}  // namespace mysqlset::local
