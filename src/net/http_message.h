#pragma once
// HTTP/1.x messages for the small GET server (net/http_server.h): parsing a request head
// from the bytes received so far, and writing a response. Pure functions, no I/O.
// Supports what probes, Prometheus and our own clients send: GET and HEAD without a body,
// HTTP/1.0 and HTTP/1.1, keep-alive, pipelining (the bytes after a head are left alone).

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mysqlset::net {

struct HttpRequest {
  std::string method;     // "GET", "HEAD", ... (case-sensitive, as sent)
  std::string target;     // as sent: "/readyz?x=1" or "http://host/readyz"
  std::string path;       // "/readyz" (no query, no scheme or host)
  std::string query;      // "x=1", "" when none
  int minor_version = 1;  // HTTP/1.<minor>
  std::vector<std::pair<std::string, std::string>> headers;  // names as sent
  bool keep_alive = false;  // the client wants the connection kept after the response
  std::string peer;         // "127.0.0.1:51234", filled in by the server
  std::string body;         // POST only (see ParseHttpRequestHead's max_body_bytes)

  // The first header named `name` (case-insensitive), "" when absent.
  std::string Header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra ones, e.g. Allow
};

// The outcome of parsing the bytes received so far on a connection.
struct HttpParse {
  enum class Kind { kIncomplete, kRequest, kError };
  Kind kind = Kind::kIncomplete;
  HttpRequest request;  // kRequest
  size_t consumed = 0;  // kRequest: bytes of the head; the rest belongs to the next request
  int status = 0;       // kError: 400, 413, 431, 501 or 505; answer it and close
  std::string error;    // kError: what was wrong, for the body and the log
};

// Parses one request head from the start of `bytes`. A head longer than `max_head_bytes`
// (terminator included) is kError 431; one not complete yet and shorter is kIncomplete.
// Requests with a body (Content-Length > 0, Transfer-Encoding) are kError 413, except a POST
// with a Content-Length of at most `max_body_bytes` whose head and body fit in
// `max_head_bytes`: its body is read into request.body (kIncomplete until it has arrived)
// and counted in `consumed`. Empty lines before the request line are skipped (RFC 9112 2.2).
HttpParse ParseHttpRequestHead(std::string_view bytes, size_t max_head_bytes,
                               size_t max_body_bytes = 0);

// "OK", "Not Found", ...; "Unknown" for a code not in the table.
const char* HttpReasonPhrase(int status);

// The bytes of a response: status line, Content-Type, Content-Length, Connection
// (keep-alive or close), extra headers, and the body unless `head_only` (HEAD).
std::string SerializeHttpResponse(const HttpResponse& r, bool head_only, bool keep_alive);

}  // namespace mysqlset::net
