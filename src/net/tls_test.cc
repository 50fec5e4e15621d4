#include "net/tls.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <vector>

#include "gtest/gtest.h"
#include "net/backup_protocol.h"

namespace mysqlset::net {
namespace {

using std::chrono::milliseconds;

std::shared_ptr<const TlsContext> Context(TlsRole role, const std::string& token) {
  auto psk = BackupPsk(token);
  EXPECT_TRUE(psk.ok());
  auto c = TlsContext::NewPsk(role, *psk);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return *c;
}

// Two socketpairs joined by a relay this test drives by hand: client <-> [a|b] <-> server.
// Pump() moves whatever is buffered across and records both directions, so one thread can
// run both ends of a handshake step by step, and the test sees every byte on the "wire".
struct Wire {
  int client_end, relay_c, relay_s, server_end;
  std::string client_to_server, server_to_client;

  Wire() {
    int a[2], b[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, a) == 0);
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, b) == 0);
    client_end = a[0];
    relay_c = a[1];
    relay_s = b[0];
    server_end = b[1];
    fcntl(relay_c, F_SETFL, O_NONBLOCK);
    fcntl(relay_s, F_SETFL, O_NONBLOCK);
  }
  ~Wire() {
    close(relay_c);
    close(relay_s);
  }
  static void Move(int from, int to, std::string* record) {
    char buf[65536];
    while (true) {
      const ssize_t n = read(from, buf, sizeof buf);
      if (n <= 0) return;
      record->append(buf, static_cast<size_t>(n));
      CHECK(write(to, buf, static_cast<size_t>(n)) == n);
    }
  }
  void Pump() {
    Move(relay_c, relay_s, &client_to_server);
    Move(relay_s, relay_c, &server_to_client);
  }
};

// Steps both handshakes (either may be null: that end is driven elsewhere) until neither
// makes progress. Returns each side's final result.
struct Outcome {
  Status client = Status::Ok(), server = Status::Ok();
  bool client_done = false, server_done = false;
};
Outcome RunHandshake(Wire& w, TlsSession* client, TlsSession* server,
                     const std::function<bool()>& other_server = nullptr) {
  Outcome o;
  bool client_failed = false, server_failed = false;
  auto step = [](TlsSession* s, bool* done, bool* failed, Status* result) {
    if (s == nullptr || *done || *failed) return;
    auto r = s->HandshakeStep();
    if (!r.ok()) {
      *result = r.status();
      *failed = true;
    } else {
      *done = *r == TlsSession::Step::kDone;
    }
  };
  for (int round = 0; round < 50; ++round) {
    step(client, &o.client_done, &client_failed, &o.client);
    w.Pump();
    step(server, &o.server_done, &server_failed, &o.server);
    if (other_server) other_server();
    w.Pump();
  }
  return o;
}

TlsSession NewSession(std::shared_ptr<const TlsContext> c, int fd) {
  auto s = TlsSession::New(std::move(c), Fd(fd));
  CHECK(s.ok());
  return std::move(*s);
}

TEST(TlsTest, PeersWithTheSameTokenAuthenticateAndTheWireCarriesOnlyCiphertext) {
  Wire w;
  TlsSession client = NewSession(Context(TlsRole::kClient, "tok"), w.client_end);
  TlsSession server = NewSession(Context(TlsRole::kServer, "tok"), w.server_end);
  const Outcome o = RunHandshake(w, &client, &server);
  ASSERT_TRUE(o.client.ok()) << o.client.ToString();
  ASSERT_TRUE(o.server.ok()) << o.server.ToString();
  ASSERT_TRUE(o.client_done && o.server_done);
  EXPECT_EQ(client.Describe(), "TLSv1.3 TLS_AES_128_GCM_SHA256");

  const std::string secret = "OK mysql-0 123\nglobal_priv admin hash";
  ASSERT_TRUE(server.Write(secret, milliseconds(1000)).ok());
  server.Close();
  w.Pump();
  auto line = client.ReadLine(kMaxLine, milliseconds(1000));
  ASSERT_TRUE(line.ok()) << line.status().ToString();
  EXPECT_EQ(*line, "OK mysql-0 123");
  auto rest = client.ReadSome(4096, milliseconds(1000));
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(*rest, "global_priv admin hash");
  auto eof = client.ReadSome(4096, milliseconds(1000));
  ASSERT_TRUE(eof.ok());
  EXPECT_EQ(*eof, "");
  // Nothing readable crossed the relay, and the token is not in the clear either.
  for (const std::string& bytes : {w.client_to_server, w.server_to_client}) {
    EXPECT_EQ(bytes.find("global_priv"), std::string::npos);
    EXPECT_EQ(bytes.find("mysql-0"), std::string::npos);
    EXPECT_EQ(bytes.find("tok"), std::string::npos);
  }
}

