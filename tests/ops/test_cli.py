"""`python -m ops`: one line and exit 2 for a usage mistake, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ops.__main__ import main
from ops.commands import client_problems, profile
from settings import PROFILES
from settings.profiles import DEFAULT_PROFILE
from tests.support.aws import with_client_ca
from tests.support.certificates import certificates


@pytest.mark.parametrize("name", [name for name, config in PROFILES.items() if config.termination_protection])
def test_drill_refuses_a_protected_profile_unless_told(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["drill", "--env", name]) == 2
    assert "--allow-prod" in capsys.readouterr().err


def test_cli_reports_a_bad_profile_without_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost", "--env", "qa"]) == 2
    assert capsys.readouterr().err.startswith("error: environment: 'qa' is not a profile")


def test_preflight_reports_a_region_mismatch_as_a_failed_check_and_exits_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A configuration mistake, shown as preflight's first check: exit 2, the code of every usage mistake."""
    elsewhere = "eu-west-1" if PROFILES[DEFAULT_PROFILE].region != "eu-west-1" else "eu-west-2"
    monkeypatch.setenv("AWS_REGION", elsewhere)
    assert main(["preflight", "--env", DEFAULT_PROFILE]) == 2
    output = capsys.readouterr().out
    region = PROFILES[DEFAULT_PROFILE].region
    assert f"configuration  FAIL    AWS_REGION={elsewhere!r} disagrees with region {region!r}" in output


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        (["--client-cert", "client.pem"],
         "error: --client-cert needs --client-key: a client certificate is given as both files"),
        (["--client-key", "client.key"],
         "error: --client-key needs --client-cert: a client certificate is given as both files"),
        (["--client-cert", "nowhere.pem", "--client-key", "nowhere.key"],
         "error: --client-cert: 'nowhere.pem' is not a file; give a PEM file"),
    ],
)  # fmt: skip
def test_verify_refuses_an_incomplete_or_missing_client_certificate_in_one_line(
    arguments: list[str], error: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["verify", "--env", DEFAULT_PROFILE, *arguments]) == 2
    assert capsys.readouterr().err.splitlines() == [error]


@pytest.mark.parametrize("command", ["failover", "failback"])
@pytest.mark.parametrize("name", [name for name, config in PROFILES.items() if config.standby_region is None])
def test_failover_refuses_a_profile_without_a_standby_in_one_line(
    command: str, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([command, "--env", name]) == 2
    assert capsys.readouterr().err == f"error: {name} has no standby region (standby_region)\n"


@pytest.mark.parametrize("command", ["preflight", "verify", "drill"])
def test_the_standby_region_of_a_profile_without_one_is_refused_in_one_line(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([command, "--env", DEFAULT_PROFILE, "--region", "standby"]) == 2
    assert capsys.readouterr().err.endswith(
        f"error: --region: 'standby', but {DEFAULT_PROFILE} has no standby region\n"
    )


def test_a_malformed_override_is_refused_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost", "--env", DEFAULT_PROFILE, "-c", "config.task_cpu"]) == 2
    assert capsys.readouterr().err == "error: -c 'config.task_cpu' is not KEY=VALUE\n"


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        # an override without a key was dropped without a word
        (["preflight", "--env", DEFAULT_PROFILE, "-c", "=3"], "error: -c '=3' is not KEY=VALUE"),
        (["verify", "--env", DEFAULT_PROFILE, "-c", " =3"], "error: -c ' =3' is not KEY=VALUE"),
        # -c env=OTHER checked another profile than --env named
        (["preflight", "--env", DEFAULT_PROFILE, "-c", "env=prod"],
         f"error: -c 'env=prod': the profile is given with --env ({DEFAULT_PROFILE!r}); drop -c env"),
        (["drift", "--env", DEFAULT_PROFILE, "-c", "env="],
         f"error: -c 'env=': the profile is given with --env ({DEFAULT_PROFILE!r}); drop -c env"),
        # a timeout that is not a positive number of seconds, at most a day, ran against AWS (failover exited 1)
        (["drill", "--env", DEFAULT_PROFILE, "--timeout", "0"], "error: --timeout: 0 is outside 1..86400 seconds"),
        (["drill", "--env", DEFAULT_PROFILE, "--timeout", "-5"], "error: --timeout: -5 is outside 1..86400 seconds"),
        (["drift", "--env", DEFAULT_PROFILE, "--timeout", "nan"], "error: --timeout: nan is outside 1..86400 seconds"),
        (["failover", "--env", "prod", "--timeout", "inf"], "error: --timeout: inf is outside 1..86400 seconds"),
        (["failback", "--env", "prod", "--timeout", "100000"],
         "error: --timeout: 100000 is outside 1..86400 seconds"),
        # a Locust that is not there failed with a traceback after the run had begun
        (["load", "--env", DEFAULT_PROFILE, "--rps", "1", "--duration", "60", "--locust-python", "/nowhere/python"],
         "error: --locust-python: '/nowhere/python' is not an executable; give a Python with Locust installed "
         "(`make bench-service` makes .venv-bench)"),
    ],
)  # fmt: skip
def test_a_flag_outside_what_it_can_mean_is_refused_before_any_aws_call(
    arguments: list[str], error: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(arguments) == 2
    assert capsys.readouterr().err.splitlines() == [error]


def key_pair(folder: Path, name: str) -> tuple[Path, Path]:
    """A self-signed certificate and its unencrypted key, in PEM."""
    certificate, key = folder / f"{name}.pem", folder / f"{name}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={name}",
         "-keyout", str(key), "-out", str(certificate)],
        check=True, capture_output=True,
    )  # fmt: skip
    return certificate, key


