// Fuzzes status JSON both ways.
//  - Parsing what a peer's agent answers on /v1/status (formats/agent_status FromJson), as
//    donor choice uses it (agent/clone_receiver PeerStatusOf, then core/donor RankDonors),
//    and the other documents the local CLI reads: clone progress and the supervisor's
//    state file (formats/clone_progress, formats/supervisor_state).
//  - Producing it: agent/status_report StatusJsonText from a snapshot whose strings come
//    from outside (MariaDB error texts, hosts) must serialise, and parse back to the same
//    readiness, role and lag.
// The first byte picks the direction.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/clone_receiver.h"
#include "agent/status_report.h"
#include "core/donor.h"
#include "formats/agent_status.h"
#include "formats/clone_progress.h"
#include "formats/supervisor_state.h"
#include "local/cluster_report.h"

namespace {

void Parse(const std::string& body, uint8_t self) {
  using namespace mysqlset::formats;
  std::vector<std::optional<mysqlset::PeerStatus>> peers;
  auto status = FromJson<AgentStatus>(body);
  std::optional<mysqlset::PeerStatus> peer;
  if (status.ok()) peer = mysqlset::PeerStatusOf(*status);
  for (uint32_t i = 0; i < 1u + self % 4; ++i) peers.push_back(peer);
  const uint32_t self_ordinal = static_cast<uint32_t>(peers.size());
  const auto ranked = mysqlset::RankDonors(self_ordinal, peers);
  for (uint32_t d : ranked) CHECK(d < self_ordinal);
  if (peer && !peer->ready) CHECK(ranked.empty());

  auto progress = FromJson<CloneProgress>(body);
  if (progress.ok()) (void)mysqlset::local::RenderCloneProgress(*progress);
  auto state = FromJson<SupervisorState>(body);
  if (state.ok()) {
    auto again = FromJson<SupervisorState>(ToJson(*state));
    CHECK(again.ok());
    CHECK(again->members.size() == state->members.size());
  }
}

void Produce(FuzzedDataProvider& in) {
  mysqlset::AgentConfig config;
  config.id = {"mysql-1", "mysql", 1, 101};
  config.policy.max_lag_seconds = in.ConsumeIntegral<int64_t>();
  mysqlset::AgentSnapshot snap;
  snap.role = in.ConsumeBool() ? mysqlset::Role::kPrimary : mysqlset::Role::kReplica;
  snap.readiness.ready = in.ConsumeBool();
  for (int i = in.ConsumeIntegralInRange(0, 3); i > 0; --i) {
    snap.readiness.reasons.push_back(in.ConsumeRandomLengthString(200));
  }
  mysqlset::ServerState& s = snap.state;
  s.reachable = in.ConsumeBool();
  s.unreachable_reason = in.ConsumeRandomLengthString(200);
  s.read_only = in.ConsumeBool();
  if (in.ConsumeBool()) {
    mysqlset::ReplicaStatus r;
    r.source_host = in.ConsumeRandomLengthString(64);
    r.source_port = in.ConsumeIntegral<uint16_t>();
    r.source_user = in.ConsumeRandomLengthString(32);
    r.last_io_errno = in.ConsumeIntegral<uint32_t>();
    r.last_io_error = in.ConsumeRandomLengthString(300);
    r.last_sql_errno = in.ConsumeIntegral<uint32_t>();
    r.last_sql_error = in.ConsumeRandomLengthString(300);
    if (in.ConsumeBool()) r.seconds_behind = in.ConsumeIntegral<int64_t>();
    r.gtid_io_pos = in.ConsumeRandomLengthString(64);
    s.replica = r;
  }
  snap.last_error = in.ConsumeRandomLengthString(300);
  snap.replication_error = in.ConsumeRandomLengthString(300);
  snap.last_actions.push_back(in.ConsumeRandomLengthString(100));
  if (in.ConsumeBool()) {
    snap.clone = mysqlset::formats::CloneRecord{in.ConsumeRandomLengthString(64), "", "0-100-7",
                                                in.ConsumeIntegral<uint64_t>(),
                                                in.ConsumeFloatingPoint<double>()};
  }
  mysqlset::BackupStats backup;
  backup.bytes_sent = in.ConsumeIntegral<uint64_t>();
  const double age = in.ConsumeFloatingPoint<double>();

  const std::string body = mysqlset::StatusJsonText(config, snap, backup, age);
  auto status = mysqlset::formats::FromJson<mysqlset::formats::AgentStatus>(body);
  CHECK(status.ok());
  CHECK(status->ready == snap.readiness.ready);
  const mysqlset::PeerStatus peer = mysqlset::PeerStatusOf(*status);
  // A donor is always a ready member; a ready one is a donor unless it serves stale reads or
  // waits for an election (PeerStatusOf).
  const bool donor_exception =
      !status->stale_reads.empty() || status->decision == "wait" || status->decision == "campaign";
  CHECK(!peer.ready || snap.readiness.ready);
  CHECK(peer.ready == snap.readiness.ready || donor_exception);
  CHECK(peer.is_primary == (snap.role == mysqlset::Role::kPrimary));
  CHECK(peer.ordinal == 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  if (data[0] % 2 == 0) {
    Parse(std::string(reinterpret_cast<const char*>(data + 1), size - 1), data[0] / 2);
  } else {
    FuzzedDataProvider in(data + 1, size - 1);
    Produce(in);
  }
  return 0;
}
