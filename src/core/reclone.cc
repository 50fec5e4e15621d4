#include "core/reclone.h"

#include <fmt/format.h>

namespace mysqlset {

RecloneVerdict DecideReclone(const RecloneInput& in, const ReclonePolicy& policy) {
  if (!in.errant && !in.diverged) return {false, ""};
  // A member with no leader to compare with and copy from keeps its data: it may hold the
  // newest history of all (the cold-start election decides that), and a clone needs a donor.
  if (in.leader.empty() || in.leader == in.self) return {false, "no other member leads"};
  if (in.forced_failover) return {false, "a forced failover is pending"};
  // The leader counts on the sync replica's acks; it designates another one first (an errant
  // member is never designated), so writes never wait on a member that is being re-cloned.
  if (in.sync == in.self) return {false, "still the designated sync replica"};
  if (in.failed_checks_in_a_row < policy.confirm_checks ||
      in.errant_for_seconds < policy.confirm_seconds) {
    return {false, fmt::format("confirming ({} of {} checks, {:.0f} of {:.0f} s)",
                               in.failed_checks_in_a_row, policy.confirm_checks,
                               in.errant_for_seconds, policy.confirm_seconds)};
  }
  const std::string what =
      in.errant
          ? fmt::format("errant GTIDs {} (transactions the primary {} never had)", in.errant_gtids,
                        in.leader)
          : fmt::format("its binlog diverged from the primary {}'s (IO error 1236)", in.leader);
  return {true, what + ": setting the datadir aside under DATA/ and re-cloning"};
}

}  // namespace mysqlset
