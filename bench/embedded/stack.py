#!/usr/bin/env python3
"""Worst-case stack depth from GCC's call graph files.

Reads every .ci file (-fcallgraph-info=su, VCG format) under a build
folder: one node per function with its frame size from -fstack-usage and
its source file, one edge per call. For each root function it prints the
deepest call path and its total, with the frame of every function on it.

Calls through function pointers appear as the node __indirect_call:
  - made by the crypto backend (a source file matching --crypto-files),
    they may reach any function matching --crypto-indirect (random
    generators, cipher wrappers, entropy sources);
  - made elsewhere (the core libraries), they may reach any function
    matching --indirect, empty by default: the result is then the stack of
    the calling libraries alone, without crypto or platform callbacks.

Recursion: by default a call that closes a cycle is reported and not
followed, so each recursive cycle is counted once. --recursion NAME=N lets
NAME, and every function on a cycle with it, appear N times on a path,
for a recursion bounded to N levels. A
cycle of more than 16 functions is not searched path by path: it counts
as the sum of its frames, an upper bound.

Functions with no .ci node (newlib's memcpy, memset, libgcc helpers) are
listed as unknown and counted as 0 bytes.
"""
import argparse
import pathlib
import re
import sys

NODE = re.compile(r'node: \{ title: "([^"]+)" label: "([^"]*)"')
EDGE = re.compile(r'edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"')
FRAME = re.compile(r'\\n(\d+) bytes \((static|dynamic[^)]*)\)')
INDIRECT = "__indirect_call"
# Cycles up to this many functions are searched path by path. Larger ones
# appear when indirect calls are resolved broadly, and they are bounded by
# the sum of their frames.
EXACT_CYCLE_LIMIT = 16


class Graph:
    """Functions (by .ci title) with frame, name, file and callees."""

    def __init__(self, build):
        self.frame, self.name, self.file, self.calls = {}, {}, {}, {}
        for ci in sorted(pathlib.Path(build).rglob("*.ci")):
            text = ci.read_text(errors="replace")
            for title, label in NODE.findall(text):
                parts = label.split("\\n")
                self.name.setdefault(title, parts[0])
                m = FRAME.search(label)
                if not m:
                    continue
                if m.group(2) != "static":
                    sys.stderr.write(f"stack.py: {title} has a {m.group(2)} "
                                     "frame; its size is a lower bound\n")
                self.frame[title] = int(m.group(1))
                self.file[title] = parts[1].split(":")[0] if len(parts) > 1 else ""
            for src, dst in EDGE.findall(text):
                callees = self.calls.setdefault(src, [])
                if dst not in callees:
                    callees.append(dst)

    def title(self, name):
        """Title of the defined function called name."""
        if name in self.frame:
            return name
        for t in self.frame:
            if self.name.get(t) == name:
                return t
        raise SystemExit(f"stack.py: no function {name} in the call graph")

    def matching(self, regex):
        rx = re.compile(regex)
        return [t for t in self.frame if rx.search(self.name.get(t, t))]


