"""Memory under a long load: does the router's RSS stay flat?

    python -m bench.soak [--minutes 10] [--interval 30] [--operation bench] [--workers 1] [--cpus 1]
    python -m bench.soak --distinct 6000      # cycle through 6,000 generated operations
    make bench-soak SOAK_DISTINCT=6000 SOAK_ARGS='--minutes 10'

Starts the bench subgraphs (`bench/subgraphs/server.mjs`, needs `npm ci` in `bench/` once) and
one router on free ports, loads it with wrk exactly as `make bench` does (50 connections,
`UNIQUE=1`: every request carries a new variable value), and prints the router's RSS (all its
processes) every `--interval` seconds, then wrk's totals and the RSS slope: least squares over
the samples after the first minute (the warm-up, when caches fill), in MB per minute and as the
growth over the whole run. `--distinct N` sends N generated operations instead, in turn (each
a different document, so a different plan: more than the plan and document caches hold, so
that they fill and evict for the whole run). It is a benchmark, not a test: run it on a quiet machine and read
the slope, not the RPS.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
BODIES = {"bench": "body.json", "one-fetch": "one-fetch.body.json", "sequential": "sequential.body.json",
          "catalog": "catalog.body.json"}


PRODUCT = ("upc", "name", "price", "weight", "inStock", "shippingEstimate")
REVIEW = ("id", "body", "rating")
USER = ("id", "name", "username", "birthYear")


def _pick(fields: tuple[str, ...], bits: int) -> str:
    """The fields whose bit is set in `bits` (the first one when none is)."""
    chosen = [f for k, f in enumerate(fields) if bits >> k & 1] or [fields[0]]
    return " ".join(chosen)


def distinct_operations(n: int) -> list[bytes]:
    """`n` request bodies, each a different valid operation on the bench supergraph: the
    fields of each type picked by the bits of the index, one alias named after it (so no two
    documents are the same text), and one of three root selections (users' reviews and their
    products, the top products' reviews and authors, or both), so that plans differ in size
    and fetches as well as in text."""
    out: list[bytes] = []
    for i in range(n):
        p, r, u = _pick(PRODUCT, i * 7 + 1), _pick(REVIEW, i // 3 + 1), _pick(USER, i // 5 + 1)
        users = f"users {{ a{i}: id {u} reviews {{ {r} product {{ {p} }} }} }}"
        top = (f"topProducts(first: {1 + i % 5}) {{ {p} reviews {{ {r} author {{ {u} }} }} }}")
        root = (users, top, f"{users} {top}")[i % 3]
        out.append(json.dumps({"query": f"query Soak{i} {{ {root} }}", "operationName": f"Soak{i}"}).encode())
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def supergraph_on(port: int, directory: str) -> str:
    """The bench supergraph with its subgraph URLs moved to `port`, written into `directory`."""
    with open(os.path.join(HERE, "supergraph.graphql"), encoding="utf-8") as f:
        sdl = f.read()
    path = os.path.join(directory, "supergraph.graphql")
    with open(path, "w", encoding="utf-8") as f:
        f.write(sdl.replace("http://127.0.0.1:4200/", f"http://127.0.0.1:{port}/"))
    return path


def rss_mb(leader: int) -> float:
    """Resident memory of every process in `leader`'s process group (the router and its
    workers), in MB."""
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            if os.getpgid(int(pid)) != leader:
                continue
            with open(f"/proc/{pid}/status", encoding="ascii") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except (OSError, ValueError):
            continue
    return total / 1024


def cpu_seconds(leader: int) -> dict[int, float]:
    """CPU time (user + system) of each process in `leader`'s process group, by pid."""
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[int, float] = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            if os.getpgid(int(pid)) != leader:
                continue
            with open(f"/proc/{pid}/stat", encoding="ascii") as f:
                fields = f.read().rpartition(")")[2].split()
            out[int(pid)] = (int(fields[11]) + int(fields[12])) / tick
        except (OSError, ValueError, IndexError):
            continue
    return out


