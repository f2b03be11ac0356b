#!/usr/bin/env python3
"""Which source file uses which, measured on the built objects: for every
object file of the libraries and daemons, the symbols it defines and the
ones it uses (nm); file A depends on file B when A uses a symbol B
defines. Prints the dependency loops (strongly connected components of
more than one file) and the uses that go against the layers.

  scripts/layers.py BUILD_DIR            print the loops and the layer breaches
  scripts/layers.py BUILD_DIR --check    also exit 1 unless they are exactly
                                         the ones tests/layers.allowed lists

The layers, lowest first (USES says which folder may use which):

  lib/ (the core) <- collector/, notifier/
  lib/ <- server/http/ <- server/auth/ <- server/ingest/, server/reports/,
                                          server/alerts/
                       <- server/ops/ <- server/app/

The feature folders (ingest, reports, ops, alerts) do not use each other; only
server/app/ wires them together. A loop that must stay for a while can be
listed in tests/layers.allowed (it lists none); the check fails on any other
loop, on a file joining a listed one, and on a breach, so the layering can
only get better."""

import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, ".."))
ALLOWED = os.path.join(ROOT, "tests", "layers.allowed")
USES = {
    "lib": set(),
    "collector": {"lib"},
    "notifier": {"lib"},
    "server/http": {"lib"},
    "server/auth": {"lib", "server/http"},
    "server/ingest": {"lib", "server/http", "server/auth"},
    "server/reports": {"lib", "server/http", "server/auth"},
    "server/ops": {"lib", "server/http"},
    "server/alerts": {"lib", "server/http", "server/auth"},
    "server/app": {"lib", "server/http", "server/auth", "server/ingest", "server/reports",
                   "server/ops", "server/alerts"},
}


def folder(src):
    """server/ingest/spool.c -> server/ingest; lib/buf.c -> lib."""
    parts = src.split("/")
    return "/".join(parts[:2]) if parts[0] == "server" else parts[0]


def objects(build):
    out = []
    dirs = [d for d in sorted(os.listdir(os.path.join(build, "CMakeFiles")))
            if d.startswith(("deckpulse", "dp_")) and d.endswith(".dir")]
    for d in dirs:
        base = os.path.join(build, "CMakeFiles", d)
        for dirpath, _, files in os.walk(base):
            for f in files:
                if f.endswith(".c.o"):
                    p = os.path.join(dirpath, f)
                    src = os.path.relpath(p, base)[:-2]  # lib/redis.c
                    if os.path.exists(os.path.join(ROOT, src)):  # not a moved file's old object
                        out.append((src, p))
    return sorted(out)


def symbols(path):
    r = subprocess.run(["nm", "--defined-only", path], capture_output=True, text=True, check=True)
    defined = {l.split()[-1] for l in r.stdout.splitlines()
               if len(l.split()) == 3 and l.split()[1] in "TDBRVW"}
    r = subprocess.run(["nm", "--undefined-only", path], capture_output=True, text=True, check=True)
    used = {l.split()[-1] for l in r.stdout.splitlines() if l.strip()}
    return defined, used


def graph(build):
    objs = objects(build)
    if not objs:
        sys.exit("no object files under %s/CMakeFiles: build it first" % build)
    owner, uses = {}, {}
    for src, p in objs:
        d, u = symbols(p)
        for s in d:
            owner.setdefault(s, src)
        uses[src] = u
    edges = {src: set() for src, _ in objs}
    for src, u in uses.items():
        for s in u:
            o = owner.get(s)
            if o and o != src:
                edges[src].add(o)
    return edges


def loops(edges):
    """Tarjan's strongly connected components of more than one file."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return sorted(out)


def breaches(edges):
    out = []
    for a, bs in sorted(edges.items()):
        fa = folder(a)
        for b in sorted(bs):
            fb = folder(b)
            if fa != fb and fb not in USES.get(fa, set()):
                out.append("%s uses %s" % (a, b))
    return out


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    build, check = sys.argv[1], "--check" in sys.argv[2:]
    edges = graph(build)
    found = loops(edges)
    bad = breaches(edges)
    print("%d files, %d uses between them" % (len(edges), sum(len(v) for v in edges.values())))
    for comp in found:
        print("loop of %d files: %s" % (len(comp), " ".join(comp)))
    for b in bad:
        print("layer breach: " + b)
    if not check:
        return
    allowed = []
    if os.path.exists(ALLOWED):
        for line in open(ALLOWED):
            line = line.split("#", 1)[0].split()
            if line:
                allowed.append(sorted(line))
    unexpected = [c for c in found if c not in allowed]
    gone = [c for c in allowed if c not in found]
    ok = True
    for c in unexpected:
        ok = False
        print("FAIL: a loop that tests/layers.allowed does not list: %s" % " ".join(c))
    for c in gone:
        ok = False
        print("FAIL: tests/layers.allowed lists a loop that is no longer there (good: take "
              "it out): %s" % " ".join(c))
    if bad:
        ok = False
        print("FAIL: %d use(s) against the layers" % len(bad))
    if not ok:
        sys.exit(1)
    print("the layering is as allowed")


if __name__ == "__main__":
    main()
