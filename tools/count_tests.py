#!/usr/bin/env python3
"""Counts test cases (not targets) and prints one line: `N passed, N failed`.

Usage: count_tests.py BAZEL_TESTLOGS_DIR < targets   (one label per line, e.g. //tests/authz:id_test)

Reads exactly the test.xml of each listed target, so stale logs of removed targets or earlier
--runs_per_test runs are never counted. A sharded target (shard_count) has no test.xml of its own
but one per shard, in shard_<i>_of_<n>/: those are read, all n of them (when both kinds are there,
after a change of shard_count, the most recently written set counts). A target without a test.xml
(it did not build or run) counts as one failed case. Exits 1 when any case failed or none passed.
"""
import os
import re
import sys
import xml.etree.ElementTree as ET

SHARD_DIR = re.compile(r"^shard_(\d+)_of_(\d+)$")


def result_files(target_dir: str) -> list:
    """The test.xml files holding a target's latest results ([] when there are none)."""
    candidates = []
    top = os.path.join(target_dir, "test.xml")
    if os.path.isfile(top):
        candidates.append([top])
    shards = {}
    try:
        entries = os.listdir(target_dir)
    except OSError:
        entries = []
    for entry in entries:
        m = SHARD_DIR.match(entry)
        if m:
            shards.setdefault(int(m.group(2)), []).append(os.path.join(target_dir, entry, "test.xml"))
    for count, files in shards.items():
        if len(files) == count:  # a missing shard directory: that set is incomplete
            candidates.append(sorted(files))
    if not candidates:
        return []

    def newest(files):
        return max((os.path.getmtime(f) for f in files if os.path.isfile(f)), default=0.0)

    return max(candidates, key=newest)


def main() -> int:
    logs = sys.argv[1]
    passed = failed = skipped = 0
    for label in sys.stdin.read().split():
        package, _, name = label.lstrip("/").partition(":")
        paths = result_files(os.path.join(logs, package, name)) or [
            os.path.join(logs, package, name, "test.xml")]
        trees = []
        for path in paths:
            try:
                trees.append(ET.parse(path))
            except (OSError, ET.ParseError) as err:
                trees = None
                failed += 1
                print(f"{label}: no readable test.xml ({err.__class__.__name__})", file=sys.stderr)
                break
        for tree in trees or []:
            for case in tree.iter("testcase"):
                if case.find("failure") is not None or case.find("error") is not None:
                    failed += 1
                elif case.find("skipped") is not None or case.get("status") == "notrun":
                    skipped += 1
                else:
                    passed += 1
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
