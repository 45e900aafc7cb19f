"""The ops commands, each returning the process exit code."""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import boto3
from aws_cdk.assertions import Template
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
from cryptography.exceptions import InvalidSignature

from components.web_acl import RATE_WINDOW_SECONDS
from ops import drift as drift_module
from ops import drill as drill_module
from ops import failover as failover_module
from ops import load as load_module
from ops import preflight as preflight_module
from ops import verify as verify_module
from ops.checks import Check, failed, suffixed, table, warned
from ops.cost import CostError, TrafficAssumptions, estimate_regions
from ops.cost_report import (
    Report,
    budget_of,
    excluded_types,
    render_comparison,
    render_csv,
    render_json,
    render_modes,
    render_table,
)
from settings import ClientAuthentication, ConfigError, EnvironmentConfig, GovernanceMode, StandbyMode, resolve_config
from settings.naming import STACK_KINDS
from tooling.synthesis import build_profile, cdk_context, profile_names


def profile(name: str, environ: Mapping[str, str], overrides: Mapping[str, str] | None = None) -> EnvironmentConfig:
    """The same validation as synth, with the same `-c KEY=VALUE` overrides: a ConfigError names what is wrong."""
    return resolve_config(cdk_context() | {"env": name} | dict(overrides or {}), environ).config


def client_problems(
    config: EnvironmentConfig, certificate: verify_module.ClientCertificate | None, *, required: bool
) -> list[str]:
    """What is wrong with the client certificate given for the profile's listener (`required`: the command cannot
    do without one behind mutual TLS)."""
    mutual = config.tls.client_authentication is ClientAuthentication.MUTUAL_TLS
    if certificate is None:
        if mutual and required:
            return [f"{config.name} authenticates clients (mutual TLS): give --client-cert and --client-key"]
        return []
    if not mutual:
        return [
            f"--client-cert: {config.name} does not authenticate clients (tls.client_authentication "
            f"{config.tls.client_authentication.value!r}), so the certificate has no effect; drop it"
        ]
    from cryptography import x509

    bundle = config.tls.client_ca_bundle_path
    assert bundle is not None  # mutual TLS is validated with its bundle
    # The file's own intermediates may lead to a CA of the bundle (the client sends its whole chain).
    chain = x509.load_pem_x509_certificates(certificate.certificate.read_bytes())
    authorities = x509.load_pem_x509_certificates(bundle.read_bytes())

    def issuer_of(issued: x509.Certificate, candidates: list[x509.Certificate]) -> x509.Certificate | None:
        for candidate in candidates:
            try:
                issued.verify_directly_issued_by(candidate)
                return candidate
            except (ValueError, TypeError, InvalidSignature):
                continue
        return None

    current = chain[0]
    for _ in range(len(chain)):
        if issuer_of(current, authorities) is not None:
            return []
        found = issuer_of(current, [c for c in chain[1:] if c is not current])
        if found is None:
            break
        current = found
    return [
        f"--client-cert {str(certificate.certificate)!r} is not issued by a CA of tls.client_ca_bundle "
        f"({config.tls.client_ca_bundle!r}): the load balancer would refuse it"
    ]


def require_credentials() -> None:
    """No AWS credentials at all is a setup mistake: exit 2, said once (ops/__main__.py), not every check failing."""
    if boto3.Session().get_credentials() is None:
        raise NoCredentialsError()


def report(title: str, checks: list[Check]) -> int:
    print(f"{title}\n{table(checks)}")
    return 1 if any(check.failed for check in checks) else 0


def preflight_command(
    name: str, environ: Mapping[str, str], region: str | None = None, overrides: Mapping[str, str] | None = None
) -> int:
    try:
        config = profile(name, environ, overrides)
    except ConfigError as error:
        # Shown as the first check of the report, but a configuration mistake: exit 2, as every command's.
        report(f"Preflight: {name}", [failed("configuration", problem) for problem in error.problems])
        return 2
    regions = preflight_module.regions_to_check(config, region)
    require_credentials()
    print(f"preflight of {config.name} ({config.account}, {config.region}; {' and '.join(regions)})", file=sys.stderr)
    session = boto3.Session(region_name=config.region)
    clients = preflight_module.Clients.from_session(session)
    checks = preflight_module.preflight(
        clients, config, lambda service, where: session.client(service, region_name=where), regions=regions
    )
    return report(f"Preflight: {config.name}", checks)


def in_regions(config: EnvironmentConfig, region: str | None) -> list[tuple[EnvironmentConfig, str]]:
    """The configuration of each region `--region` names, with the suffix its check names get."""
    chosen = preflight_module.regions_to_check(config, region)
    found = [(config, "")] if preflight_module.PRIMARY in chosen else []
    if preflight_module.STANDBY in chosen:
        standby = config.standby()
        found.append((standby, f" in {standby.region}"))
    return found


