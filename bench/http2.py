#!/usr/bin/env python3
"""Is HTTP/2 worth it? Fetch a set's index pages all at once over HTTP/1.1 and over HTTP/2.

    python3 bench/http2.py                      # the xlarge set's pages, 5 alternating runs
    python3 bench/http2.py --set large --runs 3

The projects are the set's resolution (``spoke compile`` of ``bench/sets/SET.txt``, from the
tools venv, into a scratch cache). Each run asks the index for every project's PEP 691 page at
once, two ways, alternating:

* HTTP/1.1 over 16 threads with urllib3, one pooled connection per thread (what spoke does);
* HTTP/2 with httpx (``http2=True``): one multiplexed connection, all requests in flight on an
  asyncio loop (what an HTTP/2 client in spoke would do at best). A run that the server answers
  in HTTP/1.1 is reported as such: then the index does not speak HTTP/2.

httpx and h2 are installed into the tools venv on first use (spoke itself does not need them).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from benchkit.hermetic import hermetic_env  # noqa: E402
from benchkit.process import run_subprocess  # noqa: E402
from benchkit.tools import DEFAULT_INDEX, bootstrap_tools  # noqa: E402

#: What runs in the tools venv: the two fetchers, timed, the medians printed.
FETCH = r'''
import asyncio, statistics, sys, time
from concurrent.futures import ThreadPoolExecutor
import httpx, urllib3
index, runs, names = sys.argv[1].rstrip("/"), int(sys.argv[2]), sys.argv[3:]
accept = {"Accept": "application/vnd.pypi.simple.v1+json"}
def http11():
    pool = urllib3.PoolManager(maxsize=16)
    def get(name):
        answer = pool.request("GET", f"{index}/{name}/", headers=accept)
        assert answer.status == 200, (name, answer.status)
        return len(answer.data)
    with ThreadPoolExecutor(16) as workers:
        return sum(workers.map(get, names)), "HTTP/1.1"
async def http2():
    async with httpx.AsyncClient(http2=True) as client:
        async def get(name):
            answer = await client.get(f"{index}/{name}/", headers=accept)
            assert answer.status_code == 200, (name, answer.status_code)
            return len(answer.content), answer.http_version
        got = await asyncio.gather(*(get(name) for name in names))
        return sum(size for size, _ in got), "/".join(sorted({version for _, version in got}))
ONE, TWO = "HTTP/1.1, 16 threads (urllib3)", "HTTP/2, one client (httpx)"
times = {ONE: [], TWO: []}
spoken = ""
for _ in range(runs):
    start = time.perf_counter()
    size, _v = http11()
    times[ONE].append(time.perf_counter() - start)
    start = time.perf_counter()
    _s, spoken = asyncio.run(http2())
    times[TWO].append(time.perf_counter() - start)
print(f"{len(names)} pages, {size // 1000} KB each run; the httpx client was answered in {spoken}")
for way, seconds in times.items():
    print(f"{way}: median {statistics.median(seconds):.2f} s, runs {', '.join(f'{s:.2f}' for s in seconds)}")
'''


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", default="xlarge", help="a set from bench/sets (default xlarge)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--index-url", default=DEFAULT_INDEX)
    args = parser.parse_args(argv)

    setup = bootstrap_tools(HERE / ".work" / "tools", repo=HERE.parent, runner=run_subprocess, environ=os.environ)
    python = str(setup.tools.python)
    env = hermetic_env(os.environ)
    if subprocess.run([python, "-c", "import httpx, h2"], capture_output=True).returncode != 0:
        subprocess.run([python, "-m", "pip", "install", "-q", "httpx[http2]", "--index-url", args.index_url],
                       check=True, env=env)
    with tempfile.TemporaryDirectory(prefix="http2-", dir=HERE / ".work") as scratch:
        pins = Path(scratch) / "pins.txt"
        done = run_subprocess([str(setup.tools.script("spoke")), "compile", str(HERE / "sets" / f"{args.set}.txt"),
                               "-o", str(pins), "-q", "--cache-dir", str(Path(scratch) / "cache"),
                               "--index-url", args.index_url], env=env, cwd=Path(scratch), timeout=600)
        if not done.ok:
            print(done.stderr, file=sys.stderr)
            return 1
        names = [line.split("==")[0].split("[")[0].strip() for line in pins.read_text().splitlines()
                 if "==" in line and not line.lstrip().startswith("#")]
    return subprocess.run([python, "-c", FETCH, args.index_url, str(args.runs), *names], env=env).returncode


if __name__ == "__main__":
    raise SystemExit(main())
