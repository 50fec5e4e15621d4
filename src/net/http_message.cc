#include "net/http_message.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "fmt/format.h"

namespace mysqlset::net {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// RFC 9110 tchar: the characters of a token (method, header name, Connection option).
bool IsTokenChar(char c) {
  if (std::isalnum(static_cast<unsigned char>(c))) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), IsTokenChar);
}

std::string_view TrimWhitespace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// True when the comma-separated list `value` holds `option` (case-insensitive).
bool HasListOption(std::string_view value, std::string_view option) {
  while (!value.empty()) {
    const size_t comma = value.find(',');
    if (EqualsIgnoreCase(TrimWhitespace(value.substr(0, comma)), option)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

HttpParse Error(int status, std::string why) {
  HttpParse p;
  p.kind = HttpParse::Kind::kError;
  p.status = status;
  p.error = std::move(why);
  return p;
}

// Splits the request target into path and query. origin-form "/p?q" or absolute-form
// "http://host/p?q" (RFC 9112 3.2); anything else is not for a GET server.
bool SplitTarget(std::string_view target, HttpRequest& r) {
  for (char c : target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  }
  for (std::string_view scheme : {"http://", "https://"}) {
    if (target.size() > scheme.size() &&
        EqualsIgnoreCase(target.substr(0, scheme.size()), scheme)) {
      const size_t slash = target.find('/', scheme.size());
      target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
      break;
    }
  }
  if (target.empty() || target.front() != '/') return false;
  const size_t q = target.find('?');
  r.path = std::string(target.substr(0, q));
  r.query = q == std::string_view::npos ? "" : std::string(target.substr(q + 1));
  return true;
}

}  // namespace

std::string HttpRequest::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, name)) return v;
  }
  return "";
}

HttpParse ParseHttpRequestHead(std::string_view bytes, size_t max_head_bytes,
                               size_t max_body_bytes) {
  // Skip empty lines before the request line; they count against the size limit.
  size_t start = 0;
  while (start < bytes.size() && (bytes[start] == '\r' || bytes[start] == '\n')) ++start;

  std::vector<std::string_view> lines;
  size_t pos = start;
  size_t end = std::string_view::npos;  // one past the empty line that ends the head
  while (pos < bytes.size()) {
    const size_t nl = bytes.find('\n', pos);
    if (nl == std::string_view::npos) break;
    std::string_view line = bytes.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = nl + 1;
    if (line.empty()) {
      end = pos;
      break;
    }
    lines.push_back(line);
  }
  if (end == std::string_view::npos || end > max_head_bytes) {
    if (bytes.size() >= max_head_bytes || end != std::string_view::npos) {
      return Error(431, fmt::format("request head longer than {} bytes", max_head_bytes));
    }
    return HttpParse{};
  }
  if (lines.empty()) return Error(400, "no request line");

  HttpParse p;
  HttpRequest& r = p.request;
  // request-line = method SP request-target SP HTTP-version, single spaces.
  const std::string_view request_line = lines[0];
  const size_t sp1 = request_line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : request_line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || request_line.find(' ', sp2 + 1) != std::string_view::npos) {
    return Error(400, "malformed request line");
  }
  const std::string_view method = request_line.substr(0, sp1);
  const std::string_view target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = request_line.substr(sp2 + 1);
  if (!IsToken(method)) return Error(400, "malformed method");
  r.method = std::string(method);
  r.target = std::string(target);
  if (!SplitTarget(target, r)) return Error(400, "malformed request target");
  if (version == "HTTP/1.1") {
    r.minor_version = 1;
  } else if (version == "HTTP/1.0") {
    r.minor_version = 0;
  } else if (version.size() == 8 && version.substr(0, 5) == "HTTP/" &&
             std::isdigit(static_cast<unsigned char>(version[5])) && version[6] == '.' &&
             std::isdigit(static_cast<unsigned char>(version[7]))) {
    return Error(505, fmt::format("HTTP version {} is not supported; use HTTP/1.1", version));
  } else {
    return Error(400, "malformed HTTP version");
  }

  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    if (line.front() == ' ' || line.front() == '\t') return Error(400, "folded header line");
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || !IsToken(line.substr(0, colon))) {
      return Error(400, "malformed header line");
    }
    const std::string_view value = TrimWhitespace(line.substr(colon + 1));
    for (char c : value) {
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) {
        return Error(400, "control character in a header value");
      }
    }
    r.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }

  if (!r.Header("Transfer-Encoding").empty()) {
    return Error(413, "request bodies are not accepted");
  }
  const std::string length = r.Header("Content-Length");
  if (!length.empty()) {
    uint64_t n = 0;
    const auto [ptr, ec] = std::from_chars(length.data(), length.data() + length.size(), n);
    if (ec != std::errc() || ptr != length.data() + length.size()) {
      return Error(400, "malformed Content-Length");
    }
    if (n > 0) {
      if (r.method != "POST" || n > max_body_bytes || end + n > max_head_bytes) {
        return Error(413, "request bodies are not accepted");
      }
      if (bytes.size() < end + n) return HttpParse{};
      r.body = std::string(bytes.substr(end, n));
      end += n;
    }
  }
  const std::string connection = r.Header("Connection");
  r.keep_alive = r.minor_version >= 1 ? !HasListOption(connection, "close")
                                      : HasListOption(connection, "keep-alive");
  p.kind = HttpParse::Kind::kRequest;
  p.consumed = end;
  return p;
}

const char* HttpReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

std::string SerializeHttpResponse(const HttpResponse& r, bool head_only, bool keep_alive) {
  std::string out =
      fmt::format("HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: {}\r\n",
                  r.status, HttpReasonPhrase(r.status), r.content_type, r.body.size(),
                  keep_alive ? "keep-alive" : "close");
  for (const auto& [k, v] : r.headers) out += fmt::format("{}: {}\r\n", k, v);
  out += "\r\n";
  if (!head_only) out += r.body;
  return out;
}

}  // namespace mysqlset::net
