#pragma once
// The cluster's keys, as one List of the store returned them, turned into the view the role
// decision reads (core/leadership.h). Pure. A garbled value is left out of the view and
// named in `problems` (it is another agent's to rewrite; this one must not stop over it).

#include <string>
#include <vector>

#include "core/leadership.h"
#include "env/coord_store.h"
#include "formats/store_records.h"

namespace mysqlset {

struct ParsedClusterView {
  ClusterView view;
  std::vector<std::string> problems;  // "members/mysql-2: expected a JSON object"
};

ParsedClusterView ParseClusterView(const formats::StoreKeys& keys,
                                   const std::vector<StoredValue>& values);

// What an agent publishes as members/<name>.
MemberView MemberViewOf(const formats::MemberRecord& record);

}  // namespace mysqlset
