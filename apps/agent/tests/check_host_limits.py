#!/usr/bin/env python3
"""Checks that every C file of the host build is compiled with the same
TK_EAT_MAX_MANIFESTS and TK_TEEP_MAX_TC_LIST, the limits that size
tk_eat_claims and tk_teep_message. A file compiled with another value, or
without the definition, would see structures of another size than the
libraries it calls: an ABI mismatch that no compiler or linker reports.

Usage: check_host_limits.py COMPILE_COMMANDS_JSON NAME=VALUE...
"""

import json
import re
import shlex
import sys


def definitions(entry):
    """Returns the -D definitions of one compile command as a dict."""
    if "arguments" in entry:
        args = entry["arguments"]
    else:
        args = shlex.split(entry["command"])
    found = {}
    for i, arg in enumerate(args):
        if arg == "-D" and i + 1 < len(args):
            arg = "-D" + args[i + 1]
        match = re.match(r"-D([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$", arg)
        if match:
            found.setdefault(match.group(1), []).append(match.group(2))
    return found


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        entries = json.load(f)
    expected = dict(arg.split("=", 1) for arg in argv[2:])
    checked = 0
    failures = []
    for entry in entries:
        if not entry["file"].endswith(".c"):
            continue
        checked += 1
        found = definitions(entry)
        for name, value in expected.items():
            if found.get(name) != [value]:
                failures.append(f"{entry['file']}: {name} is "
                                f"{found.get(name)}, expected [{value!r}]")
    for line in failures[:20]:
        print(line)
    if checked == 0:
        print("no C file in the compile commands")
        return 1
    if failures:
        print(f"{len(failures)} mismatches in {checked} files")
        return 1
    print(f"{checked} files compiled with {expected}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
