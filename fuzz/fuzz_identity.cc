// Fuzzes the pod-name parser (core/identity): any hostname, $POD_NAME or --pod-name.
// Input: one byte choosing the server-id offset, then the name.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/identity.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static constexpr uint64_t kOffsets[] = {0, 1, 100, 4294967295ULL, 4294967296ULL, UINT64_MAX};
  const uint64_t offset = kOffsets[data[0] % std::size(kOffsets)];
  const std::string_view name(reinterpret_cast<const char*>(data + 1), size - 1);
  auto id = mysqlset::ParseIdentity(name, offset);
  if (!id.ok()) {
    CHECK(id.status().code() == mysqlset::StatusCode::kInvalidArgument);
    CHECK(!id.status().message().empty());
    return 0;
  }
  // An accepted name is exactly NAME-N, server_id = offset + N within MariaDB's range.
  CHECK(mysqlset::PodName(id->set_name, id->ordinal) == name);
  CHECK(id->pod_name == name);
  CHECK(id->server_id >= 1);
  CHECK(static_cast<uint64_t>(id->server_id) == offset + id->ordinal);
  return 0;
}
