#include "agent/cluster_view.h"

#include <algorithm>

namespace mysqlset {

MemberView MemberViewOf(const formats::MemberRecord& r) {
  MemberView m;
  m.name = r.name;
  m.ordinal = r.ordinal;
  m.lease = r.lease;
  m.mysql_reachable = r.mysql_reachable;
  m.has_data = r.has_data;
  if (auto gtid = GtidList::Parse(r.gtid_binlog); gtid.ok()) {
    m.gtid_binlog = *gtid;
  } else {
    m.has_data = false;  // an unknown position can win nothing
  }
  m.replicating = r.replicating;
  m.lag_seconds = r.lag_seconds;
  m.semi_sync_replica = r.semi_sync_replica;
  m.role = r.role;
  m.received_from = r.received_from;
  m.received_epoch = r.received_epoch;
  if (auto io = GtidList::Parse(r.gtid_io); io.ok()) m.gtid_io = *io;
  if (auto errant = GtidList::Parse(r.errant_gtids); errant.ok()) {
    m.errant_gtids = *errant;
  } else {
    m.has_data = false;  // unknown errant transactions: never a candidate
  }
  return m;
}

ParsedClusterView ParseClusterView(const formats::StoreKeys& keys,
                                   const std::vector<StoredValue>& values) {
  ParsedClusterView out;
  ClusterView& view = out.view;
  auto problem = [&](const StoredValue& v, const Status& st) {
    out.problems.push_back(v.key + ": " + st.message());
  };
  for (const StoredValue& v : values) {
    if (v.key == keys.Leader() || v.key == keys.LastLeader()) {
      auto r = formats::FromJson<formats::LeaderRecord>(v.value);
      if (!r.ok()) {
        problem(v, r.status());
        continue;
      }
      const LeaderView leader{r->name, r->epoch, v.lease, v.mod_revision};
      if (v.key == keys.Leader()) {
        view.leader = leader;
      } else {
        view.last_leader = leader;
        view.last_leader_mod_revision = v.mod_revision;
      }
    } else if (v.key == keys.Initialized()) {
      auto r = formats::FromJson<formats::InitializedRecord>(v.value);
      if (r.ok()) {
        view.initialized_by = r->by;
      } else {
        problem(v, r.status());
      }
    } else if (v.key == keys.Switchover()) {
      auto r = formats::FromJson<formats::SwitchoverRequest>(v.value);
      if (!r.ok()) {
        problem(v, r.status());
        continue;
      }
      view.switchover_pending = r->state != "done" && r->state != "failed";
      if (view.switchover_pending) {
        view.switchover_from = r->from;
        view.switchover_to = r->to;
      }
    } else if (v.key == keys.Sync()) {
      auto r = formats::FromJson<formats::SyncRecord>(v.value);
      if (!r.ok()) {
        problem(v, r.status());
        continue;
      }
      view.sync = r->name;
      view.sync_mod_revision = v.mod_revision;
    } else if (v.key == keys.ForcedFailover()) {
      auto r = formats::FromJson<formats::ForcedFailover>(v.value);
      if (r.ok()) {
        view.forced_failover_to = r->to;
      } else {
        problem(v, r.status());
      }
    } else if (v.key.rfind(keys.HistoryPrefix(), 0) == 0) {
      auto r = formats::FromJson<formats::HistoryRecord>(v.value);
      if (!r.ok()) {
        problem(v, r.status());
        continue;
      }
      // Keys sort by epoch, but a List() need not return them in order: keep the newest.
      if (!view.last_epoch || r->epoch > view.last_epoch->epoch) {
        view.last_epoch = EpochView{r->epoch, r->name, r->from, r->reason, r->since_unix_ms};
      }
    } else if (v.key.rfind(keys.MembersPrefix(), 0) == 0) {
      auto r = formats::FromJson<formats::MemberRecord>(v.value);
      if (r.ok()) {
        view.members.push_back(MemberViewOf(*r));
        view.members.back().record_revision = v.mod_revision;
      } else {
        problem(v, r.status());
      }
    }
  }
  std::sort(view.members.begin(), view.members.end(),
            [](const MemberView& a, const MemberView& b) { return a.ordinal < b.ordinal; });
  return out;
}

}  // namespace mysqlset
