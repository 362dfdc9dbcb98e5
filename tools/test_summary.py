#!/usr/bin/env python3
"""Counts test cases from Bazel's results and prints `N passed, N failed` as the last line
(skipped cases, such as end-to-end tests whose client is missing, on the line before it).

Usage: test_summary.py RUN [RUN ...] where RUN is LOG:TESTLOGS_DIR, LOG being the output of one
`bazel test` invocation and TESTLOGS_DIR its testlogs directory. For each test target in a
log, the cases come from its test.xml (GoogleTest's report); a target without a readable report
counts as one case. A failed, timed-out or unbuilt target contributes at least one failure.
Extra checks that ran outside Bazel are passed as NAME=PASS or NAME=FAIL.
"""
import os
import re
import sys
import xml.etree.ElementTree as ET

LINE = re.compile(r"^(//\S+)\s+(?:\(cached\)\s+)?(PASSED|FAILED|FLAKY|TIMEOUT|NO STATUS|"
                  r"FAILED TO BUILD|SKIPPED|INCOMPLETE)\b")


def cases(xml_path):
    """Returns (passed, failed, skipped) from a JUnit XML file, or None."""
    try:
        root = ET.parse(xml_path).getroot()
    except (OSError, ET.ParseError):
        return None
    passed = failed = skipped = 0
    for case in root.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.get("status") == "notrun" or case.find("skipped") is not None or \
                case.get("result") == "skipped":
            skipped += 1
        else:
            passed += 1
    if passed + failed + skipped == 0:
        return None
    return passed, failed, skipped


def main(argv):
    passed = failed = skipped = 0
    failures = []
    for arg in argv:
        if "=" in arg and ":" not in arg:
            name, result = arg.split("=", 1)
            if result == "PASS":
                passed += 1
            else:
                failed += 1
                failures.append(name)
            continue
        log, testlogs = arg.split(":", 1)
        seen = set()
        with open(log, errors="replace") as f:
            for line in f:
                m = LINE.match(line.strip())
                if not m or m.group(1) in seen:
                    continue
                target, status = m.group(1), m.group(2)
                seen.add(target)
                pkg, _, name = target[2:].partition(":")
                xml = os.path.join(testlogs, pkg, name, "test.xml")
                counted = cases(xml)
                if status in ("PASSED", "FLAKY"):
                    p, fl, s = counted or (1, 0, 0)
                    passed += p
                    skipped += s
                    failed += fl
                elif status == "SKIPPED":
                    skipped += 1
                else:
                    p, fl, s = counted or (0, 1, 0)
                    passed += p
                    skipped += s
                    failed += max(fl, 1)
                    failures.append(target + " " + status)
    for f in failures:
        print("failed: " + f)
    if skipped:
        # On its own line: the last line is always `N passed, N failed`.
        print("%d skipped (not counted as passed)" % skipped)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
