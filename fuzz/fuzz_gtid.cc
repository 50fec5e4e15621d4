// Fuzzes GTID list parsing (core/gtid): gtid_current_pos from servers, the clone record,
// backup binlog info. An accepted list must print and re-parse to itself.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/gtid.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto list = mysqlset::GtidList::Parse(text);
  if (!list.ok()) {
    CHECK(list.status().code() == mysqlset::StatusCode::kInvalidArgument);
    return 0;
  }
  const std::string printed = list->ToString();
  auto again = mysqlset::GtidList::Parse(printed);
  CHECK(again.ok());
  CHECK(*again == *list);
  CHECK(again->ToString() == printed);
  CHECK(list->Covers(*list));
  CHECK(list->TransactionsBehind(*list) == 0);
  CHECK(list->Covers(mysqlset::GtidList()));
  for (size_t i = 1; i < list->gtids().size(); ++i) {
    CHECK(list->gtids()[i - 1].domain < list->gtids()[i].domain);
  }
  return 0;
}
