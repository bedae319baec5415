#!/usr/bin/env python3
"""Flash and RAM of a firmware image, per library, from its GNU ld map.

Every input section that the linker kept (after --gc-sections) is
attributed to the archive or object it came from. It counts as one of:
  text  code and constants (.text, .rodata, the vector table): flash
  data  initialized variables: RAM, plus their initial values in flash
  bss   zeroed variables: RAM
Sections in .storage (the stand-in for the flash partitions of component
images) and padding between sections (*fill*) are left out of the
libraries and reported on their own lines.

Usage: size.py IMAGE.map [--markdown] [--objects] [--group NAME=REGEX ...]
Prints one line per library: name text data bss flash ram. Without
--group, libraries are named after their archive (libtk_suit.a ->
tk_suit), startup and image objects after their file. --objects splits
each library into its object files (tk_suit/suit_exec).
"""
import argparse
import re
import sys

OUTPUT = re.compile(r"^(\.[\w.]+)\s+0x[0-9a-f]+\s+0x[0-9a-f]+")
INPUT_ONE = re.compile(r"^ (\S+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$")
INPUT_HEAD = re.compile(r"^ (\S+)$")
INPUT_TAIL = re.compile(r"^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$")
FILL = re.compile(r"^ \*fill\*\s+0x[0-9a-f]+\s+0x([0-9a-f]+)")

KIND = {".isr_vector": "text", ".text": "text", ".ARM.exidx": "text",
        ".data": "data", ".bss": "bss", ".storage": "storage"}


def owner(path, objects=False):
    """Library name of an input file, or library/object with objects."""
    m = re.search(r"lib([\w-]+)\.a\(([\w.-]+?)(\.c)?\.obj\)", path)
    if m and objects:
        return f"{m.group(1)}/{m.group(2)}"
    m = re.search(r"lib([\w-]+)\.a\(", path)
    if m:
        return m.group(1)
    m = re.search(r"([\w-]+)\.c\.obj$", path)
    if m:
        return m.group(1)
    return path


def parse(map_path):
    """Yields (output section kind, input file, size)."""
    kind = None
    head = None
    started = False
    with open(map_path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("Linker script and memory map"):
                started = True
                continue
            if not started:
                continue
            m = OUTPUT.match(line)
            if m:
                kind = KIND.get(m.group(1))
                head = None
                continue
            if line and not line.startswith(" "):
                kind = KIND.get(line.split()[0]) if line.split() else None
                head = None
                continue
            if kind is None:
                continue
            m = FILL.match(line)
            if m:
                yield kind, "*fill*", int(m.group(1), 16)
                continue
            m = INPUT_ONE.match(line)
            if m and not m.group(4).startswith("0x"):
                yield kind, m.group(4), int(m.group(3), 16)
                head = None
                continue
            m = INPUT_HEAD.match(line)
            if m and not line.startswith(" *"):
                head = m.group(1)
                continue
            m = INPUT_TAIL.match(line)
            if m and head is not None and not m.group(3).startswith("0x"):
                yield kind, m.group(3), int(m.group(2), 16)
                head = None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("map")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--objects", action="store_true",
                    help="one line per object file of each library")
    ap.add_argument("--group", action="append", default=[],
                    metavar="NAME=REGEX",
                    help="sum the libraries matching REGEX as NAME")
    args = ap.parse_args()

    groups = []
    for item in args.group:
        name, _, rx = item.partition("=")
        groups.append((name, re.compile(rx)))

    totals = {}
    for kind, path, size in parse(args.map):
        if size == 0:
            continue
        lib = "(padding)" if path == "*fill*" else owner(path, args.objects)
        if kind == "storage":
            lib, kind = "(component storage)", "bss"
        for name, rx in groups:
            if rx.search(lib):
                lib = name
                break
        row = totals.setdefault(lib, {"text": 0, "data": 0, "bss": 0})
        row[kind] += size

    rows = sorted(totals.items(), key=lambda kv: -(kv[1]["text"] +
                                                  kv[1]["data"]))
    if args.markdown:
        print("| library | text | data | bss | flash | RAM |")
        print("|---|---:|---:|---:|---:|---:|")
    for lib, r in rows:
        flash, ram = r["text"] + r["data"], r["data"] + r["bss"]
        if args.markdown:
            print(f"| {lib} | {r['text']:,} | {r['data']:,} | {r['bss']:,} "
                  f"| {flash:,} | {ram:,} |")
        else:
            print(f"{lib} {r['text']} {r['data']} {r['bss']} {flash} {ram}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
