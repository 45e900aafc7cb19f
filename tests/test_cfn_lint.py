"""cfn-lint finds no error and no warning in the synthesized templates.

Here for the default profile, as a fast feedback loop; `make synth` (and so CI) lints every profile.
"""

from __future__ import annotations

import json

from cfnlint.api import ManualArgs, lint

from tests.support.synthesized import Synthesized


def test_templates_pass_cfn_lint_without_errors_or_warnings(dev: Synthesized) -> None:
    for stack in dev.stacks.all():
        template = json.dumps(dev.documents[stack.node.id])
        matches = lint(template, config=ManualArgs(regions=[dev.config.region]))
        assert [str(match) for match in matches] == [], stack.node.id
