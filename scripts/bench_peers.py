#!/usr/bin/env python3
"""Time taskrender against the peers of ../shared/bench-peers in one run (same machine
state, same task sets, same timing code: bench.py's run_once, median of --runs).

usage: scripts/bench_peers.py WORKDIR [bench.py options, e.g. --sizes 10000 --runs 3
       --peers rust-floor-serde_yaml_ng,helm-one-render,taskrender]

WORKDIR is the folder ../shared/bench-peers/setup.sh filled. taskrender (the release
build in target/release) is added as the peer `taskrender`; its stdout goes to
WORKDIR/out/taskrender-N.yaml like every peer's output.
"""
import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = os.path.join(HERE, "..", "..", "shared", "bench-peers")
BINARY = os.path.abspath(os.path.join(HERE, "..", "target", "release", "taskrender"))

spec = importlib.util.spec_from_file_location("bench", os.path.join(PEERS, "bench.py"))
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)

original = bench.peers


def with_taskrender(work):
    return original(work) + [
        ("taskrender", ["sh", "-c", f"exec {BINARY} render {{T}} > {{O}}"], None),
    ]


bench.peers = with_taskrender
if __name__ == "__main__":
    sys.argv = [sys.argv[0]] + sys.argv[1:]
    bench.main()
