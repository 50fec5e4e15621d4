#include "core/gtid.h"

#include <algorithm>
#include <charconv>

namespace mysqlset {
namespace {

template <typename T>
bool ParseNumber(std::string_view s, T& out) {
  if (s.empty() || s.size() > 20) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

std::string_view Trim(std::string_view s) {
  const char* ws = " \t\r\n";
  const size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

}  // namespace

Result<std::vector<Gtid>> ParseGtidItems(std::string_view text) {
  std::vector<Gtid> out;
  text = Trim(text);
  if (text.empty()) return out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    const std::string_view item = Trim(text.substr(start, comma - start));
    const size_t d1 = item.find('-');
    const size_t d2 = d1 == std::string_view::npos ? d1 : item.find('-', d1 + 1);
    Gtid g;
    if (d2 == std::string_view::npos || !ParseNumber(item.substr(0, d1), g.domain) ||
        !ParseNumber(item.substr(d1 + 1, d2 - d1 - 1), g.server_id) ||
        !ParseNumber(item.substr(d2 + 1), g.seq)) {
      return InvalidArgument("malformed GTID '{}': expected DOMAIN-SERVER-SEQ", std::string(item));
    }
    out.push_back(g);
    start = comma + 1;
  }
  return out;
}

Result<GtidList> GtidList::Parse(std::string_view text) {
  GtidList list;
  ASSIGN_OR_RETURN(list.gtids_, ParseGtidItems(text));
  for (size_t i = 0; i < list.gtids_.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (list.gtids_[j].domain == list.gtids_[i].domain) {
        return InvalidArgument("GTID list names domain {} twice", list.gtids_[i].domain);
      }
    }
  }
  std::sort(list.gtids_.begin(), list.gtids_.end(),
            [](const Gtid& a, const Gtid& b) { return a.domain < b.domain; });
  return list;
}

uint64_t GtidList::SeqOf(uint32_t domain) const {
  for (const Gtid& g : gtids_) {
    if (g.domain == domain) return g.seq;
  }
  return 0;
}

bool GtidList::Covers(const GtidList& other) const {
  return std::all_of(other.gtids_.begin(), other.gtids_.end(),
                     [this](const Gtid& g) { return SeqOf(g.domain) >= g.seq; });
}

uint64_t GtidList::TransactionsBehind(const GtidList& other) const {
  uint64_t behind = 0;
  for (const Gtid& g : other.gtids_) {
    const uint64_t mine = SeqOf(g.domain);
    if (g.seq > mine) behind += g.seq - mine;
  }
  return behind;
}

std::string GtidList::ToString() const {
  std::string out;
  for (const Gtid& g : gtids_) {
    if (!out.empty()) out += ',';
    out += fmt::format("{}-{}-{}", g.domain, g.server_id, g.seq);
  }
  return out;
}

}  // namespace mysqlset
