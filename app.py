#!/usr/bin/env python3
"""CDK entry point: the only place that reads the process environment and CDK context."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from typing import Any

from settings import ConfigError, resolve_config


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise ConfigError([f"CDK_CONTEXT_JSON gives {repeated[0]!r} {keys.count(repeated[0])} times; give it once"])
    return dict(pairs)


def context_problems(environ: Mapping[str, str]) -> list[str]:
    """What is wrong with the context the CDK CLI hands over, before aws_cdk reads it (it would raise a traceback)."""
    raw = environ.get("CDK_CONTEXT_JSON")
    if raw is None:
        if environ.get("CDK_OUTDIR"):
            return []
        return [
            "app.py runs under the CDK CLI (make synth, or cdk synth), which hands it cdk.json and cdk.context.json; "
            "run it that way"
        ]
    try:
        found = json.loads(raw, object_pairs_hook=_no_duplicates)
    except ConfigError as error:
        return error.problems
    except ValueError as error:
        return [f"CDK_CONTEXT_JSON is not JSON: {error}"]
    if not isinstance(found, dict):
        return [f"CDK_CONTEXT_JSON holds a JSON {type(found).__name__}, not an object of context keys"]
    return []


def main() -> int:
    problems = context_problems(os.environ)
    if problems:
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    from aws_cdk import App

    from stacks.payment_app import build_payment_app

    app = App()
    try:
        resolution = resolve_config(app.node.get_all_context(), os.environ)
        for notice in resolution.notices:
            print(notice, file=sys.stderr)
        build_payment_app(app, resolution.config)
    except ConfigError as error:
        for problem in error.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
