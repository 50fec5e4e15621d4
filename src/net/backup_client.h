#pragma once
// The receiver's side of the backup stream (see backup_protocol.h): connect, run the TLS
// handshake that proves the backup token both ways, then read frames until a verified
// trailer. Not thread-safe.

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "net/backup_protocol.h"
#include "net/tls.h"

namespace mysqlset::net {

// Plaintext read per call while streaming: up to 16 TLS records (when they are already
// here), handed on in one piece.
inline constexpr size_t kReceiveBuffer = 256 * 1024;

struct BackupClientOptions {
  std::string host;
  uint16_t port = 3307;
  std::string token;  // secret
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds handshake_timeout{15000};
  // Longest silence tolerated mid-stream before giving up on the donor.
  std::chrono::milliseconds idle_timeout{120000};
};

class BackupClient {
 public:
  // Connects and authenticates both ways. Errors: kUnavailable (unreachable, or the
  // connection dropped during the handshake), kPermissionDenied (the donor does not hold our
  // backup token, or refused ours: the message names the backup-token secret),
  // kResourceExhausted (busy), kDataLoss (not our protocol after the handshake).
  static Result<BackupClient> Connect(const BackupClientOptions& options);

  const BackupHello& hello() const { return hello_; }
  // Streams payload bytes to `on_data` until the trailer. OK only when the stream is
  // complete and verified (see FrameReader::Finish). on_data's errors abort the stream.
  Status Receive(const std::function<Status(std::string_view)>& on_data);

 private:
  BackupClient(TlsSession session, BackupHello hello, std::chrono::milliseconds idle)
      : session_(std::move(session)), hello_(std::move(hello)), idle_(idle) {}
  TlsSession session_;
  BackupHello hello_;
  std::chrono::milliseconds idle_;
};

}  // namespace mysqlset::net
