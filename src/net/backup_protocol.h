#pragma once
// The backup stream's wire protocol (pure: no sockets; OpenSSL for HMAC and SHA-256).
//
//   donor  -> "MYSQLSET-BACKUP/1 NONCE <64 hex>\n"             fresh random nonce
//   client -> "AUTH <64 hex>\n"   HMAC-SHA256(backup-token, kAuthContext + nonce_hex), hex
//   donor  -> "ERR auth <why>\n" | "ERR busy <why>\n" | "ERR bad-request <why>\n", close
//          |  "OK <donor pod> <estimated bytes>\n" then frames:
//   frame   = type (1 byte) + length (uint32, big-endian) + payload
//     'D'   data: 1..kMaxDataFrame payload bytes (xbstream output, in order)
//     'T'   trailer, last frame: "OK <bytes> <sha256 hex>" or "FAIL <bytes> <sha256 hex> <why>"
//
// A receiver accepts a backup only if the trailer says OK and its byte count and SHA-256
// match what it received. EOF before the trailer is a truncated stream; bytes after it are
// a protocol error. Nothing but the refusal line is sent to an unauthenticated client.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace mysqlset::net {

inline constexpr std::string_view kBackupProtocolVersion = "MYSQLSET-BACKUP/1";
inline constexpr std::string_view kAuthContext = "mysqlset-backup-auth-v1\n";
inline constexpr size_t kMaxLine = 512;                 // any handshake line
inline constexpr uint32_t kMaxDataFrame = 1u << 20;     // 1 MiB
inline constexpr uint32_t kMaxTrailer = 4096;
inline constexpr size_t kFrameHeaderSize = 5;
inline constexpr char kDataFrame = 'D';
inline constexpr char kTrailerFrame = 'T';

std::string HexEncode(std::string_view bytes);
// 32 random bytes, hex-encoded.
std::string NewNonce();

// HMAC-SHA256(token, kAuthContext + nonce) in lowercase hex.
std::string AuthProof(std::string_view token, std::string_view nonce);
// Constant-time comparison of `proof` with the expected one.
bool VerifyAuthProof(std::string_view token, std::string_view nonce, std::string_view proof);

std::string GreetingLine(std::string_view nonce);  // with '\n'
Result<std::string> ParseGreeting(std::string_view line);  // -> nonce
std::string AuthLine(std::string_view proof);              // with '\n'
Result<std::string> ParseAuthLine(std::string_view line);  // -> proof

struct BackupHello {
  std::string donor_pod;
  uint64_t estimated_bytes = 0;
};
std::string OkLine(const BackupHello& hello);  // with '\n'
// "ERR <kind> <why>\n", `why` made single-line and short.
std::string ErrLine(std::string_view kind, std::string_view why);
// OK -> hello; ERR auth -> kPermissionDenied; ERR busy -> kResourceExhausted; other ERR ->
// kUnavailable; anything else -> kDataLoss.
Result<BackupHello> ParseServerReply(std::string_view line);

// One line of printable ASCII at most `max` long: for reasons sent to peers.
std::string OneLine(std::string_view text, size_t max = 400);

// Incremental SHA-256.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(std::string_view data);
  std::string HexDigest();  // finishes; call once

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct Trailer {
  bool ok = false;
  uint64_t bytes = 0;
  std::string sha256_hex;
  std::string reason;  // when !ok
};

std::string DataFrameHeader(uint32_t payload_size);
std::string TrailerFrame(const Trailer& t);  // header + payload
Result<Trailer> ParseTrailer(std::string_view payload);

// Receiver side: feed the bytes after the OK line in any chunking; data payloads go to
// `on_data` in order. Verifies the trailer against what passed through.
class FrameReader {
 public:
  using DataFn = std::function<Status(std::string_view)>;
  explicit FrameReader(DataFn on_data);

  // Consumes `bytes`. Errors: malformed frames (kDataLoss), bytes after the trailer, or
  // whatever on_data returned.
  Status Feed(std::string_view bytes);
  bool complete() const { return trailer_seen_; }
  uint64_t payload_bytes() const { return payload_bytes_; }
  // Call at EOF. OK only for a complete stream whose trailer says OK and matches the byte
  // count and digest: kDataLoss for truncation or mismatch, kUnavailable when the donor
  // reported failure (retrying elsewhere may help).
  Status Finish();

 private:
  DataFn on_data_;
  std::string header_;     // partial frame header
  uint32_t remaining_ = 0;  // payload bytes left in the current frame
  char type_ = 0;
  std::string trailer_payload_;
  bool in_frame_ = false;
  bool trailer_seen_ = false;
  uint64_t payload_bytes_ = 0;
  Sha256 sha_;
};

}  // namespace mysqlset::net
