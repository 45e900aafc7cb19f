"""`python -m ops COMMAND --env NAME`: preflight, verify, drill, drift, load, failover, failback, cost.

The only place the ops tooling reads the process environment. Exit code 0 when every check passes,
1 when one fails, 2 for a usage or configuration mistake.
"""

from __future__ import annotations

import argparse
import os
import re
import ssl
import sys
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from ops import cost_options
from ops.cost import CostError
from ops.drift import DEFAULT_TIMEOUT_SECONDS as DRIFT_TIMEOUT_SECONDS
from ops.drill import DEFAULT_TIMEOUT_SECONDS
from ops.failover import DEFAULT_TIMEOUT_SECONDS as FAILOVER_TIMEOUT_SECONDS
from ops.preflight import BOTH, PRIMARY, STANDBY
from ops.verify import ClientCertificate
from settings import PROFILES, ConfigError, catalog
from settings.resolve import meant_override

# --timeout of drill, drift, failover and failback: a positive number of seconds, at most a day.
TIMEOUT_RANGE = (1, 86_400)


def whole(text: str) -> int:
    """A whole number in ASCII digits (int() would take '1_0' and other scripts' digits)."""
    if not re.fullmatch(r"-?[0-9]+", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number (digits 0-9)")
    return int(text)  # its range is the command's to check


def seconds(text: str) -> float:
    """A number of seconds in ASCII digits, with an optional decimal part."""
    if not re.fullmatch(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|-?(nan|inf)", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds (digits 0-9, a decimal point)")
    return float(text)  # its range (TIMEOUT_RANGE) is checked with the other usage mistakes


class Once(argparse.Action):
    """An option given at most once: a second value is a usage mistake, never a silent replacement of the first."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        given: dict[str, Any] = namespace.__dict__.setdefault("_given", {})
        if self.dest in given:
            parser.error(f"{option_string} is given twice ({str(given[self.dest])!r}, {str(values)!r}); give it once")
        given[self.dest] = values
        setattr(namespace, self.dest, values)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for command, summary in (
        ("preflight", "check the account before a deploy: credentials, bootstrap, quotas, permissions, certificate"),
        ("verify", "check a deployed profile: health, redirect, targets, tasks, WAF, flow logs, logs, alarms"),
        ("drill", "stop one task and time its healthy replacement"),
        ("drift", "CloudFormation drift detection on every stack: what was changed outside the templates"),
        ("load", "a bounded load run against the deployed service: p50, p99, error rate, and what scaling did"),
        ("failover", "serve from the standby region: scale it up, wait until healthy, make Route 53 prefer it"),
        ("failback", "serve from the primary region again, and return the standby to its standby mode"),
        ("cost", "monthly cost estimate from the synthesized templates, all profiles side by side"),
    ):
        sub = commands.add_parser(command, help=summary)
        # Every option that takes one value takes it once (the default action, `store`, is `Once` here).
        sub.register("action", None, Once)
        sub.register("action", "store", Once)
        sub.add_argument("--env", required=True, help=f"profile name ({', '.join(PROFILES)})")
        sub.add_argument(
            "-c",
            "--context",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="a setting override, as `cdk synth -c` takes it (config.account=123456789012)",
        )
        if command in ("preflight", "verify", "drill", "drift"):
            sub.add_argument(
                "--region",
                choices=(PRIMARY, STANDBY, BOTH),
                help="which of the profile's regions (default: both where it has a standby, else primary)",
            )
        if command in ("verify", "load"):
            sub.add_argument("--client-cert", type=Path, help="PEM client certificate, for a mutual-TLS listener")
            sub.add_argument("--client-key", type=Path, help="its PEM private key")
        if command == "load":
            sub.add_argument("--rps", type=whole, required=True, help="payments a second to send")
            sub.add_argument("--duration", type=whole, required=True, help="seconds to send them for")
            sub.add_argument("--allow-prod", action="store_true", help="allow it against a protected profile")
            sub.add_argument("--locust-python", default=".venv-bench/bin/python", help="a Python with Locust")
        if command == "verify":
            sub.add_argument(
                "--page-test",
                action="store_true",
                help="also prove the page end to end: set a paging signal to ALARM and receive the composite's "
                "notification on a temporary queue subscribed to the paging topic (pages whoever is on call)",
            )
        if command == "drill":
            sub.add_argument(
                "--allow-prod",
                action="store_true",
                help="allow the drill against a protected profile (termination_protection, as prod)",
            )
            sub.add_argument(
                "--timeout", type=seconds, default=DEFAULT_TIMEOUT_SECONDS, help="seconds to wait for the replacement"
            )
            sub.add_argument(
                "--failover",
                action="store_true",
                help="the DR drill instead: failover and failback end to end, reporting both RTOs and the audit "
                "trail's replication lag (RPO); --timeout is then per step",
            )
        if command == "cost":
            cost_options.add_arguments(sub)
        if command in ("failover", "failback"):
            sub.add_argument(
                "--timeout", type=seconds, default=FAILOVER_TIMEOUT_SECONDS, help="seconds to wait at each step"
            )
        if command == "drift":
            sub.add_argument(
                "--timeout",
                type=seconds,
                default=DRIFT_TIMEOUT_SECONDS,
                help="seconds to wait for each stack's detection",
            )
    arguments = parser.parse_args(argv)
    overrides = dict(item.partition("=")[::2] for item in arguments.context)
    problems = usage_problems(arguments)
    if problems:
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2

    from ops import commands as run

    try:
        if arguments.command == "preflight":
            return run.preflight_command(arguments.env, os.environ, arguments.region, overrides)
        if arguments.command == "verify":
            certificate = client_certificate(arguments.client_cert, arguments.client_key)
            return run.verify_command(
                arguments.env, os.environ, certificate, arguments.region, overrides, page_test=arguments.page_test
            )
        if arguments.command == "drill":
            return run.drill_command(
                arguments.env,
                os.environ,
                allow_prod=arguments.allow_prod,
                timeout=arguments.timeout,
                region=arguments.region,
                failover=arguments.failover,
                overrides=overrides,
            )
        if arguments.command == "load":
            return run.load_command(
                arguments.env,
                os.environ,
                rps=arguments.rps,
                duration=arguments.duration,
                locust_python=arguments.locust_python,
                allow_prod=arguments.allow_prod,
                certificate=client_certificate(arguments.client_cert, arguments.client_key),
                overrides=overrides,
            )
        if arguments.command == "drift":
            return run.drift_command(
                arguments.env, os.environ, region=arguments.region, timeout=arguments.timeout, overrides=overrides
            )
        if arguments.command in ("failover", "failback"):
            return run.failover_command(
                arguments.env,
                os.environ,
                back=arguments.command == "failback",
                timeout=arguments.timeout,
                overrides=overrides,
            )
        return run.cost_command(
            arguments.env,
            os.environ,
            overrides,
            traffic=cost_options.traffic_from(arguments),
            output=arguments.format,
        )
    except ConfigError as error:
        for problem in error.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    except CostError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except NoCredentialsError:
        print("error: no AWS credentials; configure a profile or role for the target account", file=sys.stderr)
        return 2
    except BotoCoreError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except ClientError as error:  # AWS refused a call outside any check: say what, in one line
        details = error.response.get("Error", {})
        print(f"error: {details.get('Code', 'ClientError')}: {details.get('Message', error)}", file=sys.stderr)
        return 1


def usage_problems(arguments: argparse.Namespace) -> list[str]:
    """What is wrong with the flags themselves, before any profile is read or AWS called."""
    malformed = [item for item in arguments.context if "=" not in item or not item.partition("=")[0].strip()]
    if malformed:
        return [f"-c {malformed[0]!r} is not KEY=VALUE"]
    keys = [item.partition("=")[0] for item in arguments.context]
    # A setting's bare name (min_tasks) is for resolve_config to name; anything else would be ignored.
    known = set(catalog.by_name())
    unknown = [key for key in keys if key != "env" and not key.startswith("config.") and key not in known]
    if unknown:
        key = unknown[0]
        meant = meant_override(key)
        hint = f"; did you mean -c {meant}?" if meant else ""
        return [f"-c {key!r}: not a setting; a setting is given as -c config.NAME=VALUE{hint}"]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        values = [item.partition("=")[2] for item in arguments.context if item.partition("=")[0] == repeated[0]]
        return [f"-c {repeated[0]} is given {len(values)} times ({', '.join(map(repr, values))}); give it once"]
    if not arguments.env.strip():
        return [f"--env: {arguments.env!r} is not a profile name; give one of {', '.join(PROFILES)}"]
    found = [
        f"-c {item!r}: the profile is given with --env ({arguments.env!r}); drop -c env"
        for item in arguments.context
        if item.partition("=")[0] == "env" and item.partition("=")[2] != arguments.env
    ]
    timeout = getattr(arguments, "timeout", None)
    low, high = TIMEOUT_RANGE
    if timeout is not None and not low <= timeout <= high:
        found.append(f"--timeout: {timeout:g} is outside {low}..{high} seconds")
    return found


def client_certificate(certificate: Path | None, key: Path | None) -> ClientCertificate | None:
    """Both files or neither, each readable, a certificate and its own private key in PEM; ConfigError otherwise."""
    if certificate is None and key is None:
        return None
    if certificate is None or key is None:
        given, missing = ("--client-cert", "--client-key") if certificate else ("--client-key", "--client-cert")
        raise ConfigError([f"{given} needs {missing}: a client certificate is given as both files"])
    for option, path in (("--client-cert", certificate), ("--client-key", key)):
        if not str(path).strip() or str(path) == ".":
            raise ConfigError([f"{option}: empty; give a PEM file"])
        if not path.is_file():
            raise ConfigError([f"{option}: {str(path)!r} is not a file; give a PEM file"])
    try:
        # A password callback, so that an encrypted key is refused here instead of prompting on the terminal.
        ssl.create_default_context().load_cert_chain(certificate, key, password=lambda: b"")
    except ssl.SSLError as error:
        reasons = {
            "KEY_VALUES_MISMATCH": "the key is another certificate's",
            "NO_CERTIFICATE_ASSIGNED": "the key is not the certificate's",
            "BAD_DECRYPT": "the key is encrypted",
        }
        reason = next((why for code, why in reasons.items() if code in str(error)), "not PEM, or encrypted")
        raise ConfigError(
            [
                f"--client-cert {str(certificate)!r} and --client-key {str(key)!r} are not a PEM certificate and its "
                f"own unencrypted private key: {reason}"
            ]
        ) from None
    except OSError as error:
        raise ConfigError([f"--client-cert/--client-key: cannot be read: {error.strerror or error}"]) from None
    expired = _expired(certificate)
    if expired:
        raise ConfigError([f"--client-cert {str(certificate)!r} {expired}; give a current certificate"])
    return ClientCertificate(certificate, key)


def _expired(certificate: Path) -> str | None:
    """Why the certificate is not valid now (expired, or not yet valid), or None."""
    import datetime

    from cryptography import x509

    found = x509.load_pem_x509_certificate(certificate.read_bytes())
    now = datetime.datetime.now(datetime.UTC)
    if found.not_valid_after_utc < now:
        return f"expired on {found.not_valid_after_utc:%Y-%m-%d}"
    if found.not_valid_before_utc > now:
        return f"is not valid before {found.not_valid_before_utc:%Y-%m-%d}"
    return None


if __name__ == "__main__":
    sys.exit(main())