// TLS records ("type, version, length, body") in `bytes`, whole ones only.
std::vector<std::string> SplitRecords(const std::string& bytes) {
  std::vector<std::string> out;
  for (size_t at = 0; at + 5 <= bytes.size();) {
    const size_t len = (static_cast<unsigned char>(bytes[at + 3]) << 8) |
                       static_cast<unsigned char>(bytes[at + 4]);
    out.push_back(bytes.substr(at, 5 + len));
    at += 5 + len;
  }
  return out;
}

// The backup stream carries no digest of its own (backup_protocol.h): its integrity is the
// AEAD's. A record altered, dropped or reordered on the wire ends the read at that record:
// nothing from it or after it reaches the reader, so a framed stream never sees its trailer.
// (The read reports the failure or, on the call after one that delivered data, EOF: OpenSSL
// does not repeat the error. Both end the backup stream as truncated.)
TEST(TlsTest, AlteredDroppedOrReorderedRecordsNeverReachTheReader) {
  for (const std::string mode : {"flip", "drop", "swap"}) {
    Wire w;
    TlsSession client = NewSession(Context(TlsRole::kClient, "tok"), w.client_end);
    TlsSession server = NewSession(Context(TlsRole::kServer, "tok"), w.server_end);
    const Outcome o = RunHandshake(w, &client, &server);
    ASSERT_TRUE(o.client_done && o.server_done) << mode;
    // Three records, kept on the relay instead of pumped across.
    for (char c : {'a', 'b', 'c'}) {
      ASSERT_TRUE(server.Write(std::string(1000, c), milliseconds(1000)).ok());
    }
    std::string raw;
    char buf[65536];
    for (ssize_t n; (n = read(w.relay_s, buf, sizeof buf)) > 0;) raw.append(buf, n);
    std::vector<std::string> records = SplitRecords(raw);
    ASSERT_EQ(records.size(), 3u) << mode;
    if (mode == "flip") records[1][records[1].size() / 2] ^= 0x01;
    if (mode == "drop") records.erase(records.begin() + 1);
    if (mode == "swap") std::swap(records[1], records[2]);
    std::string wire;
    for (const auto& r : records) wire += r;
    ASSERT_EQ(write(w.relay_c, wire.data(), wire.size()), static_cast<ssize_t>(wire.size()));
    std::string got;
    bool ended = false;  // an error or EOF, never a wait for more
    for (int i = 0; i < 4 && !ended; ++i) {
      auto part = client.ReadSome(65536, milliseconds(200));
      if (!part.ok()) {
        EXPECT_EQ(part.status().code(), StatusCode::kUnavailable) << mode;
        ended = true;
      } else if (part->empty()) {
        ended = true;
      } else {
        got += *part;
      }
    }
    EXPECT_TRUE(ended) << mode;
    EXPECT_EQ(got, std::string(1000, 'a')) << mode;
  }
}

TEST(TlsTest, WrongTokenFailsTheHandshakeOnBothSides) {
  Wire w;
  TlsSession client = NewSession(Context(TlsRole::kClient, "wrong"), w.client_end);
  TlsSession server = NewSession(Context(TlsRole::kServer, "tok"), w.server_end);
  const Outcome o = RunHandshake(w, &client, &server);
  EXPECT_EQ(o.server.code(), StatusCode::kPermissionDenied) << o.server.ToString();
  EXPECT_EQ(o.client.code(), StatusCode::kPermissionDenied) << o.client.ToString();
  EXPECT_FALSE(o.client_done || o.server_done);
}

