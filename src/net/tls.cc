#include "net/tls.h"

#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/ssl.h>
#include <poll.h>

#include <cerrno>
#include <cstring>

namespace mysqlset::net {
namespace {

using SteadyClock = std::chrono::steady_clock;

// TLS_AES_128_GCM_SHA256 (RFC 8446 appendix B.4).
constexpr unsigned char kAes128GcmSha256[2] = {0x13, 0x01};

// The reason of the last OpenSSL error on this thread ("tlsv1 alert decrypt error").
std::string OpenSslReason() {
  const unsigned long e = ERR_peek_last_error();
  if (e == 0) return "no detail";
  const char* r = ERR_reason_error_string(e);
  return r != nullptr ? r : fmt::format("OpenSSL error {:#x}", e);
}

// A session holding the external PSK, as OpenSSL's TLS 1.3 PSK callbacks want it.
SSL_SESSION* PskSession(SSL* ssl, const TlsPsk& psk) {
  const SSL_CIPHER* cipher = SSL_CIPHER_find(ssl, kAes128GcmSha256);
  if (cipher == nullptr) return nullptr;
  SSL_SESSION* s = SSL_SESSION_new();
  if (s == nullptr) return nullptr;
  if (SSL_SESSION_set1_master_key(s, reinterpret_cast<const unsigned char*>(psk.key.data()),
                                  psk.key.size()) != 1 ||
      SSL_SESSION_set_cipher(s, cipher) != 1 ||
      SSL_SESSION_set_protocol_version(s, TLS1_3_VERSION) != 1) {
    SSL_SESSION_free(s);
    return nullptr;
  }
  return s;
}

}  // namespace

// OpenSSL's TLS 1.3 external-PSK hooks; the context is the SSL_CTX's app data.
struct TlsCallbacks {
  static const TlsPsk& Psk(SSL* ssl) {
    return static_cast<const TlsContext*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)))->psk_;
  }
  // Client: offer our identity and key for the hash of our only suite.
  static int Use(SSL* ssl, const EVP_MD* md, const unsigned char** id, size_t* idlen,
                 SSL_SESSION** sess) {
    const TlsPsk& psk = Psk(ssl);
    *sess = nullptr;
    const SSL_CIPHER* cipher = SSL_CIPHER_find(ssl, kAes128GcmSha256);
    if (cipher == nullptr) return 0;
    if (md != nullptr && md != SSL_CIPHER_get_handshake_digest(cipher)) return 1;  // no PSK
    *sess = PskSession(ssl, psk);
    if (*sess == nullptr) return 0;
    *id = reinterpret_cast<const unsigned char*>(psk.identity.data());
    *idlen = psk.identity.size();
    return 1;
  }
  // Server: the key for our identity; any other identity finds none, and with no
  // certificate to fall back on, that handshake fails.
  static int Find(SSL* ssl, const unsigned char* id, size_t idlen, SSL_SESSION** sess) {
    const TlsPsk& psk = Psk(ssl);
    *sess = nullptr;
    if (std::string_view(reinterpret_cast<const char*>(id), idlen) != psk.identity) return 1;
    *sess = PskSession(ssl, psk);
    return *sess != nullptr ? 1 : 0;
  }
};

Result<std::string> HkdfSha256(std::string_view secret, std::string_view salt,
                               std::string_view info, size_t length) {
  if (secret.empty()) return InvalidArgument("HKDF: empty secret");
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  if (kdf == nullptr) return Internal("HKDF is not available in this OpenSSL");
  EVP_KDF_CTX* kctx = EVP_KDF_CTX_new(kdf);
  EVP_KDF_free(kdf);
  if (kctx == nullptr) return Internal("HKDF: out of memory");
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>("SHA256"), 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<char*>(secret.data()),
                                        secret.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<char*>(salt.data()),
                                        salt.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char*>(info.data()),
                                        info.size()),
      OSSL_PARAM_construct_end()};
  std::string out(length, '\0');
  const int ok = EVP_KDF_derive(kctx, reinterpret_cast<unsigned char*>(out.data()), length, params);
  EVP_KDF_CTX_free(kctx);
  if (ok != 1) return Internal("HKDF: {}", OpenSslReason());
  return out;
}

TlsContext::TlsContext(TlsRole role, SSL_CTX* ctx, TlsPsk psk)
    : role_(role), ctx_(ctx), psk_(std::move(psk)) {}

TlsContext::~TlsContext() {
  SSL_CTX_free(ctx_);
  OPENSSL_cleanse(psk_.key.data(), psk_.key.size());
}

