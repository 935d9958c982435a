#!/usr/bin/env python3
"""Counts test cases (not targets) and prints one line: `N passed, N failed`.

Usage: count_tests.py BAZEL_TESTLOGS_DIR < targets   (one label per line, e.g. //tests/authz:id_test)

Reads exactly the test.xml of each listed target, so stale logs of removed targets or earlier
--runs_per_test runs are never counted. A target without a test.xml (it did not build or run)
counts as one failed case. Exits 1 when any case failed or none passed.
"""
import os
import sys
import xml.etree.ElementTree as ET


def main() -> int:
    logs = sys.argv[1]
    passed = failed = skipped = 0
    for label in sys.stdin.read().split():
        package, _, name = label.lstrip("/").partition(":")
        path = os.path.join(logs, package, name, "test.xml")
        try:
            tree = ET.parse(path)
        except (OSError, ET.ParseError) as err:
            failed += 1
            print(f"{label}: no readable test.xml ({err.__class__.__name__})", file=sys.stderr)
            continue
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
