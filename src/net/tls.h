#pragma once
// TLS 1.3 over a connected TCP socket (OpenSSL), for the backup stream today and for
// member/client TLS later.
//
// A TlsContext says how peers prove who they are. Today there is one way, an external
// pre-shared key (RFC 8446 section 2.2): both sides hold the same 32-byte key, and a
// handshake completes only if each side proves it holds that key (the client by its PSK
// binder, the server by its Finished message, both computed from the key). The key
// exchange is PSK with ECDHE (psk_dhe_ke): fresh randoms and ephemeral keys on both sides,
// so a recorded session can neither be decrypted later nor replayed. Certificates (mTLS from
// a per-cluster CA) are meant to be a second factory beside NewPsk; TlsSession does not care
// which one built its context.
//
// Fixed policy, whatever the context: TLS 1.3 only; no session tickets, no resumption, no
// 0-RTT early data; a handshake that did not use the configured credentials fails (a client
// never accepts a server certificate it cannot verify).
//
// TlsSession owns its socket and uses it non-blocking: every call that may wait takes a
// deadline or timeout, and the handshake can also be stepped from a poll loop (one thread
// driving many pending handshakes). Thread-compatible: one thread uses a session at a time.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "net/socket.h"

struct ssl_ctx_st;
struct ssl_st;

namespace mysqlset::net {

enum class TlsRole { kClient, kServer };

// An external pre-shared key. `identity` is sent in clear in the ClientHello (name a
// protocol version there, never a secret); `key` is the secret, at least 32 bytes.
struct TlsPsk {
  std::string identity;
  std::string key;  // secret
};

// The one cipher suite we offer: AES-GCM (hardware-accelerated) with SHA-256, the hash a
// PSK made for TLS 1.3 with OpenSSL's defaults is bound to.
inline constexpr std::string_view kTlsCipherSuite = "TLS_AES_128_GCM_SHA256";

// The largest TLS record's plaintext (RFC 8446 section 5.1).
inline constexpr size_t kTlsMaxRecord = 16384;
// OpenSSL's read-ahead buffer per session (several 16 KiB records per read(2)).
inline constexpr size_t kTlsReadBuffer = 128 * 1024;

// HKDF-SHA256 (RFC 5869) of `secret` with `salt` and `info`: `length` bytes.
// kInvalidArgument for an empty secret.
Result<std::string> HkdfSha256(std::string_view secret, std::string_view salt,
                               std::string_view info, size_t length);

// Immutable once built; share it between sessions and threads.
class TlsContext {
 public:
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // A context whose sessions authenticate the peer by `psk` only. kInvalidArgument for an
  // empty identity or a key shorter than 32 bytes; kInternal when OpenSSL fails.
  static Result<std::shared_ptr<const TlsContext>> NewPsk(TlsRole role, TlsPsk psk);

  TlsRole role() const { return role_; }
  // True when the peer proves itself by the PSK (a handshake without it then fails).
  bool authenticates_by_psk() const { return !psk_.key.empty(); }
  ssl_ctx_st* native() const { return ctx_; }

 private:
  TlsContext(TlsRole role, ssl_ctx_st* ctx, TlsPsk psk);
  friend struct TlsCallbacks;  // the PSK callbacks read psk_
  TlsRole role_;
  ssl_ctx_st* ctx_;
  TlsPsk psk_;
};

class TlsSession {
 public:
  enum class Step { kDone, kWantRead, kWantWrite };

  // Wraps a connected socket (made non-blocking). The handshake has not started.
  static Result<TlsSession> New(std::shared_ptr<const TlsContext> context, Fd fd);
  TlsSession(TlsSession&&) noexcept;
  TlsSession& operator=(TlsSession&&) noexcept;
  ~TlsSession();

  // Advances the handshake without waiting. kDone once both sides are authenticated;
  // kWantRead/kWantWrite: poll the fd for that and call again. Errors: kPermissionDenied
  // when the peer failed to prove the credentials (or is not speaking TLS with us at all),
  // kUnavailable when the connection closed or broke.
  Result<Step> HandshakeStep();
  // Runs the whole handshake, waiting at most until `deadline` (then kDeadlineExceeded).
  Status Handshake(std::chrono::steady_clock::time_point deadline);

  // Encrypts and sends all of `data`; waits at most `timeout` each time the peer accepts
  // nothing (kDeadlineExceeded), kUnavailable when the peer is gone.
  Status Write(std::string_view data, std::chrono::milliseconds timeout);
  // Up to `cap` plaintext bytes, waiting at most `timeout` for the first; "" at EOF (with
  // or without close_notify: a framed protocol detects truncation itself).
  Result<std::string> ReadSome(size_t cap, std::chrono::milliseconds timeout);
  // ReadSome into the caller's buffer (bulk reads without an allocation each): the number
  // of bytes stored in buf[0, n), 0 at EOF.
  Result<size_t> ReadInto(char* buf, size_t cap, std::chrono::milliseconds timeout);
  // One '\n'-terminated line (without it) of at most `max_bytes`, within `timeout`.
  Result<std::string> ReadLine(size_t max_bytes, std::chrono::milliseconds timeout);
  // Sends close_notify (best effort, never waits). Call before closing after a clean end.
  void Close();

  int fd() const { return fd_.get(); }
  // "TLSv1.3 TLS_AES_128_GCM_SHA256" once the handshake is done: for logs.
  std::string Describe() const;

 private:
  TlsSession(std::shared_ptr<const TlsContext> context, Fd fd, ssl_st* ssl);
  std::shared_ptr<const TlsContext> context_;
  Fd fd_;
  ssl_st* ssl_ = nullptr;
  std::string pending_;  // plaintext read past a line (ReadLine), served first by reads
};

}  // namespace mysqlset::net