Result<std::shared_ptr<const TlsContext>> TlsContext::NewPsk(TlsRole role, TlsPsk psk) {
  if (psk.identity.empty()) return InvalidArgument("TLS PSK: empty identity");
  if (psk.key.size() < 32) return InvalidArgument("TLS PSK: key shorter than 32 bytes");
  SSL_CTX* ctx = SSL_CTX_new(role == TlsRole::kClient ? TLS_client_method() : TLS_server_method());
  if (ctx == nullptr) return Internal("SSL_CTX_new: {}", OpenSslReason());
  std::shared_ptr<TlsContext> c(new TlsContext(role, ctx, std::move(psk)));
  // The fixed policy (see tls.h): 1.3 only, one AES-GCM suite, no tickets, no resumption, no
  // early data. Unexpected EOF reads as EOF: the framing above us detects truncation.
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_ciphersuites(ctx, std::string(kTlsCipherSuite).c_str()) != 1 ||
      SSL_CTX_set_num_tickets(ctx, 0) != 1 || SSL_CTX_set_max_early_data(ctx, 0) != 1) {
    return Internal("TLS context setup: {}", OpenSslReason());
  }
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_IGNORE_UNEXPECTED_EOF);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // Bulk reads: without read-ahead OpenSSL reads each record's 5-byte header and then its
  // body, two syscalls per 16 KiB record; with it, one read fills a buffer of several records.
  SSL_CTX_set_read_ahead(ctx, 1);
  SSL_CTX_set_default_read_buffer_len(ctx, kTlsReadBuffer);
  SSL_CTX_set_app_data(ctx, c.get());
  if (role == TlsRole::kClient) {
    // No trust anchors: a server that answers with a certificate instead of our PSK fails
    // verification, so only a peer holding the key completes the handshake.
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    SSL_CTX_set_psk_use_session_callback(ctx, &TlsCallbacks::Use);
  } else {
    SSL_CTX_set_psk_find_session_callback(ctx, &TlsCallbacks::Find);
  }
  return std::shared_ptr<const TlsContext>(std::move(c));
}

TlsSession::TlsSession(std::shared_ptr<const TlsContext> context, Fd fd, SSL* ssl)
    : context_(std::move(context)), fd_(std::move(fd)), ssl_(ssl) {}

TlsSession::TlsSession(TlsSession&& o) noexcept
    : context_(std::move(o.context_)),
      fd_(std::move(o.fd_)),
      ssl_(std::exchange(o.ssl_, nullptr)),
      pending_(std::move(o.pending_)) {}

TlsSession& TlsSession::operator=(TlsSession&& o) noexcept {
  if (this != &o) {
    SSL_free(ssl_);
    ssl_ = std::exchange(o.ssl_, nullptr);
    fd_ = std::move(o.fd_);
    context_ = std::move(o.context_);
    pending_ = std::move(o.pending_);
  }
  return *this;
}

TlsSession::~TlsSession() { SSL_free(ssl_); }

Result<TlsSession> TlsSession::New(std::shared_ptr<const TlsContext> context, Fd fd) {
  CHECK(context != nullptr && fd.valid());
  if (fcntl(fd.get(), F_SETFL, fcntl(fd.get(), F_GETFL) | O_NONBLOCK) != 0) {
    return Internal("fcntl O_NONBLOCK: {}", std::strerror(errno));
  }
  SSL* ssl = SSL_new(context->native());
  if (ssl == nullptr) return Internal("SSL_new: {}", OpenSslReason());
  if (SSL_set_fd(ssl, fd.get()) != 1) {
    SSL_free(ssl);
    return Internal("SSL_set_fd: {}", OpenSslReason());
  }
  if (context->role() == TlsRole::kClient) {
    SSL_set_connect_state(ssl);
  } else {
    SSL_set_accept_state(ssl);
  }
  return TlsSession(std::move(context), std::move(fd), ssl);
}

Result<TlsSession::Step> TlsSession::HandshakeStep() {
  ERR_clear_error();
  errno = 0;
  const int r = SSL_do_handshake(ssl_);
  if (r == 1) {
    // With no certificates configured, only the PSK can have completed the handshake; check
    // anyway, so a context that also had certificates could not silently skip the PSK.
    if (context_->authenticates_by_psk() && !SSL_session_reused(ssl_)) {
      return PermissionDenied("TLS handshake completed without the pre-shared key");
    }
    return Step::kDone;
  }
  switch (SSL_get_error(ssl_, r)) {
    case SSL_ERROR_WANT_READ:
      return Step::kWantRead;
    case SSL_ERROR_WANT_WRITE:
      return Step::kWantWrite;
    case SSL_ERROR_ZERO_RETURN:
      return Unavailable("connection closed during the TLS handshake");
    case SSL_ERROR_SYSCALL:
      return Unavailable("connection {} during the TLS handshake",
                         errno != 0 ? std::strerror(errno) : "closed");
    default:
      // An alert from the peer, or bytes that are not a TLS handshake with our key.
      return PermissionDenied("TLS handshake failed: {}", OpenSslReason());
  }
}

