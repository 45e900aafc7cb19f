"""`python -m tooling.profiles names` prints every profile, `default` the default one, `region NAME` its region.

For the Makefile and `.ci/run`, so that neither keeps its own list of profiles or regions.
"""

from __future__ import annotations

import sys

from settings import PROFILES
from settings.profiles import DEFAULT_PROFILE


def main(arguments: list[str]) -> int:
    match arguments:
        case ["names"]:
            print(" ".join(PROFILES))
        case ["default"]:
            print(DEFAULT_PROFILE)
        case ["region", name] if name in PROFILES:
            print(PROFILES[name].region)
        case ["region", _]:
            return 0  # not a profile: synth itself reports that, with the list of profiles
        case _:
            print("usage: python -m tooling.profiles names | default | region NAME", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