@pytest.mark.parametrize(
    ("files", "reason"),
    [
        (("certificate", "other key"), "the key is another certificate's"),
        (("key", "certificate"), "not PEM, or encrypted"),
        (("not pem", "not pem"), "not PEM, or encrypted"),
        (("certificate", "encrypted key"), "not PEM, or encrypted"),
    ],
)
def test_verify_refuses_a_client_certificate_and_key_that_are_not_a_pair_in_one_line(
    files: tuple[str, str], reason: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    certificate, key = key_pair(tmp_path, "client")
    _, other_key = key_pair(tmp_path, "other")
    encrypted = tmp_path / "encrypted.key"
    subprocess.run(["openssl", "pkey", "-in", str(key), "-aes128", "-passout", "pass:secret", "-out", str(encrypted)],
                   check=True, capture_output=True)  # fmt: skip
    (tmp_path / "notes.txt").write_text("not a certificate\n")
    paths = {"certificate": certificate, "key": key, "other key": other_key, "encrypted key": encrypted,
             "not pem": tmp_path / "notes.txt"}  # fmt: skip
    given, paired = (paths[name] for name in files)
    assert main(["verify", "--env", DEFAULT_PROFILE, "--client-cert", str(given), "--client-key", str(paired)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: --client-cert {str(given)!r} and --client-key {str(paired)!r} are not a PEM certificate and its own "
        f"unencrypted private key: {reason}"
    ]


def test_the_ops_commands_see_the_overrides_synth_sees(capsys: pytest.CaptureFixture[str]) -> None:
    """`make deploy CDK_ARGS=…` deploys the overridden profile; `make cost|preflight|verify … CDK_ARGS=…` check it."""
    assert profile(DEFAULT_PROFILE, {}, {"config.account": "222222222222"}).account == "222222222222"
    assert main(["cost", "--env", DEFAULT_PROFILE, "-c", "config.task_cpu=999"]) == 2
    assert "task_cpu: 999 is not a Fargate CPU size" in capsys.readouterr().err


# One exit-code contract for every entry point: 0 all passed, 1 a check failed, 2 a usage or configuration mistake.
COMMANDS = ["preflight", "verify", "drill", "drift", "load", "cost", "failover", "failback"]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        (["--env", ""], "--env: '' is not a profile name; give one of"),
        (["--env", "qa"], "environment: 'qa' is not a profile"),
        (["--env", DEFAULT_PROFILE, "-c", "config.min_taks=3"], "config.min_taks: no such setting; did you mean "
         "config.min_tasks?"),
        (["--env", DEFAULT_PROFILE, "-c", "min_tasks=3"], "min_tasks: a setting is given as -c config.min_tasks=VALUE"),
        (["--env", DEFAULT_PROFILE, "-c", "config.max_tasks=many"], "config.max_tasks: 'many' is not a whole number"),
    ],
)  # fmt: skip
def test_every_command_exits_2_on_a_configuration_mistake_naming_it(
    command: str, arguments: list[str], error: str, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = ["--rps", "1", "--duration", "1"] if command == "load" else []
    assert main([command, *arguments, *extra]) == 2
    captured = capsys.readouterr()
    assert error in captured.err + captured.out
    assert "Traceback" not in captured.err


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        (["cost", "--env", "dev", "--env", "prod"], "--env is given twice ('dev', 'prod'); give it once"),
        (["cost", "--env", "dev", "--format", "json", "--format", "csv"], "--format is given twice"),
        (["cost", "--env", "dev", "--nat-gb", "5", "--nat-gb=6"], "--nat-gb is given twice ('5', '6')"),
        (["drill", "--env", "dev", "--timeout", "5", "--timeout", "6"], "--timeout is given twice"),
        (["preflight", "--env", "dev", "--region", "primary", "--region", "both"], "--region is given twice"),
    ],
)
def test_an_option_given_twice_is_refused_not_replaced(
    arguments: list[str], error: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(arguments)
    assert exited.value.code == 2
    assert error in capsys.readouterr().err


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        (["-c", "config.task_cpu=300", "-c", "config.task_cpu=1024"],
         "-c config.task_cpu is given 2 times ('300', '1024'); give it once"),
        (["-c", "foo=bar"], "-c 'foo': not a setting; a setting is given as -c config.NAME=VALUE"),
        (["-c", "CONFIG.task_cpu=300"], "-c 'CONFIG.task_cpu': not a setting; a setting is given as -c "
         "config.NAME=VALUE; did you mean -c config.task_cpu?"),
        (["-c", " config.task_cpu=300"], "did you mean -c config.task_cpu?"),
        (["-c", "MIN_TASKS=3"], "-c 'MIN_TASKS': not a setting; a setting is given as -c config.NAME=VALUE; did you "
         "mean -c config.min_tasks?"),
    ],
)  # fmt: skip
def test_an_override_that_would_be_ignored_or_replaced_is_refused(
    overrides: list[str], error: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["cost", "--env", "dev", *overrides]) == 2
    assert error in capsys.readouterr().err


