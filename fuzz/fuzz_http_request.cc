// Fuzzes the agent HTTP port's request parser (net/http_message ParseHttpRequestHead), which
// reads whatever a peer sends (issue #18). Properties: an accepted head lies within the
// bytes and the size limit, names a path that starts with '/' and holds no control byte or
// space, and parses again to the same request from its own bytes; an error carries one of
// the statuses the server answers with; "incomplete" only while under the size limit.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/status.h"
#include "net/http_message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using mysqlset::net::HttpParse;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (const size_t max : {size_t{64}, size_t{8192}}) {
    const HttpParse p = mysqlset::net::ParseHttpRequestHead(bytes, max);
    switch (p.kind) {
      case HttpParse::Kind::kIncomplete:
        CHECK(bytes.size() < max);
        break;
      case HttpParse::Kind::kError:
        CHECK(p.status == 400 || p.status == 413 || p.status == 431 || p.status == 505);
        CHECK(!p.error.empty());
        break;
      case HttpParse::Kind::kRequest: {
        CHECK(p.consumed > 0 && p.consumed <= bytes.size() && p.consumed <= max);
        CHECK(!p.request.path.empty() && p.request.path[0] == '/');
        for (char c : p.request.path) CHECK(static_cast<unsigned char>(c) > 0x20 && c != 0x7f);
        const HttpParse again =
            mysqlset::net::ParseHttpRequestHead(bytes.substr(0, p.consumed), max);
        CHECK(again.kind == HttpParse::Kind::kRequest && again.consumed == p.consumed);
        CHECK(again.request.path == p.request.path && again.request.query == p.request.query);
        CHECK(again.request.keep_alive == p.request.keep_alive);
        CHECK(again.request.headers == p.request.headers);
        break;
      }
    }
  }
  return 0;
}
