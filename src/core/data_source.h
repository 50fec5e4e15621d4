#pragma once
// Where `mysqlset clone` gets this member's datadir from. Pure: the caller inspected the
// data volume (InspectDatadir) and acts on the answer (agent/clone_step.h).

#include "core/data_state.h"

namespace mysqlset {

enum class DataSource {
  kKeep,       // a complete datadir is there: nothing to do
  kBootstrap,  // the primary has none: a fresh datadir, once no peer is found holding data
  kClone,      // a replica has none: a copy of a live peer's
  kRefuse,     // a datadir is there that is not known complete: write nothing over it
};

// kReady -> kKeep; no datadir (kEmpty, or kIncomplete once set aside) -> kBootstrap for the
// primary, kClone for a replica; kInstallCut and kUnmarked (InspectDatadir finishes or
// refuses those before asking) -> kRefuse.
DataSource ChooseDataSource(DataState state, bool is_primary);

}  // namespace mysqlset