def verify_command(
    name: str,
    environ: Mapping[str, str],
    certificate: verify_module.ClientCertificate | None = None,
    region: str | None = None,
    overrides: Mapping[str, str] | None = None,
    page_test: bool = False,
) -> int:
    config = profile(name, environ, overrides)
    targets = in_regions(config, region)
    problems = client_problems(config, certificate, required=False)
    if problems:
        raise ConfigError(problems)
    require_credentials()
    checks: list[Check] = []
    for region_config, suffix in targets:
        print(f"verifying {config.name} ({config.account}, {region_config.region})", file=sys.stderr)
        clients = verify_module.Clients.from_session(boto3.Session(region_name=region_config.region))
        standby_s3 = boto3.Session(region_name=config.standby_region).client("s3") if config.standby_region else None
        found = verify_module.verify(
            clients,
            region_config,
            certificate=certificate,
            standby_s3=None if suffix else standby_s3,
            route53_health=_route53_health() if config.has_failover else None,
            page_test=page_test,
        )
        checks += suffixed(found, suffix)
    return report(f"Verify: {config.name}", checks)


def drill_command(
    name: str,
    environ: Mapping[str, str],
    *,
    allow_prod: bool,
    timeout: float,
    region: str | None = None,
    failover: bool = False,
    overrides: Mapping[str, str] | None = None,
) -> int:
    config = profile(name, environ, overrides)
    if config.termination_protection and not allow_prod:
        what = "moves its service name to the standby region and back" if failover else "stops one of its tasks"
        print(
            f"error: {config.name} is protected (termination_protection) and the drill {what}; "
            "run it with --allow-prod to mean it",
            file=sys.stderr,
        )
        return 2
    if failover and _without_standby(config):
        return 2
    if failover and region is not None:
        print("error: --region: the DR drill (--failover) always moves between both regions; drop --region",
              file=sys.stderr)  # fmt: skip
        return 2
    targets = [] if failover else in_regions(config, region)
    require_credentials()
    if failover:
        return failover_drill_command(config, timeout=timeout)
    checks: list[Check] = []
    for region_config, suffix in targets:
        if region_config.runs_idle:
            checks.append(warned(f"stop one task{suffix}", "no task runs here: pilot light, idle by design"))
            continue
        session = boto3.Session(region_name=region_config.region)
        outputs = verify_module.outputs(verify_module.Clients.from_session(session), config.names.stack("Compute"))
        print(f"drill on {outputs['ServiceName']} in {region_config.region}: stopping one task, waiting up to "
              f"{timeout:.0f} s", file=sys.stderr)  # fmt: skip
        found = drill_module.drill(
            session.client("ecs"), session.client("elbv2"), outputs["ClusterName"], outputs["ServiceName"],
            timeout=timeout,
        )  # fmt: skip
        checks += suffixed(found, suffix)
    return report(f"Drill: {config.name}", checks)


def _deployed(config: EnvironmentConfig, region: str) -> failover_module.Deployed | str:
    """The region's deployment as its Compute stack's outputs name it, or why it could not be read."""
    clients = failover_module.RegionClients.from_session(boto3.Session(region_name=region))
    try:
        return failover_module.Deployed.read(clients, region, config.names)
    except (ClientError, BotoCoreError) as error:
        return f"{config.names.stack('Compute')} in {region}: {error}"


def _route53_health() -> failover_module.HealthChecks:
    # Route 53 is global; it publishes its health-check metrics in us-east-1.
    return failover_module.HealthChecks(
        route53=boto3.Session().client("route53", region_name="us-east-1"),
        cloudwatch=boto3.Session().client("cloudwatch", region_name="us-east-1"),
    )


def _without_standby(config: EnvironmentConfig) -> bool:
    if config.standby_region is None:
        print(f"error: {config.name} has no standby region (standby_region)", file=sys.stderr)
        return True
    return False


def failover_command(
    name: str, environ: Mapping[str, str], *, back: bool, timeout: float, overrides: Mapping[str, str] | None = None
) -> int:
    """`failover` (to the standby region) or, with `back`, `failback`."""
    config = profile(name, environ, overrides)
    if _without_standby(config):
        return 2
    require_credentials()
    title = f"{'Failback' if back else 'Failover'}: {config.name}"
    target = config.region if back else config.standby_region
    print(f"{'failback' if back else 'failover'} of {config.name} to {target}, waiting up to {timeout:.0f} s per step",
          file=sys.stderr)  # fmt: skip
    # The standby first: a failover must not depend on the primary region answering.
    standby = _deployed(config, str(config.standby_region))
    if isinstance(standby, str):
        return report(title, [failed("standby ready", standby)])
    primary = _deployed(config, config.region)
    if back:
        if isinstance(primary, str):
            return report(title, [failed("primary ready", primary)])
        return report(title, failover_module.failback(config, primary, standby, _route53_health(), timeout=timeout))
    return report(title, failover_module.failover(config, primary, standby, _route53_health(), timeout=timeout))


