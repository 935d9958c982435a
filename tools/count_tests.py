#!/usr/bin/env python3
"""Counts test cases (not targets) in Bazel's test.xml files and prints `N passed, N failed`.

Usage: count_tests.py BAZEL_TESTLOGS_DIR. Exits 1 when any case failed or no case ran.
"""
import os
import sys
import xml.etree.ElementTree as ET


def main() -> int:
    root_dir = sys.argv[1]
    passed = failed = skipped = 0
    for dirpath, _, files in os.walk(root_dir):
        if "test.xml" not in files:
            continue
        try:
            tree = ET.parse(os.path.join(dirpath, "test.xml"))
        except ET.ParseError:
            failed += 1
            print(f"unreadable test.xml in {dirpath}", file=sys.stderr)
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
