"""cfn-lint finds no error and no warning in any synthesized template of any profile."""

from __future__ import annotations

import json

from cfnlint.api import ManualArgs, lint

from tests.conftest import Synthesized


def test_templates_pass_cfn_lint_without_errors_or_warnings(each_profile: Synthesized) -> None:
    for stack in each_profile.stacks.all():
        template = json.dumps(each_profile.documents[stack.node.id])
        matches = lint(template, config=ManualArgs(regions=[each_profile.config.region]))
        assert [str(match) for match in matches] == [], stack.node.id
