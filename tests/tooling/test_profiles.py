"""tooling/profiles.py: what `make synth|diff|deploy|destroy` checks before it deletes or calls anything."""

from __future__ import annotations

import pytest

from tooling.profiles import check, main, region

EVERY_VARIABLE = ("STACKS", "APPROVAL", "CDK_CLI_ARGS")


@pytest.mark.parametrize(
    ("name", "arguments", "environ", "error"),
    [
        # The CDK CLI keeps the last -c env: make synth ENV=dev would build prod and call it dev.
        ("dev", ["-c", "env=prod"], {}, "CDK_ARGS: -c env=prod conflicts with ENV=dev; choose the profile with ENV"),
        ("dev", ["-c", "config.task_cpu=300", "-c", "config.task_cpu=1024"], {},
         "CDK_ARGS: -c config.task_cpu is given twice ('300', '1024'); give it once"),
        ("dev", ["--profile", "sandbox"], {},
         "CDK_ARGS: '--profile' is not a -c KEY=VALUE override; CDK CLI options go in CDK_CLI_ARGS"),
        ("dev", ["-c", "config.task_cpu"], {}, "CDK_ARGS: -c config.task_cpu is not -c KEY=VALUE"),
        ("", [], {}, "ENV='' is not a profile; give one of dev, staging, prod"),
        ("dev -c config.task_cpu=300", [], {}, "ENV='dev -c config.task_cpu=300' is not a profile"),
        ("dev", [], {"ENVIRONMENT_SUFFIX": "prod"}, "ENV=dev and ENVIRONMENT_SUFFIX=prod disagree; give one of them"),
        ("dev", ["-c", "config.task_cpu=300"], {}, "task_cpu: 300 is not a Fargate CPU size"),
        # Read from the environment make exports, never pasted into a command line.
        ("dev", [], {"STACKS": "--all; echo INJECTED"}, "STACKS='--all; echo INJECTED': give --all or stack IDs"),
        ("dev", [], {"APPROVAL": "bogus"}, "APPROVAL='bogus' is not one of never, any-change, broadening"),
        ("dev", [], {"APPROVAL": ""}, "APPROVAL='' is not one of"),
        ("dev", [], {"CDK_CLI_ARGS": "--context env=prod"}, "CDK_CLI_ARGS: '--context' would choose the profile"),
        ("dev", [], {"CDK_CLI_ARGS": "-c env=prod"}, "CDK_CLI_ARGS: '-c' would choose the profile"),
        ("dev", [], {"CDK_CLI_ARGS": "-o /tmp/elsewhere"}, "CDK_CLI_ARGS: '-o' would choose"),
        ("dev", [], {"CDK_CLI_ARGS": "--verbose;true"}, "holds a shell control character"),
        ("dev", [], {"CDK_CLI_ARGS": "--require-approval never"}, "CDK_CLI_ARGS: '--require-approval' would choose"),
        ("dev", [], {"CDK_CLI_ARGS": "--tags 'Owner=Payments"}, "No closing quotation"),
        ("dev", [], {"STACKS": "-a python3"}, "STACKS='-a python3': give --all or stack IDs"),
        ("`touch x`dev", [], {}, "ENV='`touch x`dev' is not a profile"),
        # An override key that is no setting would be ignored by synth (and refused by the ops commands).
        ("dev", ["-c", "confg.task_cpu=1024"], {}, "CDK_ARGS: -c 'confg.task_cpu' is not a setting"),
        ("dev", ["-c", "@aws-cdk/aws-s3:createDefaultLoggingPolicy=false"], {}, "is not a setting"),
        # A region you set yourself is still compared; the one make gives the CLI is not in this environment.
        ("dev", [], {"AWS_REGION": "eu-west-1"}, "AWS_REGION='eu-west-1' disagrees with region 'us-east-1'"),
    ],
)  # fmt: skip
def test_make_refuses_what_synth_would_get_wrong_before_it_deletes_anything(
    name: str, arguments: list[str], environ: dict[str, str], error: str
) -> None:
    problems = check(name, arguments, environ, uses=EVERY_VARIABLE)
    assert any(error in problem for problem in problems), problems


@pytest.mark.parametrize(
    ("name", "arguments", "environ"),
    [
        ("dev", [], {}),
        ("prod", ["-c", "config.task_cpu=1024", "--context", "config.task_memory_mib=2048"], {}),
        ("dev", ["--context=config.min_tasks=2"], {"ENVIRONMENT_SUFFIX": "dev", "AWS_REGION": "us-east-1"}),
        # The same profile twice is no conflict (python -m ops takes -c env equal to --env too).
        ("staging", ["-c", "env=staging"], {}),
        (
            "prod",
            [],
            {"STACKS": "Compute Standby*", "APPROVAL": "never", "CDK_CLI_ARGS": "--verbose"},
        ),
        ("dev", [], {"CDK_CLI_ARGS": "--outputs-file ~/out.json --tags 'Owner=Payments Team'"}),
    ],
)
def test_what_synth_accepts_passes(name: str, arguments: list[str], environ: dict[str, str]) -> None:
    assert check(name, arguments, environ, uses=EVERY_VARIABLE) == []


def test_each_target_checks_the_variables_it_uses_and_preflight_reports_the_profile_itself() -> None:
    """A STACKS left in the shell does not stop make synth, which does not use it; preflight's table names a
    setting's mistake, so its check does not resolve the profile (ENV and CDK_ARGS' shape still are)."""
    assert check("dev", [], {"STACKS": "-a python3"}, uses=("CDK_CLI_ARGS",)) == []
    assert check("dev", ["-c", "config.task_cpu=300"], {}, resolve=False) == []
    assert check("dev;x", [], {}, resolve=False) != []
    assert main(["check", "--for=preflight", "dev", "-c", "config.task_cpu=300"]) == 0
    assert main(["check", "--for=deploy", "dev"]) == 0
    assert main(["check", "--for=nonsense", "dev"]) == 2


def test_the_region_given_to_the_cli_follows_an_override() -> None:
    """The CLI gets the region the app will check: the override's (-c config.region), else the profile's."""
    assert region("dev", []) == "us-east-1"
    assert region("dev", ["-c", "config.region=us-west-2"]) == "us-west-2"
    assert region("nonesuch", []) == ""


def test_check_exits_2_with_one_line_each(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "dev", "-c", "env=prod"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: CDK_ARGS: -c env=prod conflicts with ENV=dev; choose the profile with ENV alone"
    ]
    assert main(["check", "dev"]) == 0
