#include "net/http_client.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <exception>
#include <memory>
#include <optional>

#include "httplib.h"
#include "net/socket.h"

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

constexpr size_t kMaxReplyBytes = 64 << 20;

// "http://host[:port][/]" -> host, port (80 when omitted).
bool ParseHttpBaseUrl(const std::string& url, std::string* host, uint16_t* port) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) return false;
  std::string rest = url.substr(kScheme.size());
  if (rest.ends_with("/")) rest.pop_back();
  const size_t colon = rest.rfind(':');
  *host = rest.substr(0, colon);
  *port = 80;
  if (colon != std::string::npos) {
    const std::string digits = rest.substr(colon + 1);
    unsigned value = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || value == 0 ||
        value > 65535) {
      return false;
    }
    *port = static_cast<uint16_t>(value);
  }
  return !host->empty() && host->find_first_of("/@?#[] ") == std::string::npos;
}

// The status and body of a complete HTTP/1.x answer in `bytes`; nullopt while incomplete
// (the head has not ended, or fewer bytes than its Content-Length arrived). `eof`: nothing
// more will come, so a body without Content-Length is complete.
std::optional<HttpReply> CompleteReply(const std::string& bytes, bool eof) {
  const size_t head_end = bytes.find("\r\n\r\n");
  if (head_end == std::string::npos) return std::nullopt;
  const std::string head = bytes.substr(0, head_end);
  HttpReply reply;
  if (!head.starts_with("HTTP/1.") || head.size() < 12 ||
      std::from_chars(head.data() + 9, head.data() + 12, reply.status).ec != std::errc()) {
    return HttpReply{0, {}};  // not HTTP: status 0 tells the caller
  }
  reply.body = bytes.substr(head_end + 4);
  std::string lower = head;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const size_t cl = lower.find("\r\ncontent-length:");
  if (cl != std::string::npos) {
    size_t length = 0;
    const size_t at = std::min(lower.find_first_not_of(' ', cl + 17), lower.size());
    std::from_chars(lower.data() + at, lower.data() + lower.size(), length);
    if (reply.body.size() < length) return std::nullopt;
    reply.body.resize(length);
    return reply;
  }
  if (!eof) return std::nullopt;
  return reply;
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

// HTTP/1.0 on our own sockets rather than cpp-httplib: etcd's gateway ends its error
// answers with a chunked trailer (Grpc-Trailer-Content-Type), which cpp-httplib 0.11 cannot
// read; an HTTP/1.0 request gets the same answer unchunked, closed at its end.
Result<HttpReply> HttpPostJson(const std::string& base_url, const std::string& path,
                               const std::string& json_body, std::chrono::milliseconds timeout) {
  return HttpPostJsonWithToken(base_url, path, json_body, "", timeout);
}

Result<HttpReply> HttpPostJsonWithToken(const std::string& base_url, const std::string& path,
                                        const std::string& json_body,
                                        const std::string& bearer_token,
                                        std::chrono::milliseconds timeout) {
  std::string host;
  uint16_t port = 0;
  if (!ParseHttpBaseUrl(base_url, &host, &port)) {
    return InvalidArgument("'{}' is not a valid http URL", base_url);
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto left = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                 std::chrono::steady_clock::now());
  };
  auto fd = ConnectTcp(host, port, timeout);
  if (!fd.ok() || left().count() <= 0) {
    return Unavailable("POST {}{}: no answer ({})", base_url, path,
                       fd.ok() ? "connect timed out" : fd.status().message());
  }
  const std::string request = fmt::format(
      "POST {} HTTP/1.0\r\nHost: {}:{}\r\nContent-Type: application/json\r\n"
      "{}Content-Length: {}\r\n\r\n{}",
      path, host, port,
      bearer_token.empty() ? "" : "Authorization: Bearer " + bearer_token + "\r\n",
      json_body.size(), json_body);
  auto no_answer = [&](const std::string& why) {
    return DeadlineExceeded("POST {}{}: sent, but no answer ({})", base_url, path, why);
  };
  if (Status st = SendAll(fd->get(), request, left()); !st.ok()) return no_answer(st.message());
  std::string bytes;
  while (true) {
    if (left().count() <= 0) return no_answer("timed out");
    auto chunk = ReadSome(fd->get(), 64 * 1024, left());
    if (!chunk.ok()) return no_answer(chunk.status().message());
    bytes += *chunk;
    if (bytes.size() > kMaxReplyBytes) return no_answer("the answer is over 64 MiB");
    if (auto reply = CompleteReply(bytes, chunk->empty())) {
      if (reply->status == 0) return no_answer("not an HTTP answer");
      return *reply;
    }
    if (chunk->empty()) return no_answer("connection closed before the answer ended");
  }
}

}  // namespace mysqlset::net
