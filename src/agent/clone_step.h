#pragma once
// `mysqlset clone` after its flags are parsed: make this member's datadir usable. Inspects
// the data volume (InspectDatadir), reads the store's `initialized` key, asks core's
// ChooseDataSource, and keeps the datadir, bootstraps a fresh one (ordinal 0 of a cluster
// never initialized, once no peer holds data and it won the create-if-absent of
// `initialized`: docs/roles.md) or clones a peer's. All I/O goes through CloneEnv, so the
// choice and its order run in unit tests.

#include <chrono>
#include <string>
#include <vector>

#include "agent/clone_receiver.h"
#include "core/accounts.h"
#include "core/identity.h"
#include "core/topology.h"

namespace mysqlset {

// Where an empty primary looks for peers that hold data before it bootstraps.
struct PeerDataSources {
  PeerLayout layout;
  uint32_t peers_to_ask = 8;                 // ordinals 1..N, through their /v1/status
  std::vector<std::string> local_data_dirs;  // other members' data volumes on this machine
  std::string own_data_dir;  // self's data volume: its kept datadirs are named in refusals
};

// OK when the primary `self` (with no data) may bootstrap a fresh datadir: no peer's status
// shows GTIDs and no local peer volume holds a datadir (with or without its marker). Otherwise
// kFailedPrecondition naming the peer and what to do (see PeerHoldingData).
Status CheckNoPeerHoldsData(const FileSystem& fs, PeerStatusReader& peers,
                            const MemberIdentity& self, const PeerDataSources& sources);

struct CloneStepOptions {
  std::string data_dir;  // the data volume, absolute
  std::string conf_dir;  // init's option files: the redo log size a clone needs room for
  MemberIdentity self;
  PeerLayout layout;
  bool run_as_root = false;  // the bootstrap's and the clone's throwaway mariadbd must be told
  std::string cluster;       // the store's key prefix (formats::StoreKeys); "" = set name
  // The primary with no data: whom to ask before bootstrapping (see PeerDataSources).
  uint32_t peers_to_ask = 8;
  std::vector<std::string> peer_data_dirs;
  // A replica: see CloneReceiverOptions. Donors as given ("HOST:PORT"), parsed only for a
  // replica.
  std::vector<std::string> donors;
  int max_attempts = 5;
  std::chrono::milliseconds retry_delay{1000};
  // While no peer is a ready donor, ask again this often within that delay
  // (CloneReceiverOptions::donor_poll).
  std::chrono::milliseconds donor_poll{200};
  // The primary's bootstrap: see BootstrapOptions::template_cache_dir ("": off).
  std::string template_cache_dir;
  std::string use_memory = "256M";
};

// OK when the datadir is complete (it was, or was made so). Errors name what to do:
// DATA/mysql is a file, a datadir is unmarked, a peer holds data the primary lacks, the
// bootstrap or the clone failed.
Status RunCloneStep(CloneEnv& env, const CloneStepOptions& options, const Secrets& secrets);

}  // namespace mysqlset
