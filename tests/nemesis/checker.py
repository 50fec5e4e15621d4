"""The nemesis's checker: pure functions over the clients' history and what the members hold
after healing (no I/O; checker_test.py covers each violation). Each returns a list of
violations, one line each, empty when the check held.

An acknowledged write is a tuple (id, server_id, sent_mono, end_mono, sent_wall, end_wall):
the id, the server_id its own transaction read, and the monotonic and wall-clock times at
which COMMIT was sent and its OK received. The commit happened somewhere in that interval.
"""
import collections

Ack = collections.namedtuple("Ack", "id server_id sent end sent_wall end_wall")


def check_data(acked, unknown, failed, members):
    """members: {name: (ids, checksum, gtid_current_pos)}, every member read after healing.
    Returns (violations, lost per member, unknown ids committed on every member)."""
    v = []
    acked_ids = {a.id for a in acked}
    unknown, failed = set(unknown), set(failed)
    lost = {}
    held = {}
    for name, (ids, _, _) in sorted(members.items()):
        have = collections.Counter(ids)
        held[name] = set(have)
        twice = sorted(i for i, n in have.items() if n > 1)
        if twice:
            v.append(f"{name}: {len(twice)} id(s) twice, e.g. {twice[:3]}")
        missing = sorted(acked_ids - have.keys())
        if missing:
            lost[name] = len(missing)
            v.append(f"lost: {name} lacks {len(missing)} acknowledged id(s), e.g. {missing[:3]}")
        # An error before COMMIT was sent: the transaction cannot have committed (the server
        # rolls back the transaction of a session that ends).
        bad = sorted(failed & have.keys())
        if bad:
            v.append(f"{name}: {len(bad)} id(s) that failed before COMMIT are present, e.g. "
                     f"{bad[:3]}")
        stray = sorted(have.keys() - acked_ids - unknown - failed)
        if stray:
            v.append(f"{name}: {len(stray)} id(s) no writer sent, e.g. {stray[:3]}")
    committed = 0
    for u in sorted(unknown):
        where = [n for n in held if u in held[n]]
        if where and len(where) != len(held):
            v.append(f"unknown id {u} is on {','.join(where)} only")
        elif where:
            committed += 1
    if len({m[1] for m in members.values()}) > 1:
        v.append("CHECKSUM TABLE differs: " +
                 ", ".join(f"{n}={m[1]}" for n, m in sorted(members.items())))
    if len({m[2] for m in members.values()}) > 1:
        v.append("gtid_current_pos differs: " +
                 ", ".join(f"{n}={m[2]}" for n, m in sorted(members.items())))
    return v, lost, committed


def stints_from_history(history):
    """history: the store's history/<epoch> records, any order. Returns {name: [(start, end)]}
    in wall-clock seconds: epoch e runs from its since_unix_ms to the next epoch's."""
    h = sorted(history, key=lambda e: e["epoch"])
    out = collections.defaultdict(list)
    for i, e in enumerate(h):
        end = h[i + 1]["since_unix_ms"] / 1000 if i + 1 < len(h) else float("inf")
        out[e["name"]].append((e["since_unix_ms"] / 1000, end))
    return out


def check_acks_in_leadership(acked, history, sid_name):
    """Fencing makes leadership stints disjoint in real time (the old primary is read-only
    before anyone else takes the key; a new leader is writable only after its txn), so every
    acknowledged commit happened inside a stint of its own member. An ack whose interval
    meets none of them was acknowledged while another member led: two writers. 1 ms for
    since_unix_ms being truncated to whole milliseconds."""
    stints = stints_from_history(history)
    outside = []
    for a in acked:
        name = sid_name.get(a.server_id, f"server_id {a.server_id}")
        if not any(a.sent_wall - 0.001 <= end and a.end_wall + 0.001 >= start
                   for start, end in stints.get(name, [])):
            outside.append((a, name))
    if not outside:
        return []
    a, name = outside[0]
    return [f"two writers: {len(outside)} write(s) acknowledged by a member outside its "
            f"leadership, e.g. id {a.id} by {name} (commit sent at wall {a.sent_wall:.3f})"]


def definite_order(acked):
    """The server_ids of the acks in an order the clients alone can prove: acks sorted by OK
    time, without those whose interval overlaps an ack of another member (their order is
    unknown), runs of one member collapsed."""
    order = sorted(acked, key=lambda a: a.end)
    ambiguous = [False] * len(order)
    for i, x in enumerate(order):
        # Every earlier-ending ack that overlaps x ended after x's COMMIT was sent.
        j = i - 1
        while j >= 0 and order[j].end > x.sent:
            if order[j].server_id != x.server_id:
                ambiguous[i] = ambiguous[j] = True
            j -= 1
    seq = []
    for i, x in enumerate(order):
        if not ambiguous[i] and (not seq or seq[-1] != x.server_id):
            seq.append(x.server_id)
    return seq


def check_ack_order(acked, history, sid_name):
    """From the clients' side: each change of acknowledging member (in the definite order)
    needs a leader change, in the history's order, so the sequence of acknowledging members
    must be a subsequence of the history's leaders. Member A acking, then B, then A again
    with one leader change between is two writers."""
    seq = [sid_name.get(s, f"server_id {s}") for s in definite_order(acked)]
    leaders = [e["name"] for e in sorted(history, key=lambda e: e["epoch"])]
    k = 0
    for n in leaders:
        if k < len(seq) and seq[k] == n:
            k += 1
    if k == len(seq):
        return []
    return [f"two writers: the acknowledging members in order ({' '.join(seq)}) do not follow "
            f"the leader history ({' '.join(leaders)})"]


def worst_gap(ack_ends, lo, hi):
    """The longest time in [lo, hi] without an acknowledged write (sorted OK times)."""
    gap, prev = 0.0, lo
    for e in ack_ends:
        if e < lo:
            continue
        if e > hi:
            break
        gap = max(gap, e - prev)
        prev = e
    return max(gap, hi - prev)
