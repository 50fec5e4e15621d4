#include "core/identity.h"

#include <cctype>

namespace mysqlset {
namespace {

constexpr uint64_t kMaxServerId = 4294967295ULL;
constexpr size_t kMaxDnsLabel = 63;

bool IsDnsLabel(std::string_view s) {
  if (s.empty() || s.size() > kMaxDnsLabel) return false;
  for (char c : s) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '-')) {
      return false;
    }
  }
  return s.front() != '-' && s.back() != '-';
}

}  // namespace

std::string Printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  return out;
}

Result<MemberIdentity> ParseIdentity(std::string_view pod_name, uint64_t server_id_offset) {
  const std::string shown = Printable(pod_name);
  if (pod_name.empty()) {
    return InvalidArgument("pod name is empty: pass --pod-name NAME-N or set POD_NAME");
  }
  if (!IsDnsLabel(pod_name)) {
    return InvalidArgument(
        "pod name '{}' is not a DNS label (lowercase letters, digits and '-', at most 63): "
        "use a name like mysql-0",
        shown);
  }
  const size_t dash = pod_name.rfind('-');
  if (dash == std::string_view::npos || dash == 0) {
    return InvalidArgument("pod name '{}' has no ordinal: expected NAME-N, like mysql-0", shown);
  }
  const std::string_view digits = pod_name.substr(dash + 1);
  for (char c : digits) {
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      return InvalidArgument("pod name '{}' has no ordinal: expected NAME-N, like mysql-0", shown);
    }
  }
  if (digits.size() > 1 && digits.front() == '0') {
    return InvalidArgument("pod name '{}': ordinal '{}' has leading zeros; use {}", shown,
                           std::string(digits), PodName(pod_name.substr(0, dash), 0));
  }
  uint64_t ordinal = 0;
  for (char c : digits) {
    ordinal = ordinal * 10 + static_cast<uint64_t>(c - '0');
    if (ordinal > kMaxServerId) {
      return InvalidArgument("pod name '{}': ordinal '{}' is too large", shown,
                             std::string(digits));
    }
  }
  const uint64_t server_id = server_id_offset + ordinal;
  if (server_id < 1 || server_id > kMaxServerId) {
    return InvalidArgument(
        "pod name '{}': server-id {} + {} = {} is outside MariaDB's range 1..{}: lower "
        "--server-id-offset",
        shown, server_id_offset, ordinal, server_id, kMaxServerId);
  }
  MemberIdentity id;
  id.pod_name = std::string(pod_name);
  id.set_name = std::string(pod_name.substr(0, dash));
  id.ordinal = static_cast<uint32_t>(ordinal);
  id.server_id = static_cast<uint32_t>(server_id);
  return id;
}

std::string PodName(std::string_view set_name, uint32_t ordinal) {
  return fmt::format("{}-{}", set_name, ordinal);
}

}  // namespace mysqlset
