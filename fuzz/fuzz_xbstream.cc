// Fuzzes backup/xbstream_check, which `mysqlset backup` runs on every byte a donor streams
// (inside TLS, from a peer that proved the backup token). The first byte sets the slice size.
// Nothing may crash the checker, and its verdict and the kept file may not depend on how the
// stream was sliced.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "backup/xbstream_check.h"
#include "common/status.h"

namespace backup = mysqlset::backup;

namespace {

struct Verdict {
  bool ok;
  std::string kept;
};

Verdict Check(std::string_view stream, size_t slice) {
  backup::XbstreamCheck check({"mariadb_backup_binlog_info"});
  bool ok = true;
  for (size_t i = 0; i < stream.size() && ok; i += slice) {
    ok = check.Feed(stream.substr(i, slice)).ok();
  }
  if (ok) ok = check.Finish().ok();
  return {ok, ok ? check.Contents("mariadb_backup_binlog_info") : ""};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t slice = 1 + data[0] % 64;
  const std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);
  const Verdict whole = Check(stream, stream.size() + 1);
  const Verdict sliced = Check(stream, slice);
  CHECK(whole.ok == sliced.ok);
  CHECK(whole.kept == sliced.kept);
  return 0;
}