Status TlsSession::Handshake(SteadyClock::time_point deadline) {
  while (true) {
    ASSIGN_OR_RETURN(Step step, HandshakeStep());
    if (step == Step::kDone) return Status::Ok();
    const int ev = WaitForFd(fd_.get(), step == Step::kWantRead ? POLLIN : POLLOUT, deadline);
    if (ev == 0) return DeadlineExceeded("no TLS handshake before the deadline");
    if (ev < 0) return Unavailable("poll: {}", std::strerror(errno));
  }
}

Status TlsSession::Write(std::string_view data, std::chrono::milliseconds timeout) {
  while (!data.empty()) {
    ERR_clear_error();
    errno = 0;
    size_t n = 0;
    const int r = SSL_write_ex(ssl_, data.data(), data.size(), &n);
    if (r == 1) {
      data.remove_prefix(n);
      continue;
    }
    const int err = SSL_get_error(ssl_, r);
    if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ) {
      const int ev = WaitForFd(fd_.get(), err == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN,
                               SteadyClock::now() + timeout);
      if (ev == 0) return DeadlineExceeded("peer accepted no data for {} ms", timeout.count());
      if (ev < 0) return Unavailable("poll: {}", std::strerror(errno));
      continue;
    }
    if (err == SSL_ERROR_SYSCALL) {
      return Unavailable("send: {}", errno != 0 ? std::strerror(errno) : "peer closed");
    }
    return Unavailable("TLS write: {}", OpenSslReason());
  }
  return Status::Ok();
}

Result<std::string> TlsSession::ReadSome(size_t cap, std::chrono::milliseconds timeout) {
  CHECK(cap > 0);
  std::string buf(cap, '\0');
  ASSIGN_OR_RETURN(const size_t got, ReadInto(buf.data(), cap, timeout));
  buf.resize(got);
  return buf;
}

Result<size_t> TlsSession::ReadInto(char* buf, size_t cap, std::chrono::milliseconds timeout) {
  CHECK(cap > 0);
  if (!pending_.empty()) {
    const size_t n = std::min(cap, pending_.size());
    std::memcpy(buf, pending_.data(), n);
    pending_.erase(0, n);
    return n;
  }
  const auto deadline = SteadyClock::now() + timeout;
  size_t got = 0;
  // Takes every record already here (up to cap), waiting only for the first.
  while (got < cap) {
    ERR_clear_error();
    errno = 0;
    size_t n = 0;
    const int r = SSL_read_ex(ssl_, buf + got, cap - got, &n);
    if (r == 1) {
      got += n;
      continue;
    }
    const int err = SSL_get_error(ssl_, r);
    if (err == SSL_ERROR_ZERO_RETURN) break;  // close_notify or EOF
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      if (got > 0) break;
      const int ev = WaitForFd(fd_.get(), err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
      if (ev == 0) return DeadlineExceeded("no data for {} ms", timeout.count());
      if (ev < 0) return Unavailable("poll: {}", std::strerror(errno));
      continue;
    }
    if (got > 0) break;  // deliver what we have; the error comes back on the next call
    if (err == SSL_ERROR_SYSCALL) {
      if (errno == 0) break;
      return Unavailable("read: {}", std::strerror(errno));
    }
    return Unavailable("TLS read: {}", OpenSslReason());
  }
  return got;
}

Result<std::string> TlsSession::ReadLine(size_t max_bytes, std::chrono::milliseconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  std::string line;
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0) {
      return DeadlineExceeded("no complete line within {} ms", timeout.count());
    }
    ASSIGN_OR_RETURN(std::string chunk, ReadSome(max_bytes + 1, left));
    if (chunk.empty()) return Unavailable("connection closed before a complete line");
    const size_t nl = chunk.find('\n');
    if (nl != std::string::npos) {
      line.append(chunk, 0, nl);
      pending_ = chunk.substr(nl + 1) + pending_;
      if (line.size() > max_bytes) break;
      return line;
    }
    line += chunk;
    if (line.size() > max_bytes) break;
  }
  return InvalidArgument("line longer than {} bytes", max_bytes);
}

std::string TlsSession::Describe() const {
  const SSL_CIPHER* c = SSL_get_current_cipher(ssl_);
  return fmt::format("{} {}", SSL_get_version(ssl_), c != nullptr ? SSL_CIPHER_get_name(c) : "-");
}

void TlsSession::Close() {
  if (ssl_ == nullptr) return;
  ERR_clear_error();
  (void)SSL_shutdown(ssl_);  // sends close_notify; we do not wait for the peer's
}

}  // namespace mysqlset::net