@pytest.mark.parametrize("command", [c for c in COMMANDS if c != "cost"])
def test_no_credentials_is_a_setup_mistake_in_every_aws_command(
    command: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit 2 and one line, not every check failing with it (nor 1 in some commands and 2 in others)."""
    no_credentials(monkeypatch, tmp_path)
    name = "prod" if command in ("failover", "failback") else "dev"
    extra = {"load": ["--rps", "1", "--duration", "60", "--locust-python", sys.executable]}.get(command, [])
    assert main([command, "--env", name, *extra]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "error: no AWS credentials; configure a profile or role for the target account"
    )


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        (
            ["load", "--env", "dev", "--rps", "\u0665", "--duration", "60"],
            "argument --rps: '\u0665' is not a whole number",
        ),
        (["load", "--env", "dev", "--rps", "1_0", "--duration", "60"], "argument --rps: '1_0' is not a whole number"),
        (["load", "--env", "dev", "--rps", " 5", "--duration", "60"], "argument --rps: ' 5' is not a whole number"),
        (["drill", "--env", "dev", "--timeout", "1_000"], "argument --timeout: '1_000' is not a number of seconds"),
        (["drill", "--env", "dev", "--timeout", "\u0661\u0660\u0660"], "is not a number of seconds"),
    ],
)
def test_numbers_of_the_ops_flags_are_ascii_digits(
    arguments: list[str], error: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(arguments)
    assert exited.value.code == 2
    assert error in capsys.readouterr().err


def no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def expired_certificate(directory: Path) -> tuple[Path, Path]:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "old client")])
    start = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(1).not_valid_before(start).not_valid_after(start + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    (directory / "old.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (directory / "old.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))  # fmt: skip
    return directory / "old.pem", directory / "old.key"


def test_the_ops_commands_refuse_what_cannot_work_before_any_aws_call(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each a usage mistake named in one line (exit 2), not a run that fails on AWS or says nothing."""
    no_credentials(monkeypatch, tmp_path)
    _, _, client = certificates(tmp_path)
    old_cert, old_key = expired_certificate(tmp_path)
    pair = ["--client-cert", str(client.certificate), "--client-key", str(client.key)]
    load = ["--rps", "1", "--duration", "60", "--locust-python", sys.executable]
    cases = [
        (["drill", "--env", "dev", "--failover"], "dev has no standby region (standby_region)"),
        (["drill", "--env", "prod", "--allow-prod", "--failover", "--region", "primary"], "--region: the DR drill"),
        (["verify", "--env", "dev", *pair], "dev does not authenticate clients"),
        (["load", "--env", "staging", *load], "staging authenticates clients (mutual TLS): give --client-cert"),
        (["load", "--env", "staging", *load, *pair], "is not issued by a CA of tls.client_ca_bundle"),
        (["verify", "--env", "staging", "--client-cert", str(old_cert), "--client-key", str(old_key)],
         "expired on 2020-01-02; give a current certificate"),
        (["cost", "--env", "dev", "--other-trail"], "--other-trail: price the Governance stack, which dev"),
        (["verify", "--env", "dev", "--client-cert", "", "--client-key", ""], "--client-cert: empty; give a PEM file"),
    ]  # fmt: skip
    for arguments, error in cases:
        assert main(arguments) == 2, arguments
        err = capsys.readouterr().err
        assert error in err, (arguments, err)
        assert "no AWS credentials" not in err


def test_a_client_certificate_issued_by_the_profiles_ca_is_taken(tmp_path: Path) -> None:
    authority, _, client = certificates(tmp_path)
    config = with_client_ca(profile("staging", {}), str(authority))
    assert client_problems(config, client, required=True) == []


def test_a_client_certificate_chaining_to_the_bundle_through_its_own_intermediate_is_taken(tmp_path: Path) -> None:
    """The client sends its whole chain: leaf and intermediate in its file, the root in the bundle."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    from ops.verify import ClientCertificate

    now = datetime.datetime.now(datetime.UTC)

    def issue(name: str, key: Any, issuer: x509.Name, signer: Any, ca: bool) -> x509.Certificate:
        return (
            x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(issuer).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=1)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True).sign(signer, hashes.SHA256())
        )  # fmt: skip

    keys = [ec.generate_private_key(ec.SECP256R1()) for _ in range(3)]
    root = issue("root", keys[0], x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "root")]), keys[0], True)
    middle = issue("intermediate", keys[1], root.subject, keys[0], True)
    leaf = issue("merchant", keys[2], middle.subject, keys[1], False)
    pem = serialization.Encoding.PEM
    (tmp_path / "root.pem").write_bytes(root.public_bytes(pem))
    (tmp_path / "chain.pem").write_bytes(leaf.public_bytes(pem) + middle.public_bytes(pem))
    (tmp_path / "leaf.pem").write_bytes(leaf.public_bytes(pem))
    config = with_client_ca(profile("staging", {}), str(tmp_path / "root.pem"))
    key = tmp_path / "leaf.key"
    assert client_problems(config, ClientCertificate(tmp_path / "chain.pem", key), required=True) == []
    (problem,) = client_problems(config, ClientCertificate(tmp_path / "leaf.pem", key), required=True)
    assert "is not issued by a CA of tls.client_ca_bundle" in problem
