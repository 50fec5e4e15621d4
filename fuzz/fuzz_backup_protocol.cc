// Fuzzes every function that parses bytes from a backup-port peer (net/backup_protocol):
// the donor's reply line, the trailer, and the frame stream fed in arbitrary chunks (all of
// which arrive inside TLS, from a peer that proved the backup token; the TLS layer itself
// is OpenSSL's). The first byte picks the parser; for the frame stream it
// also sets the chunk size. Nothing a peer sends may crash the reader, make it deliver more
// payload than it received, or accept a stream whose trailer does not verify.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "net/backup_protocol.h"

namespace net = mysqlset::net;

namespace {

void Lines(std::string_view line) {
  auto hello = net::ParseServerReply(line);
  if (hello.ok()) {
    // What we parsed prints back to a line that parses to the same hello.
    auto again =
        net::ParseServerReply(net::OkLine(*hello).substr(0, net::OkLine(*hello).size() - 1));
    CHECK(!again.ok() || again->estimated_bytes == hello->estimated_bytes);
  }
  const std::string one = net::OneLine(line, 80);
  CHECK(one.size() <= 80);
  for (char c : one) CHECK(c >= 0x20 && c < 0x7f);
  auto trailer = net::ParseTrailer(line);
  if (trailer.ok()) {
    if (trailer->ok) CHECK(net::ParseTrailer(net::TrailerFrame(*trailer).substr(5)).ok());
  }
}

void Frames(std::string_view bytes, size_t chunk) {
  uint64_t delivered = 0;
  net::FrameReader reader([&](std::string_view part) {
    CHECK(!part.empty());
    CHECK(part.size() <= net::kMaxDataFrame);
    delivered += part.size();
    return mysqlset::Status::Ok();
  });
  mysqlset::Status st;
  while (!bytes.empty() && st.ok()) {
    const size_t n = std::min(chunk, bytes.size());
    st = reader.Feed(bytes.substr(0, n));
    bytes.remove_prefix(n);
  }
  CHECK(delivered == reader.payload_bytes());
  if (!st.ok()) {
    CHECK(st.code() == mysqlset::StatusCode::kDataLoss);
    return;
  }
  const mysqlset::Status fin = reader.Finish();
  if (fin.ok()) CHECK(reader.complete());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  if (mode % 2 == 0) {
    Lines(rest);
  } else {
    Frames(rest, 1 + mode / 2);
  }
  return 0;
}
