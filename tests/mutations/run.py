#!/usr/bin/env python3
"""Shows that the tests can fail: each mutation in mutations.json breaks
deckpulse on purpose (one line replaced), and the tests it names must fail
against that build. Not part of the test command (a build per mutation,
about a minute each); run it after changing a test or the code it guards:

  tests/mutations/run.py            every mutation
  tests/mutations/run.py M01 M07    some of them

For each mutation: a copy of the working tree's sources in a scratch
directory, the line replaced (the mutation fails loudly if the line is no
longer there: update mutations.json with the code), a build without
sanitizers (cmake, RelWithDebInfo), then each test run against it with
DP_SERVER/DP_COLLECTOR/DP_NOTIFIER pointing at the mutant. "caught" when at least one
test fails, "SURVIVED" otherwise (then the test is not proving what it
claims). Exit 1 when any mutation survived."""

import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "..", ".."))
COPY = ["CMakeLists.txt", "server", "collector", "notifier", "lib", "include", "dashboards",
        "bench",
        "beacon/src", "beacon/dist", "beacon/test", "beacon/build.js", "beacon/package.json",
        "tests"]


def build(tree, out):
    subprocess.run(["cmake", "-S", tree, "-B", out, "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
                    "-DDP_TESTS=OFF"], check=True, stdout=subprocess.DEVNULL)
    r = subprocess.run(["cmake", "--build", out, "-j%d" % (os.cpu_count() or 2)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("build failed:\n" + r.stdout[-2000:] + r.stderr[-2000:])


def run_test(cmd, out, tree):
    env = dict(os.environ, DP_SERVER=os.path.join(out, "deckpulse-server"),
               DP_COLLECTOR=os.path.join(out, "deckpulse-collector"),
               DP_NOTIFIER=os.path.join(out, "deckpulse-notifier"),
               DP_LOADGEN=os.path.join(out, "deckpulse-loadgen"),
               DP_REDIS_SERVER=shutil.which("redis-server") or "redis-server",
               DP_SOURCE_DIR=SRC)
    argv = cmd.split()
    if argv[0].endswith(".js"):
        # the beacon's tests load ../src/beacon.js: run the mutant copy's
        argv = ["node", "--test"] + argv[1:] + [os.path.join(tree, argv[0])]
        cwd = os.path.join(tree, "beacon")
        if not os.path.exists(os.path.join(cwd, "node_modules")):
            os.symlink(os.path.join(SRC, "beacon", "node_modules"), os.path.join(cwd, "node_modules"))
    else:
        argv = [sys.executable] + [os.path.join(SRC, argv[0])] + argv[1:]
        cwd = os.path.join(SRC, "tests", "integration")
    r = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    lines = [l for l in (r.stdout + r.stderr).splitlines()
             if l.startswith(("FAIL", "not ok", "Traceback", "AssertionError"))]
    return r.returncode != 0, lines[:3]


def main():
    muts = json.load(open(os.path.join(HERE, "mutations.json")))
    want = set(sys.argv[1:])
    scratch = tempfile.mkdtemp(prefix="dp-mut-")
    # the build inside the copy, as in a checkout: the server finds the
    # copy's dashboards one level up from its binary
    tree = os.path.join(scratch, "src")
    out = os.path.join(tree, "build")
    survived = []
    try:
        for p in COPY:
            s, d = os.path.join(SRC, p), os.path.join(tree, p)
            if os.path.isdir(s):
                shutil.copytree(s, d, ignore=shutil.ignore_patterns("node_modules"))
            else:
                os.makedirs(os.path.dirname(d), exist_ok=True)
                shutil.copy(s, d)
        for m in muts:
            if want and m["id"] not in want:
                continue
            # one mutation at a time: the file is written afresh, so its
            # mtime is new and the incremental build picks it up
            path = os.path.join(tree, m["file"])
            text = open(os.path.join(SRC, m["file"])).read()
            if text.count(m["from"]) != 1:
                print("%s: the line is not in %s once: update mutations.json" % (m["id"], m["file"]))
                survived.append(m["id"])
                continue
            open(path, "w").write(text.replace(m["from"], m["to"]))
            try:
                build(tree, out)
                print("%s  %s — %s" % (m["id"], m["file"], m["what"]), flush=True)
                caught = False
                for t in m["tests"]:
                    failed, why = run_test(t, out, tree)
                    caught |= failed
                    print("    %-40s %s %s" % (t, "fails" if failed else "passes",
                                               why[0][:160] if why else ""), flush=True)
                print("    %s" % ("caught" if caught else "SURVIVED"), flush=True)
                if not caught:
                    survived.append(m["id"])
            finally:
                open(path, "w").write(text)  # back to the original, with a new mtime
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if survived:
        print("survived: " + " ".join(survived))
        sys.exit(1)


if __name__ == "__main__":
    main()
