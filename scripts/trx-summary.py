#!/usr/bin/env python3
"""Prints 'N passed, M failed[, K skipped]' summed over every TRX file under a folder.

A test project that crashed before writing its TRX counts as one failure, so a broken run can
never print '0 failed'."""
import glob
import os
import sys
import xml.etree.ElementTree as ET

NS = "{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}"


def main(folder: str) -> int:
    passed = failed = skipped = 0
    files = sorted(glob.glob(os.path.join(folder, "**", "*.trx"), recursive=True))
    expected = os.environ.get("CHRONIK_EXPECTED_TRX")
    for path in files:
        try:
            root = ET.parse(path).getroot()
        except ET.ParseError:
            failed += 1
            continue
        for result in root.iter(NS + "UnitTestResult"):
            outcome = result.get("outcome", "")
            if outcome == "Passed":
                passed += 1
            elif outcome == "NotExecuted":
                skipped += 1
            else:
                failed += 1
    if expected is not None:
        failed += max(0, int(expected) - len(files))
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "artifacts/test-results"))