class Analysis:
    def __init__(self, graph, indirect, crypto_files, crypto_indirect,
                 recursion):
        self.g = graph
        self.outer = graph.matching(indirect) if indirect else []
        self.inner = graph.matching(crypto_indirect) if crypto_indirect else []
        self.crypto_files = re.compile(crypto_files)
        self.recursion = recursion
        self.unknown = set()
        self.cycles = set()
        self.memo = {}
        self.large_cycles = set()
        self.component = self.find_components()

    def callees(self, t):
        """Callees of t with indirect calls resolved."""
        for callee in self.g.calls.get(t, []):
            if callee != INDIRECT:
                yield callee
            elif self.crypto_files.search(self.g.file.get(t, "")):
                yield from self.inner
            else:
                yield from self.outer

    def find_components(self):
        """Maps each title on a cycle of the resolved call graph to the set
        of titles of its cycle (Tarjan's strongly connected components,
        iterative)."""
        index, low, on_stack, stack, cyclic = {}, {}, set(), [], {}
        counter = 0
        for start in self.g.frame:
            if start in index:
                continue
            work = [(start, iter(list(self.callees(start))))]
            index[start] = low[start] = counter
            counter += 1
            stack.append(start)
            on_stack.add(start)
            while work:
                node, children = work[-1]
                advanced = False
                for child in children:
                    if child not in self.g.frame:
                        continue
                    if child == node:
                        cyclic.setdefault(node, frozenset([node]))
                    if child not in index:
                        index[child] = low[child] = counter
                        counter += 1
                        stack.append(child)
                        on_stack.add(child)
                        work.append((child, iter(list(self.callees(child)))))
                        advanced = True
                        break
                    if child in on_stack:
                        low[node] = min(low[node], index[child])
                if advanced:
                    continue
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        members = frozenset(component)
                        for member in component:
                            cyclic[member] = members
        return cyclic

    def cycle_bound(self, members):
        """Returns an upper bound for a large cycle: every frame of the
        cycle once, plus the deepest path that leaves it."""
        if members in self.memo:
            return self.memo[members]
        self.memo[members] = (0, [])  # a re-entry while computing: none
        best = (0, [])
        for t in members:
            for callee in self.callees(t):
                if callee in members:
                    continue
                sub = self.deepest(callee)
                if sub[0] > best[0]:
                    best = sub
        own = sum(self.g.frame[t] for t in members)
        self.large_cycles.add(len(members))
        label = f"(cycle of {len(members)} functions, each frame once)"
        result = (own + best[0], [(label, own)] + best[1])
        self.memo[members] = result
        return result

    def deepest(self, t, path=()):
        """(bytes, [(title, frame)]) of the deepest path from t. The result
        depends on the path only through the functions of t's own cycle on
        it, so it is kept per t and those functions."""
        if t not in self.g.frame:
            self.unknown.add(self.g.name.get(t, t))
            return (0, [])
        members = self.component.get(t, frozenset())
        if len(members) > EXACT_CYCLE_LIMIT:
            return self.cycle_bound(members)
        key = (t, tuple(sorted(x for x in path if x in members)))
        if key in self.memo:
            return self.memo[key]
        # A bound given for any function of the cycle applies to all of
        # them, so that the cycle is not cut at another function first.
        allowed = max([self.recursion.get(self.g.name.get(x, x), 1)
                       for x in members | {t}])
        if path.count(t) >= allowed:
            start = path.index(t)
            self.cycles.add(tuple(self.g.name.get(x, x)
                                  for x in path[start:] + (t,)))
            return (0, [])
        best = (0, [])
        for callee in self.callees(t):
            sub = self.deepest(callee, path + (t,))
            if sub[0] > best[0]:
                best = sub
        own = self.g.frame[t]
        result = (own + best[0], [(t, own)] + best[1])
        self.memo[key] = result
        return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("build", help="build folder with the .ci files")
    ap.add_argument("roots", nargs="+", help="functions to analyse")
    ap.add_argument("--indirect", default="",
                    help="regex of the functions that indirect calls of "
                         "the core may reach (default: none)")
    ap.add_argument("--crypto-files", default=r"mbedtls",
                    help="regex of the source paths of the crypto backend")
    ap.add_argument("--crypto-indirect",
                    default=r"^(tk_mbed_rng|mbedtls_(ctr|hmac)_drbg_random"
                            r"|mbedtls_entropy_func|tk_dev_test_entropy"
                            r"|aes_(crypt_ecb|crypt_ctr|setkey_enc|setkey_dec)"
                            r"_wrap|aes_ctx_(alloc|free)|gcm_aes_setkey_wrap"
                            r"|gcm_ctx_(alloc|free))$",
                    help="regex of the functions that indirect calls of the "
                         "crypto backend may reach")
    ap.add_argument("--recursion", action="append", default=[],
                    metavar="NAME=N", help="let NAME recurse N levels")
    ap.add_argument("--quiet", action="store_true",
                    help="print only one 'root bytes' line per root")
    args = ap.parse_args()

    sys.setrecursionlimit(20000)
    recursion = {}
    for item in args.recursion:
        name, _, n = item.partition("=")
        recursion[name] = int(n)

    g = Graph(args.build)
    an = Analysis(g, args.indirect, args.crypto_files, args.crypto_indirect,
                  recursion)

    for root in args.roots:
        total, path = an.deepest(g.title(root))
        if args.quiet:
            print(f"{root} {total}")
            continue
        print(f"{root}: {total} bytes")
        for t, own in path:
            where = pathlib.Path(g.file.get(t, "")).name
            print(f"  {own:6d}  {g.name.get(t, t)}  ({where})")

    if not args.quiet:
        for cycle in sorted(an.cycles):
            print("recursion cut: " + " -> ".join(cycle))
        for size in sorted(an.large_cycles):
            print(f"upper bound: a cycle of {size} functions counted with "
                  "every frame once")
        if an.unknown:
            print("not in the call graph (counted as 0): " +
                  ", ".join(sorted(an.unknown)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
