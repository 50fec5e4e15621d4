#pragma once
// Which peer a new replica clones from. Pure: the caller fetches each peer's /v1/status.
//
// The seed always streamed from ordinal N-1 without checking it. Here a member that is not
// ready is never a donor: a ready replica with the least lag is preferred (sparing the
// primary the load), then the primary if ready. Only when no peer could be asked at all
// (nothing reachable, e.g. agents not serving status yet) do we fall back to N-1.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mysqlset {

// The parts of a peer's /v1/status that donor choice reads.
struct PeerStatus {
  uint32_t ordinal = 0;
  bool is_primary = false;  // "role":"primary"
  bool ready = false;
  std::optional<double> lag_seconds;  // null: unknown
  std::string gtid;    // "gtid_current": what this peer has applied; "" when it holds no data
  std::string leader;  // whom it follows or is ("leader": "" none or unknown)
};

// `statuses[i]` is ordinal i's status, nullopt when it could not be fetched; the vector
// covers ordinals 0..self_ordinal-1 (a member clones from lower ordinals, which started
// first), or for ordinal 0 (cloning after its volume was lost, once the cluster was
// initialized) ordinals 1..N, its own slot 0 ignored. Returns the donors to try, best first:
//   1. ready replicas by lag ascending (unknown lag after known), ties by higher ordinal;
//   2. the ready primary;
//   3. if no status at all was fetched and self_ordinal > 0: {self_ordinal - 1}.
// Empty when peers answered but none is ready, or ordinal 0 reached none: wait and ask again.
// A peer whose leader is `self_name` (the member cloning, so a leader whose data is gone) is
// never a donor: in the seconds before it notices, it still says it is ready, and a clone
// of it would bring the lost leader back without what only the lost leader held.
std::vector<uint32_t> RankDonors(uint32_t self_ordinal,
                                 const std::vector<std::optional<PeerStatus>>& statuses,
                                 const std::string& self_name = "");

// The seed bootstrapped an empty ordinal 0 whenever its volume was empty. If that volume was
// lost while replicas kept theirs, the cluster then serves an empty database for writes and
// every replica fails against a primary that lacks their history. An empty primary therefore
// bootstraps only when no peer holds data. `statuses[i]` is ordinal i's status (nullopt: not
// reachable); ordinal 0's own slot is ignored. Returns the peer holding the most transactions
// (sum of its GTID sequence numbers; ties: lower ordinal), nullopt when none holds any.
std::optional<uint32_t> PeerHoldingData(const std::vector<std::optional<PeerStatus>>& statuses);

}  // namespace mysqlset