TEST(TlsTest, FakeDonorWithACertificateInsteadOfTheTokenIsRefused) {
  // A TLS server that knows no token but presents a certificate (as a relay or an
  // impostor could): the client must not fall back to an unauthenticated server.
  EVP_PKEY* key = EVP_EC_gen("P-256");
  ASSERT_NE(key, nullptr);
  X509* cert = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("evil-9"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  ASSERT_GT(X509_sign(cert, key, EVP_sha256()), 0);
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  ASSERT_EQ(SSL_CTX_use_certificate(ctx, cert), 1);
  ASSERT_EQ(SSL_CTX_use_PrivateKey(ctx, key), 1);
  Wire w;
  SSL* evil = SSL_new(ctx);
  SSL_set_fd(evil, w.server_end);
  SSL_set_accept_state(evil);
  fcntl(w.server_end, F_SETFL, O_NONBLOCK);
  bool evil_done = false;
  TlsSession client = NewSession(Context(TlsRole::kClient, "tok"), w.client_end);
  const Outcome o = RunHandshake(w, &client, nullptr, [&] {
    if (!evil_done) evil_done = SSL_do_handshake(evil) == 1;
    return evil_done;
  });
  EXPECT_EQ(o.client.code(), StatusCode::kPermissionDenied) << o.client.ToString();
  EXPECT_FALSE(o.client_done);
  EXPECT_FALSE(evil_done);
  SSL_free(evil);
  close(w.server_end);
  SSL_CTX_free(ctx);
  X509_free(cert);
  EVP_PKEY_free(key);
}

TEST(TlsTest, PlaintextPeerIsRefused) {
  Wire w;
  TlsSession client = NewSession(Context(TlsRole::kClient, "tok"), w.client_end);
  const std::string old = "MYSQLSET-BACKUP/1 NONCE " + std::string(64, 'a') + "\n";
  ASSERT_EQ(write(w.server_end, old.data(), old.size()), static_cast<ssize_t>(old.size()));
  const Outcome o = RunHandshake(w, &client, nullptr);
  EXPECT_EQ(o.client.code(), StatusCode::kPermissionDenied) << o.client.ToString();
  close(w.server_end);
}

TEST(TlsTest, ReplayedRecordingOfARealSessionIsRefusedByBothSides) {
  // Record one real session, application data included.
  Wire w;
  TlsSession client = NewSession(Context(TlsRole::kClient, "tok"), w.client_end);
  TlsSession server = NewSession(Context(TlsRole::kServer, "tok"), w.server_end);
  ASSERT_TRUE(RunHandshake(w, &client, &server).server_done);
  ASSERT_TRUE(server.Write("the-backup-payload", milliseconds(1000)).ok());
  w.Pump();
  ASSERT_EQ(*client.ReadSome(100, milliseconds(1000)), "the-backup-payload");

  // The client's bytes replayed to a fresh server: its new random and key share make the
  // recorded Finished fail, so it never completes and never sends data.
  {
    Wire r;
    TlsSession fresh = NewSession(Context(TlsRole::kServer, "tok"), r.server_end);
    ASSERT_EQ(write(r.client_end, w.client_to_server.data(), w.client_to_server.size()),
              static_cast<ssize_t>(w.client_to_server.size()));
    const Outcome o = RunHandshake(r, nullptr, &fresh);
    EXPECT_FALSE(o.server_done);
    EXPECT_FALSE(o.server.ok());
    close(r.client_end);
  }
  // The server's bytes replayed to a fresh client: refused, and no payload comes out.
  {
    Wire r;
    TlsSession fresh = NewSession(Context(TlsRole::kClient, "tok"), r.client_end);
    ASSERT_EQ(write(r.server_end, w.server_to_client.data(), w.server_to_client.size()),
              static_cast<ssize_t>(w.server_to_client.size()));
    const Outcome o = RunHandshake(r, &fresh, nullptr);
    EXPECT_FALSE(o.client_done);
    EXPECT_EQ(o.client.code(), StatusCode::kPermissionDenied) << o.client.ToString();
    close(r.server_end);
  }
}

TEST(TlsTest, PskContextRefusesWeakOrMissingKeys) {
  EXPECT_EQ(TlsContext::NewPsk(TlsRole::kClient, {"id", "short"}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(TlsContext::NewPsk(TlsRole::kServer, {"", std::string(32, 'k')}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(HkdfSha256("", "s", "i", 32).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mysqlset::net
