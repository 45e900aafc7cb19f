"""`make bench-synth`: what synth costs per profile, and what each cdk-nag pack adds to it.

For each profile: the wall time of `cdk synth --no-lookups --quiet -c env=NAME` as a user runs it (every check on:
the five packs, CloudFormation validation; median of `--runs`), then the time each pack takes to validate that
profile's app in-process (`validate_scope`, median of `--runs`), with its share of the synth wall time. The PCI DSS
v4.0.1 pack (this project's) must add at most 10 % to the prod synth: exit 1 when it does.

Performance lives here, not in the test suite: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

from rules.packs import nag_packs
from rules.pci_dss_401 import PACK_NAME
from settings.profiles import PROFILES
from tooling.synthesis import ROOT, build_profile, profile_names

PCI_PACK_BUDGET = 0.10  # of the prod synth wall time


def median_seconds(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def cli_synth(profile: str) -> None:
    with tempfile.TemporaryDirectory() as out:
        environment = os.environ | {"AWS_REGION": PROFILES[profile].region}
        done = subprocess.run(
            ["cdk", "synth", "--no-lookups", "--quiet", "-c", f"env={profile}", "-o", out],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"cdk synth -c env={profile} failed:\n{done.stderr}")


def pack_seconds(profile: str, runs: int) -> dict[str, float]:
    """Each pack's in-process validation time on a fresh app of the profile (a pack caches per app)."""
    found: dict[str, list[float]] = {}
    for _ in range(runs):
        app = build_profile(profile)[1]
        for pack in nag_packs(app):
            start = time.perf_counter()
            pack.validate_scope(app)
            found.setdefault(pack.name, []).append(time.perf_counter() - start)
    return {name: statistics.median(times) for name, times in found.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tooling.bench_synth", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement, median reported (default 3)")
    parser.add_argument("--profile", action="append", choices=profile_names(), help="default: every profile")
    arguments = parser.parse_args(argv)
    if arguments.runs < 1:
        parser.error(f"--runs: {arguments.runs} is not a positive whole number")
    verdict = 0
    print(f"synth benchmark, median of {arguments.runs}, {os.cpu_count()} CPUs")
    for profile in arguments.profile or profile_names():
        wall = median_seconds(functools.partial(cli_synth, profile), arguments.runs)
        packs = pack_seconds(profile, arguments.runs)
        print(f"\n{profile}: cdk synth {wall:.1f} s wall (CLI, every check on)")
        for name, seconds in packs.items():
            print(f"  {name:<16} {seconds:6.2f} s  {seconds / wall:6.1%} of the synth")
        share = packs[PACK_NAME] / wall
        if profile == "prod" and share > PCI_PACK_BUDGET:
            print(f"FAIL: {PACK_NAME} adds {share:.1%} to the prod synth, over {PCI_PACK_BUDGET:.0%}")
            verdict = 1
    return verdict


if __name__ == "__main__":
    sys.exit(main())