def failover_drill_command(config: EnvironmentConfig, *, timeout: float) -> int:
    """`drill --failover`: failover, the audit trail's replication lag, failback; both RTOs and the RPO."""
    if _without_standby(config):
        return 2
    standby, primary = _deployed(config, str(config.standby_region)), _deployed(config, config.region)
    for name, found in (("standby ready", standby), ("primary ready", primary)):
        if isinstance(found, str):
            return report(f"DR drill: {config.name}", [failed(name, found)])
    assert not isinstance(standby, str)
    assert not isinstance(primary, str)
    print(f"DR drill of {config.name}: failover to {config.standby_region} and back", file=sys.stderr)
    cloudwatch = boto3.Session(region_name=config.region).client("cloudwatch")
    checks = failover_module.drill_failover(config, primary, standby, _route53_health(), cloudwatch, timeout=timeout)
    return report(f"DR drill: {config.name}", checks)


def drift_command(
    name: str,
    environ: Mapping[str, str],
    *,
    region: str | None,
    timeout: float,
    overrides: Mapping[str, str] | None = None,
) -> int:
    """CloudFormation drift detection on every stack of the profile, in each region `--region` names."""
    config = profile(name, environ, overrides)
    targets = in_regions(config, region)
    require_credentials()
    checks: list[Check] = []
    for region_config, suffix in targets:
        cloudformation = boto3.Session(region_name=region_config.region).client("cloudformation")
        stacks = [(cloudformation, config.names.stack(kind)) for kind in STACK_KINDS]
        print(f"drift detection of {len(stacks)} stacks in {region_config.region}", file=sys.stderr)
        checks += suffixed(drift_module.drift(stacks, timeout=timeout), suffix)
    return report(f"Drift: {config.name}", checks)


def load_command(
    name: str,
    environ: Mapping[str, str],
    *,
    rps: int,
    duration: int,
    locust_python: str,
    allow_prod: bool,
    certificate: verify_module.ClientCertificate | None = None,
    overrides: Mapping[str, str] | None = None,
) -> int:
    """`python -m ops load`: a bounded load run against the profile's service name, and what scaling did."""
    config = profile(name, environ, overrides)
    problems = [
        f"--{what}: {value} is outside {low}..{high}"
        for what, value, (low, high) in (("rps", rps, load_module.RPS_RANGE), ("duration", duration,
                                                                                load_module.DURATION_RANGE))
        if not low <= value <= high
    ]  # fmt: skip
    if config.termination_protection and not allow_prod:
        problems.append(f"{config.name} is protected (termination_protection); run it with --allow-prod to mean it")
    # The load comes from this one address: the WAF's payment rule counts it per 5 minutes.
    window = RATE_WINDOW_SECONDS
    payments, limit = rps * min(duration, window), config.edge.waf_payment_rate_limit
    if not problems and payments > limit:
        problems.append(
            f"--rps {rps} for {duration} s sends {payments:,} payments within WAF's {window} s window from this one "
            f"address, above waf_payment_rate_limit {limit}: the WAF would block the run; deploy with a higher "
            "waf_payment_rate_limit for the test (and give make load the same -c), or lower --rps or --duration"
        )
    if not problems:
        problems += client_problems(config, certificate, required=True)
    if not problems and shutil.which(locust_python) is None:  # checked last: it names a file, not a bound
        problems.append(
            f"--locust-python: {locust_python!r} is not an executable; give a Python with Locust installed "
            "(`make bench-service` makes .venv-bench)"
        )
    if problems:
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    require_credentials()
    session = boto3.Session(region_name=config.region)
    compute = verify_module.outputs(verify_module.Clients.from_session(session), config.names.stack("Compute"))
    with tempfile.TemporaryDirectory() as folder:
        prefix = Path(folder) / "load"
        command, environment = load_module.locust_command(locust_python, compute["ServiceUrl"], rps, duration, prefix)
        if certificate is not None:
            environment |= {"LOAD_CLIENT_CERT": str(certificate.certificate), "LOAD_CLIENT_KEY": str(certificate.key)}
        print(f"load on {compute['ServiceUrl']}: {rps}/s for {duration} s", file=sys.stderr)
        checks = load_module.run_load(
            ecs=session.client("ecs"), autoscaling=session.client("application-autoscaling"),
            cluster=compute["ClusterName"], service=compute["ServiceName"], command=command,
            environment=environment, prefix=prefix, rps=rps, duration=duration,
        )  # fmt: skip
    return report(f"Load: {config.name}", checks)


