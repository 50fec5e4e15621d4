#pragma once
// The backup stream's wire protocol (pure: no sockets; OpenSSL for HKDF and SHA-256).
//
// Everything runs inside TLS 1.3 (net/tls.h) authenticated both ways by an external PSK
// derived from the backup token (BackupPsk): a peer that does not hold the token cannot
// complete the handshake, in either role, and sees nothing but ciphertext. The PSK identity
// names the protocol version, so peers of different versions fail the handshake.
//
//   client <-> donor  TLS 1.3 handshake, PSK identity kBackupProtocolVersion
//   donor  -> "ERR busy <why>\n" | "ERR bad-request <why>\n", close
//          |  "OK <donor pod> <estimated bytes>\n" then frames, then close_notify:
//   frame   = type (1 byte) + length (uint32, big-endian) + payload
//     'D'   data: 1..kMaxDataFrame payload bytes (xbstream output, in order)
//     'T'   trailer, last frame: "OK <bytes>" or "FAIL <bytes> <why>"
//   The client sends nothing after the handshake; closing is how it gives up.
//
// A receiver accepts a backup only if the trailer says OK and its byte count matches what
// it received. EOF before the trailer is a truncated stream; bytes after it are a protocol
// error. An unauthenticated peer gets a TLS alert at most, never a line.
//
// Integrity without a digest of our own (version 2 sent a SHA-256 of the payload, computed
// on both sides: over a third of the relay's CPU, issue 19). TLS 1.3's AEAD authenticates
// every record under an implicit sequence number, so a record altered, dropped, reordered
// or inserted fails decryption; what is left, a connection cut between records, is caught
// by the trailer (absent, or its byte count short). The trailer's count also checks our own
// framing on both ends, and the payload itself carries xbstream's CRC-32 per chunk, which
// mbstream verifies from mariabackup's output to the files it writes.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "net/tls.h"

namespace mysqlset::net {

inline constexpr std::string_view kBackupProtocolVersion = "MYSQLSET-BACKUP/3";
// HKDF-SHA256 salt and info for the PSK: fixed labels that bind the key to this use and
// version, so the same token used elsewhere (or by a later version) yields another key.
inline constexpr std::string_view kBackupPskSalt = "mysqlset";
inline constexpr std::string_view kBackupPskInfo = "mysqlset backup-token TLS 1.3 PSK v3";
inline constexpr size_t kMaxLine = 512;              // the donor's reply line
inline constexpr uint32_t kMaxDataFrame = 1u << 20;  // 1 MiB
inline constexpr uint32_t kMaxTrailer = 4096;
inline constexpr size_t kFrameHeaderSize = 5;
inline constexpr char kDataFrame = 'D';
inline constexpr char kTrailerFrame = 'T';

std::string HexEncode(std::string_view bytes);

// The TLS PSK both sides derive from the backup token: identity kBackupProtocolVersion,
// key HKDF-SHA256(token, kBackupPskSalt, kBackupPskInfo), 32 bytes. kInvalidArgument for
// an empty token.
Result<TlsPsk> BackupPsk(std::string_view token);

struct BackupHello {
  std::string donor_pod;
  uint64_t estimated_bytes = 0;
};
std::string OkLine(const BackupHello& hello);  // with '\n'
// "ERR <kind> <why>\n", `why` made single-line and short.
std::string ErrLine(std::string_view kind, std::string_view why);
// OK -> hello; ERR auth -> kPermissionDenied (version 1 donors); ERR busy -> kResourceExhausted;
// other ERR -> kUnavailable; anything else -> kDataLoss.
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
  // count: kDataLoss for truncation or mismatch, kUnavailable when the donor reported
  // failure (retrying elsewhere may help).
  Status Finish();

 private:
  DataFn on_data_;
  std::string header_;      // partial frame header
  uint32_t remaining_ = 0;  // payload bytes left in the current frame
  char type_ = 0;
  std::string trailer_payload_;
  bool in_frame_ = false;
  bool trailer_seen_ = false;
  uint64_t payload_bytes_ = 0;
};

}  // namespace mysqlset::net