def slope(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB) samples, in MB per minute (0 for fewer than two)."""
    n = len(samples)
    if n < 2:
        return 0.0
    mt = sum(t for t, _ in samples) / n
    mv = sum(v for _, v in samples) / n
    var = sum((t - mt) ** 2 for t, _ in samples)
    if var == 0:
        return 0.0
    return sum((t - mt) * (v - mv) for t, v in samples) / var * 60


def _wait_ready(url: str, body: bytes, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            req = urllib.request.Request(url, body, {"content-type": "application/json", "accept": "application/json"})
            with urllib.request.urlopen(req, timeout=5) as r:
                answer = json.loads(r.read())
                if "errors" not in answer and answer.get("data"):
                    return
                # the subgraphs may not listen yet (node starts slower than the router)
                if time.monotonic() > deadline:
                    raise SystemExit(f"the router answers with errors: {str(answer)[:300]}")
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"no answer from {url} after {seconds:.0f} s") from None
        time.sleep(0.5)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stops a process started here with its own session (and so its workers), by its group."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--interval", type=float, default=30.0)
    ap.add_argument("--operation", default="bench", choices=sorted(BODIES))
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--cpus", default="1", help="taskset CPU list for the router ('' for none)")
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--distinct", type=int, default=0,
                    help="cycle through this many generated operations instead of --operation")
    args = ap.parse_args()
    for tool in ("wrk", "node"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} not found (wrk: apt-get install -y wrk)")
    if not os.path.isdir(os.path.join(HERE, "node_modules", "@apollo", "subgraph")):
        raise SystemExit("the bench subgraphs need their packages: (cd bench && npm ci)")
    body_path = os.path.join(HERE, "operations", BODIES[args.operation])
    with open(body_path, "rb") as f:
        body = f.read()
    started: list[subprocess.Popen[bytes]] = []
    summary = None
    cpu: dict[int, float] = {}
    samples: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        sub_port, port = free_port(), free_port()
        sub = subprocess.Popen(["node", "subgraphs/server.mjs"], cwd=HERE, start_new_session=True,
                               env={**os.environ, "SUBGRAPH_PORT": str(sub_port)},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started.append(sub)
        cmd = [sys.executable, "-m", "router", "--supergraph", supergraph_on(sub_port, tmp), "--port", str(port)]
        if args.workers > 1:
            cmd += ["--workers", str(args.workers)]
        if args.cpus and shutil.which("taskset"):
            cmd = ["taskset", "-c", args.cpus, *cmd]
        router = subprocess.Popen(cmd, cwd=os.path.dirname(HERE), start_new_session=True,
                                  stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "router.log"), "wb"))
        started.append(router)
        env = {**os.environ, "BENCH_BODY": body_path, "BENCH_UNIQUE": "1", "BENCH_THREADS": "1"}
        what = args.operation
        if args.distinct > 0:
            bodies = distinct_operations(args.distinct)
            env["BENCH_BODIES"] = os.path.join(tmp, "bodies.jsonl")
            with open(env["BENCH_BODIES"], "wb") as f:
                f.write(b"\n".join(bodies) + b"\n")
            body, what = bodies[0], f"{args.distinct} distinct operations"
        try:
            url = f"http://127.0.0.1:{port}/graphql"
            _wait_ready(url, body, 60)
            seconds = int(args.minutes * 60)
            wrk = subprocess.Popen(["wrk", "-t1", f"-c{args.connections}", f"-d{seconds}s", "--timeout", "10s",
                                    "-s", os.path.join(HERE, "load", "graphql.lua"), url],
                                   env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
            started.append(wrk)
            print(f"router pid {router.pid} on :{port}, {what}, {args.connections} connections, "
                  f"{args.minutes:g} min, workers {args.workers}, cpus {args.cpus or 'any'}")
            print(f"{'t (s)':>6} {'RSS (MB)':>9}")
            t0 = time.monotonic()
            while True:
                t = time.monotonic() - t0
                mb = rss_mb(router.pid)
                samples.append((t, mb))
                print(f"{t:6.0f} {mb:9.1f}", flush=True)
                if wrk.poll() is not None or router.poll() is not None:
                    break
                time.sleep(max(0.0, min(args.interval, seconds + 1 - t)))
            cpu = cpu_seconds(router.pid)
            out = wrk.communicate()[0].decode(errors="replace")
            summary = next((json.loads(line[len("BENCH_JSON "):]) for line in out.splitlines()
                            if line.startswith("BENCH_JSON ")), None)
            if router.poll() is not None:
                print("the router stopped during the run")
                return 1
        finally:
            for proc in reversed(started):
                _stop(proc)
    if summary is not None:
        print(f"wrk: {summary['requests']} requests, {summary['rps']:.0f} req/s, ok {summary['ok']}, "
              f"non-200 {summary['non200']}, GraphQL errors {summary['gql_errors']}, "
              f"p99 {summary['latency_ms']['p99']:.0f} ms")
    busy = {pid: sec for pid, sec in cpu.items() if sec >= 1}
    total = sum(busy.values())
    if len(busy) > 1 and total:  # the supervisor of --workers idles: only the workers are listed
        print("CPU per worker: " + ", ".join(f"pid {pid} {sec:.0f} s ({sec / total:.0%})"
                                              for pid, sec in sorted(busy.items())))
    steady = [s for s in samples if s[0] >= 60] or samples
    first, last = samples[0][1], samples[-1][1]
    print(f"RSS: start {first:.1f} MB, after warm-up {steady[0][1]:.1f} MB, end {last:.1f} MB, "
          f"max {max(v for _, v in samples):.1f} MB; slope after the first minute "
          f"{slope(steady):+.3f} MB/min ({len(steady)} samples)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