def synthesized_regions(
    name: str, overrides: dict[str, Any] | None = None
) -> list[tuple[str, dict[str, dict[str, Any]]]]:
    """(region, templates) of the profile's primary region and, if it has one, its standby region."""
    config, _, stacks = build_profile(name, overrides)
    regions = [(config.region, stacks)] + ([(config.standby_region, stacks.standby)] if stacks.standby else [])
    return [
        (str(region), {stack.node.id: dict(Template.from_stack(stack).to_json()) for stack in region_stacks.all()})
        for region, region_stacks in regions
        if region_stacks is not None
    ]


def cost_report(name: str, traffic: TrafficAssumptions, overrides: Mapping[str, Any] | None = None) -> Report:
    """The profile's estimate (as overridden: the deployment `make deploy CDK_ARGS=…` makes)."""
    regions = synthesized_regions(name, dict(overrides or {}))
    return Report(
        profile=name,
        regions=tuple(region for region, _ in regions),
        items=tuple(estimate_regions(regions, traffic)),
        traffic=traffic,
        budget_usd=budget_of(regions[0][1]),
        excluded_types=excluded_types(regions),
    )


def profile_reports(
    traffic: TrafficAssumptions, known: Mapping[str, Report] | None = None
) -> tuple[dict[str, Report], dict[str, str]]:
    """Every profile's estimate, and why a profile could not be priced (a region without a price table: an
    adopter's new region is reported, not a failure of every other profile's estimate). `known`: estimates
    already made, by profile (not synthesized again)."""
    reports: dict[str, Report] = {}
    unpriced: dict[str, str] = {}
    for name in profile_names():
        if known and name in known:
            reports[name] = known[name]
            continue
        try:
            reports[name] = cost_report(name, traffic)
        except CostError as error:
            unpriced[name] = str(error)
    return reports, unpriced


def mode_reports(
    name: str,
    traffic: TrafficAssumptions,
    overrides: Mapping[str, Any] | None = None,
    known: Mapping[str, Report] | None = None,
) -> dict[str, Report]:
    """The profile's estimate under each disaster-recovery mode, each synthesized as that mode. `known`: estimates
    already made, by mode (not synthesized again)."""
    return {
        mode.value: (known or {}).get(mode.value)
        or cost_report(name, traffic, {**(overrides or {}), "config.standby_mode": mode.value})
        for mode in StandbyMode
    }


def cost_command(
    name: str,
    environ: Mapping[str, str],
    overrides: Mapping[str, str] | None = None,
    *,
    traffic: TrafficAssumptions | None = None,
    output: str = "table",
) -> int:
    """Exit 0 within the profile's budget, 1 over it, 2 for a configuration mistake."""
    config = profile(name, environ, overrides)
    traffic = traffic or TrafficAssumptions()
    governance_options = [
        option
        for option, given in (
            ("--other-trail", not traffic.first_trail),
            ("--config-items", traffic.config_items_per_month is not None),
            ("--security-hub-checks", traffic.security_hub_checks_per_month is not None),
        )
        if given
    ]
    if governance_options and config.governance is not GovernanceMode.CREATE:
        raise ConfigError(
            [
                f"{', '.join(governance_options)}: price the Governance stack, which {name} does not build (governance "
                f"{config.governance.value!r}), so they have no effect; drop them, or give -c config.governance=create"
            ]
        )
    report = cost_report(name, traffic, overrides)
    if output == "json":
        print(render_json(report))
    elif output == "csv":
        print(render_csv(report), end="")
    else:
        print(render_table(report))
        reports, unpriced = profile_reports(traffic, known={name: report})
        print("\nAll profiles (the others as they are, this one as given):")
        print(render_comparison(reports))
        for each, reason in unpriced.items():
            print(f"  {each}: not estimated: {reason}")
        if config.standby_region is not None:
            print(f"\n{name} by disaster-recovery mode (now `{config.disaster_recovery.standby_mode.value}`):")
            now = {config.disaster_recovery.standby_mode.value: report}
            print(render_modes(name, mode_reports(name, traffic, overrides, known=now)))
    if report.over_budget():
        print(f"error: {name}: the estimate exceeds monthly_budget_usd ({report.budget_usd:,.0f} USD)", file=sys.stderr)
        return 1
    return 0
