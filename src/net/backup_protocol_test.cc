#include "net/backup_protocol.h"

#include "gtest/gtest.h"

namespace mysqlset::net {
namespace {

// A well-formed stream of `payload` split into frames of at most `frame` bytes.
std::string Stream(const std::string& payload, size_t frame, bool ok = true) {
  std::string out;
  for (size_t i = 0; i < payload.size(); i += frame) {
    const std::string part = payload.substr(i, frame);
    out += DataFrameHeader(static_cast<uint32_t>(part.size())) + part;
  }
  out += TrailerFrame({ok, payload.size(), ok ? "" : "mariabackup died"});
  return out;
}

struct Collected {
  std::string data;
  Status Feed(const std::string& stream, size_t chunk) {
    FrameReader r([&](std::string_view d) {
      data.append(d);
      return Status::Ok();
    });
    for (size_t i = 0; i < stream.size(); i += chunk) {
      RETURN_IF_ERROR(r.Feed(std::string_view(stream).substr(i, chunk)));
    }
    return r.Finish();
  }
};

TEST(BackupPskTest, DerivedFromTheTokenByHkdfWithTheVersionAsIdentity) {
  auto psk = BackupPsk("key");
  ASSERT_TRUE(psk.ok()) << psk.status().ToString();
  EXPECT_EQ(psk->identity, "MYSQLSET-BACKUP/3");
  // openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt key:key -kdfopt salt:mysqlset
  //   -kdfopt "info:mysqlset backup-token TLS 1.3 PSK v3" HKDF
  EXPECT_EQ(HexEncode(psk->key),
            "a04909d89dcbf635d8c575f24aa6bb02c01d026c3d632ec59568811621ef3507");
  // Another token gives another key; the key never contains the token.
  auto other = BackupPsk("kez");
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->key, psk->key);
  auto long_token = BackupPsk("a-long-backup-token-value");
  ASSERT_TRUE(long_token.ok());
  EXPECT_EQ(long_token->key.find("a-long-backup-token-value"), std::string::npos);
  EXPECT_EQ(BackupPsk("").status().code(), StatusCode::kInvalidArgument);
}

TEST(HandshakeTest, ServerReplyLinesRoundTrip) {
  std::string ok = OkLine({"mysql-1", 12345});
  ok.pop_back();
  auto hello = ParseServerReply(ok);
  ASSERT_TRUE(hello.ok());
  EXPECT_EQ(hello->donor_pod, "mysql-1");
  EXPECT_EQ(hello->estimated_bytes, 12345u);

  auto strip = [](std::string s) { return s.substr(0, s.size() - 1); };
  EXPECT_EQ(ParseServerReply(strip(ErrLine("auth", "bad"))).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(ParseServerReply(strip(ErrLine("busy", "1 running"))).status().code(),
            StatusCode::kResourceExhausted);
  EXPECT_EQ(ParseServerReply(strip(ErrLine("bad-request", "x"))).status().code(),
            StatusCode::kUnavailable);
  EXPECT_EQ(ParseServerReply("garbage").status().code(), StatusCode::kDataLoss);
  EXPECT_FALSE(ParseServerReply("OK mysql-1 notanumber").ok());
}

TEST(HandshakeTest, ErrLineIsOneShortLine) {
  const std::string line = ErrLine("auth", std::string("a\nb\rc") + std::string(1000, 'x'));
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  EXPECT_LE(line.size(), kMaxLine);
}

TEST(FrameReaderTest, CompleteStreamInAnyChunking) {
  std::string payload;
  for (int i = 0; i < 5000; ++i) payload += static_cast<char>(i * 7);
  const std::string s = Stream(payload, 777);
  for (size_t chunk : {1ul, 3ul, 5ul, 100ul, 4096ul, s.size()}) {
    Collected c;
    EXPECT_TRUE(c.Feed(s, chunk).ok()) << chunk;
    EXPECT_EQ(c.data, payload) << chunk;
  }
}

TEST(FrameReaderTest, EmptyBackupIsValid) {
  Collected c;
  EXPECT_TRUE(c.Feed(Stream("", 10), 7).ok());
}

TEST(FrameReaderTest, TruncatedAnywhereIsDetected) {
  const std::string s = Stream(std::string(3000, 'q'), 1000);
  for (size_t cut = 0; cut < s.size(); cut += 97) {
    Collected c;
    const Status st = c.Feed(s.substr(0, cut), 64);
    EXPECT_EQ(st.code(), StatusCode::kDataLoss) << "cut at " << cut;
  }
  Collected c;
  EXPECT_EQ(c.Feed(s.substr(0, s.size() - 1), 64).code(), StatusCode::kDataLoss);
}

TEST(FrameReaderTest, DonorFailureInTrailerIsUnavailable) {
  Collected c;
  const Status st = c.Feed(Stream("partial", 3, /*ok=*/false), 5);
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_NE(st.message().find("mariabackup died"), std::string::npos);
}

// Payload integrity is TLS's (TlsTest.AlteredDroppedOrReorderedRecordsNeverReachTheReader); the
// trailer's byte count checks the framing on both ends.
TEST(FrameReaderTest, WrongByteCountInTrailer) {
  for (uint64_t claimed : {2u, 4u}) {
    const std::string s = DataFrameHeader(3) + "abc" + TrailerFrame({true, claimed, ""});
    Collected c;
    const Status st = c.Feed(s, 2);
    EXPECT_EQ(st.code(), StatusCode::kDataLoss) << claimed;
    EXPECT_NE(st.message().find("byte count mismatch"), std::string::npos) << st.message();
  }
}

TEST(FrameReaderTest, TrailerRoundTrips) {
  for (const Trailer& t : {Trailer{true, 0, ""}, Trailer{true, 123456789012, ""},
                           Trailer{false, 7, "mariabackup exited with code 1: out of space"}}) {
    const std::string frame = TrailerFrame(t);
    auto back = ParseTrailer(frame.substr(kFrameHeaderSize));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back->ok, t.ok);
    EXPECT_EQ(back->bytes, t.bytes);
    EXPECT_EQ(back->reason, t.reason);
  }
  // Version 2's trailer (with a digest) is malformed now: a mixed pair fails, never passes.
  EXPECT_FALSE(ParseTrailer("OK 3 " + std::string(64, 'a')).ok());
}

TEST(FrameReaderTest, BytesAfterTrailerAreRejected) {
  Collected c;
  EXPECT_EQ(c.Feed(Stream("abc", 2) + "x", 100).code(), StatusCode::kDataLoss);
}

TEST(FrameReaderTest, OversizedOrUnknownFramesAreRejected) {
  std::string big = "D";
  big += std::string("\x7f\xff\xff\xff", 4);
  Collected c1;
  EXPECT_EQ(c1.Feed(big, 5).code(), StatusCode::kDataLoss);
  std::string zero = "D";
  zero += std::string(4, '\0');
  Collected c2;
  EXPECT_EQ(c2.Feed(zero, 5).code(), StatusCode::kDataLoss);
  std::string long_trailer = "T";
  long_trailer += std::string("\x00\x01\x00\x00", 4);
  Collected c3;
  EXPECT_EQ(c3.Feed(long_trailer, 5).code(), StatusCode::kDataLoss);
  Collected c4;
  EXPECT_EQ(c4.Feed("Xgarbage", 3).code(), StatusCode::kDataLoss);
}

TEST(FrameReaderTest, MalformedTrailer) {
  const std::string payload = "OK lots";
  std::string s =
      std::string("T") + std::string(3, '\0') + static_cast<char>(payload.size()) + payload;
  Collected c;
  EXPECT_EQ(c.Feed(s, 4).code(), StatusCode::kDataLoss);
}

TEST(FrameReaderTest, OnDataErrorAbortsTheStream) {
  FrameReader r([](std::string_view) { return Internal("disk full"); });
  EXPECT_EQ(r.Feed(Stream("abc", 2)).code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace mysqlset::net
