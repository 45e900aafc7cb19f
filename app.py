#!/usr/bin/env python3
"""CDK entry point: the only place that reads the process environment and CDK context."""

from __future__ import annotations

import os
import sys

from settings import ConfigError, resolve_config


def main() -> int:
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
