#!/usr/bin/env python3
"""Each check of checker.py fails on the history it exists to catch (and holds on a good one).
No cluster: runs in well under a second (`/usr/bin/python3 tests/nemesis/checker_test.py`)."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checker import (Ack, check_ack_order, check_acks_in_leadership, check_data,  # noqa: E402
                     worst_gap)

SIDS = {100: "mysql-0", 101: "mysql-1", 102: "mysql-2"}
# mysql-0 leads from wall 1000 s, mysql-1 from 1010 s (a failover), mysql-0 from 1020 s.
HISTORY = [{"epoch": 1, "name": "mysql-0", "since_unix_ms": 1_000_000},
           {"epoch": 2, "name": "mysql-1", "since_unix_ms": 1_010_000},
           {"epoch": 3, "name": "mysql-0", "since_unix_ms": 1_020_000}]


def ack(i, sid, t, d=0.01):
    """An ack of id i by server sid whose COMMIT was sent at wall t (monotonic = wall - 900)."""
    return Ack(i, sid, t - 900, t - 900 + d, t, t + d)


GOOD = [ack(1, 100, 1001), ack(2, 100, 1009), ack(3, 101, 1011), ack(4, 101, 1019),
        ack(5, 100, 1021)]


def members(ids, checksum=7, gtid="0-100-9"):
    return {n: (list(ids), checksum, gtid) for n in ("mysql-0", "mysql-1", "mysql-2")}


class CheckData(unittest.TestCase):
    def test_good_history_holds(self):
        v, lost, committed = check_data(GOOD, [6, 7], [8], members([1, 2, 3, 4, 5, 6]))
        self.assertEqual(v, [])
        self.assertEqual(lost, {})
        self.assertEqual(committed, 1)  # 6 on every member; 7 on none

    def test_lost_ack(self):
        m = members([1, 2, 3, 4, 5])
        m["mysql-2"] = ([1, 2, 3, 4], 7, "0-100-9")
        v, lost, _ = check_data(GOOD, [], [], m)
        self.assertEqual(lost, {"mysql-2": 1})
        self.assertIn("lost: mysql-2 lacks 1 acknowledged id(s), e.g. [5]", v)

    def test_id_twice(self):
        v, _, _ = check_data(GOOD, [], [], members([1, 2, 3, 4, 5, 5]))
        self.assertTrue(any("id(s) twice" in x for x in v), v)

    def test_unknown_on_some_members_only(self):
        m = members([1, 2, 3, 4, 5])
        m["mysql-1"] = ([1, 2, 3, 4, 5, 6], 7, "0-100-9")
        v, _, _ = check_data(GOOD, [6], [], m)
        self.assertIn("unknown id 6 is on mysql-1 only", v)

    def test_failed_before_commit_but_present(self):
        v, _, _ = check_data(GOOD, [], [6], members([1, 2, 3, 4, 5, 6]))
        self.assertTrue(any("failed before COMMIT" in x for x in v), v)

    def test_checksum_and_gtid_differ(self):
        m = members([1, 2, 3, 4, 5])
        m["mysql-0"] = ([1, 2, 3, 4, 5], 8, "0-100-10")
        v, _, _ = check_data(GOOD, [], [], m)
        self.assertTrue(any(x.startswith("CHECKSUM TABLE differs") for x in v), v)
        self.assertTrue(any(x.startswith("gtid_current_pos differs") for x in v), v)


class TwoWriters(unittest.TestCase):
    def test_good_history_holds(self):
        self.assertEqual(check_acks_in_leadership(GOOD, HISTORY, SIDS), [])
        self.assertEqual(check_ack_order(GOOD, HISTORY, SIDS), [])

    def test_old_primary_acks_after_failover(self):
        bad = GOOD + [ack(9, 100, 1012)]  # mysql-0 while mysql-1 leads
        self.assertEqual(len(check_acks_in_leadership(bad, HISTORY, SIDS)), 1)

    def test_alternating_members_need_leader_changes(self):
        # mysql-1 acks between two mysql-0 acks while the history has mysql-0 only.
        one = HISTORY[:1]
        bad = [ack(1, 100, 1001), ack(2, 101, 1002), ack(3, 100, 1003)]
        self.assertEqual(len(check_ack_order(bad, one, SIDS)), 1)
        self.assertEqual(len(check_acks_in_leadership(bad, one, SIDS)), 1)

    def test_overlapping_acks_have_no_order(self):
        # A slow OK from the old primary that overlaps the new one's first ack proves nothing.
        fine = [ack(1, 100, 1009.9, 0.3), ack(2, 101, 1010.1, 0.05), ack(3, 101, 1011)]
        self.assertEqual(check_ack_order(fine, HISTORY, SIDS), [])
        self.assertEqual(check_acks_in_leadership(fine, HISTORY, SIDS), [])


class Gap(unittest.TestCase):
    def test_worst_gap(self):
        self.assertAlmostEqual(worst_gap([1, 2, 5, 6], 1.5, 7), 3.0)
        self.assertAlmostEqual(worst_gap([1, 2], 1.5, 7), 5.0)  # nothing after 2


if __name__ == "__main__":
    unittest.main()
