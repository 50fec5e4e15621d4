#pragma once
// Where `mysqlset clone` gets this member's datadir from. Pure: the caller inspected the
// data volume (InspectDatadir) and read the store's `initialized` key, and acts on the
// answer (agent/clone_step.h).

#include "core/data_state.h"

namespace mysqlset {

enum class DataSource {
  kKeep,       // a complete datadir is there: nothing to do
  kBootstrap,  // ordinal 0 with none on a cluster never initialized: a fresh datadir, once no
               // peer is found holding data and it wins the create-if-absent of `initialized`
  kClone,      // any other member without data: a copy of a live peer's
  kRefuse,     // a datadir is there that is not known complete: write nothing over it
};

// What the coordination store says about the cluster's `initialized` key (docs/roles.md).
enum class Initialized {
  kNoStore,  // no store was given (--etcd unset): decided by the ordinal alone, as before
  kAbsent,   // nobody initialized the cluster yet
  kPresent,  // a member initialized it: data exists somewhere, so never bootstrap again
  // This member claimed it and was stopped before its bootstrap finished (the record still
  // says "bootstrapping"), and no member has led since: no data was ever made from the
  // claim, so it may bootstrap again (else every member would wait for ever for a donor).
  kOwnUnfinished,
};

// kReady -> kKeep; no datadir (kEmpty, or kIncomplete once set aside) -> kBootstrap for
// ordinal 0 unless the store says the cluster was initialized (kOwnUnfinished is not), else
// kClone; kInstallCut and
// kUnmarked (InspectDatadir finishes or refuses those before asking) -> kRefuse.
DataSource ChooseDataSource(DataState state, bool ordinal_zero, Initialized initialized);

}  // namespace mysqlset
