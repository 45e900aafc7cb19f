"""`python -m ops COMMAND --env NAME`: the only place the ops tooling reads the process environment."""

from __future__ import annotations

import argparse
import os
import sys

from settings import ConfigError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    cost = commands.add_parser("cost", help="monthly cost estimate from the synthesized templates")
    cost.add_argument("--env", required=True, help="profile name (dev, staging, prod)")
    arguments = parser.parse_args(argv)
    try:
        if arguments.command == "cost":
            from ops.commands import cost_command

            return cost_command(arguments.env, os.environ)
    except ConfigError as error:
        for problem in error.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    return 2


if __name__ == "__main__":
    sys.exit(main())
