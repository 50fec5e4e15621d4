#!/usr/bin/env python3
"""The schedules are functions of the seed (`--seed N` replays a run) in both modes. No
cluster, no root: `/usr/bin/python3 tests/nemesis/schedule_test.py`, well under a second."""
import os
import random
import sys
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nemesis  # noqa: E402
import netns_nemesis  # noqa: E402


def kinds(mod, seed, n):
    return [mod.fault_type(f) for f in mod.make_schedule(random.Random(seed), n, 2, 10)]


class ScheduleTest(unittest.TestCase):
    def test_a_seed_replays_the_same_schedule(self):
        for mod in (nemesis, netns_nemesis):
            a = mod.make_schedule(random.Random(23), 30, 2, 10)
            b = mod.make_schedule(random.Random(23), 30, 2, 10)
            self.assertEqual(a, b, mod.__name__)

    def test_fewer_faults_replay_a_prefix(self):
        # `--seed N --faults K` replays the first K faults of seed N's longer run.
        for mod in (nemesis, netns_nemesis):
            long = mod.make_schedule(random.Random(567096675), 40, 2, 15)
            short = mod.make_schedule(random.Random(567096675), 7, 2, 15)
            self.assertEqual(long[:7], short, mod.__name__)

    def test_the_local_short_seed_keeps_its_schedule(self):
        # run.sh's short mode (seed 4) and the regression notes in README.md name its faults.
        self.assertEqual(kinds(nemesis, 4, 4), ["kill9 mariadbd primary", "kill9 mariadbd replica",
                                                "etcd kill9", "sigstop both replica"])

    def test_the_netns_short_seed_draws_partitions_and_a_full_disk(self):
        # run_netns.sh's short mode (seed 23): its first faults are the ones it exists for.
        self.assertEqual(kinds(netns_nemesis, 23, 5), ["disk-full", "part-pair", "part-pair",
                                                       "disk-full", "part-primary"])

    def test_every_netns_kind_is_drawn(self):
        drawn = {f["kind"] for f in netns_nemesis.make_schedule(random.Random(1), 200, 2, 10)}
        self.assertEqual(drawn, {k for k, _ in netns_nemesis.KINDS})

    def test_a_drawn_fault_names_only_what_it_needs(self):
        for f in netns_nemesis.make_schedule(random.Random(5), 200, 2, 10):
            self.assertGreaterEqual(f["duration"], 2)
            self.assertLessEqual(f["duration"], 10)
            if f["kind"] == "slow":
                self.assertIn(f["rate"], netns_nemesis.SLOW_RATES)
            if f["kind"] in ("part-replica", "disk-full"):
                self.assertIn(f["replica_index"], (0, 1))
            if f["kind"] == "part-etcd":
                self.assertIn(f["etcd_index"], (0, 1, 2))
            if "switchover_after" in f:
                self.assertLessEqual(f["switchover_after"], f["duration"])


if __name__ == "__main__":
    unittest.main()
