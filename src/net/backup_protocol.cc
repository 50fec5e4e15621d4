#include "net/backup_protocol.h"

#include <openssl/evp.h>

#include <charconv>

namespace mysqlset::net {
namespace {

std::string_view Rest(std::string_view line, std::string_view prefix) {
  return line.substr(prefix.size());
}

bool ParseU64(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::string HexEncode(std::string_view bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

Result<TlsPsk> BackupPsk(std::string_view token) {
  if (token.empty()) return InvalidArgument("the backup-token secret is empty");
  ASSIGN_OR_RETURN(std::string key, HkdfSha256(token, kBackupPskSalt, kBackupPskInfo, 32));
  return TlsPsk{std::string(kBackupProtocolVersion), std::move(key)};
}

std::string OkLine(const BackupHello& hello) {
  return fmt::format("OK {} {}\n", OneLine(hello.donor_pod, 253), hello.estimated_bytes);
}

std::string ErrLine(std::string_view kind, std::string_view why) {
  return fmt::format("ERR {} {}\n", kind, OneLine(why, 300));
}

Result<BackupHello> ParseServerReply(std::string_view line) {
  if (line.starts_with("ERR auth")) {
    return PermissionDenied("donor refused authentication: {}", OneLine(line.substr(8), 300));
  }
  if (line.starts_with("ERR busy")) {
    return ResourceExhausted("donor is busy: {}", OneLine(line.substr(8), 300));
  }
  if (line.starts_with("ERR "))
    return Unavailable("donor refused: {}", OneLine(line.substr(4), 300));
  if (!line.starts_with("OK ")) return DataLoss("unexpected reply '{}'", OneLine(line, 80));
  std::string_view rest = Rest(line, "OK ");
  const size_t sp = rest.rfind(' ');
  BackupHello h;
  if (sp == std::string_view::npos || sp == 0 ||
      !ParseU64(rest.substr(sp + 1), &h.estimated_bytes)) {
    return DataLoss("malformed OK line '{}'", OneLine(line, 80));
  }
  h.donor_pod = std::string(rest.substr(0, sp));
  return h;
}

std::string OneLine(std::string_view text, size_t max) {
  std::string out;
  for (char c : text) {
    if (out.size() >= max) break;
    out += (c >= 0x20 && c < 0x7f) ? c : ' ';
  }
  while (!out.empty() && out.front() == ' ') out.erase(out.begin());
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

struct Sha256::Impl {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~Impl() { EVP_MD_CTX_free(ctx); }
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
  CHECK(impl_->ctx != nullptr && EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr) == 1);
}
Sha256::~Sha256() = default;

void Sha256::Update(std::string_view data) {
  CHECK(EVP_DigestUpdate(impl_->ctx, data.data(), data.size()) == 1);
}

std::string Sha256::HexDigest() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  CHECK(EVP_DigestFinal_ex(impl_->ctx, md, &len) == 1);
  return HexEncode(std::string_view(reinterpret_cast<char*>(md), len));
}

namespace {
std::string FrameHeader(char type, uint32_t n) {
  std::string h(kFrameHeaderSize, '\0');
  h[0] = type;
  h[1] = static_cast<char>((n >> 24) & 0xff);
  h[2] = static_cast<char>((n >> 16) & 0xff);
  h[3] = static_cast<char>((n >> 8) & 0xff);
  h[4] = static_cast<char>(n & 0xff);
  return h;
}
}  // namespace

std::string DataFrameHeader(uint32_t payload_size) {
  CHECK(payload_size > 0 && payload_size <= kMaxDataFrame);
  return FrameHeader(kDataFrame, payload_size);
}

std::string TrailerFrame(const Trailer& t) {
  std::string payload = t.ok ? fmt::format("OK {}", t.bytes)
                             : fmt::format("FAIL {} {}", t.bytes, OneLine(t.reason, 3000));
  return FrameHeader(kTrailerFrame, static_cast<uint32_t>(payload.size())) + payload;
}

Result<Trailer> ParseTrailer(std::string_view payload) {
  Trailer t;
  std::string_view rest;
  if (payload.starts_with("OK ")) {
    t.ok = true;
    rest = payload.substr(3);
  } else if (payload.starts_with("FAIL ")) {
    rest = payload.substr(5);
  } else {
    return DataLoss("malformed trailer");
  }
  const size_t sp = rest.find(' ');
  if (!ParseU64(rest.substr(0, sp), &t.bytes)) return DataLoss("malformed trailer byte count");
  if (sp != std::string_view::npos) {
    if (t.ok) return DataLoss("malformed trailer: extra text after OK");
    t.reason = std::string(rest.substr(sp + 1));
  }
  return t;
}

FrameReader::FrameReader(DataFn on_data) : on_data_(std::move(on_data)) {}

Status FrameReader::Feed(std::string_view bytes) {
  while (!bytes.empty()) {
    if (trailer_seen_) return DataLoss("{} unexpected bytes after the trailer", bytes.size());
    if (!in_frame_) {
      const size_t take = std::min(bytes.size(), kFrameHeaderSize - header_.size());
      header_.append(bytes.substr(0, take));
      bytes.remove_prefix(take);
      if (header_.size() < kFrameHeaderSize) return Status::Ok();
      type_ = header_[0];
      remaining_ = (static_cast<uint32_t>(static_cast<unsigned char>(header_[1])) << 24) |
                   (static_cast<uint32_t>(static_cast<unsigned char>(header_[2])) << 16) |
                   (static_cast<uint32_t>(static_cast<unsigned char>(header_[3])) << 8) |
                   static_cast<uint32_t>(static_cast<unsigned char>(header_[4]));
      header_.clear();
      if (type_ == kDataFrame) {
        if (remaining_ == 0 || remaining_ > kMaxDataFrame) {
          return DataLoss("data frame of {} bytes is out of range", remaining_);
        }
      } else if (type_ == kTrailerFrame) {
        if (remaining_ > kMaxTrailer)
          return DataLoss("trailer of {} bytes is too long", remaining_);
      } else {
        return DataLoss("unknown frame type 0x{:02x}", static_cast<unsigned char>(type_));
      }
      in_frame_ = true;
      if (remaining_ > 0) continue;
    }
    const size_t take = std::min<size_t>(bytes.size(), remaining_);
    const std::string_view part = bytes.substr(0, take);
    bytes.remove_prefix(take);
    remaining_ -= static_cast<uint32_t>(take);
    if (type_ == kDataFrame) {
      payload_bytes_ += take;
      RETURN_IF_ERROR(on_data_(part));
    } else {
      trailer_payload_.append(part);
    }
    if (remaining_ == 0) {
      in_frame_ = false;
      if (type_ == kTrailerFrame) trailer_seen_ = true;
    }
  }
  return Status::Ok();
}

Status FrameReader::Finish() {
  if (!trailer_seen_) {
    return DataLoss("stream ended before completion (got {} bytes, no trailer)", payload_bytes_);
  }
  ASSIGN_OR_RETURN(Trailer t, ParseTrailer(trailer_payload_));
  if (!t.ok) {
    return Unavailable("donor's backup failed after {} bytes: {}", t.bytes,
                       OneLine(t.reason, 3000));
  }
  if (t.bytes != payload_bytes_) {
    return DataLoss("byte count mismatch: donor sent {}, received {}", t.bytes, payload_bytes_);
  }
  return Status::Ok();
}

}  // namespace mysqlset::net
