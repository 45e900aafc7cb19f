"""A cdk-nag rule pack for PCI DSS v4.0.1 requirements that the PCI DSS 3.2.1 pack does not check.

Each rule reads the synthesized CloudFormation properties of one resource (and, for relational rules,
the other resources of the same stack, where CloudFormation references can be resolved to logical ids).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import jsii
from aws_cdk import CfnResource, Stack
from cdk_nag import IApplyRule, NagMessageLevel, NagPack, NagRuleCompliance
from constructs import IConstruct

from rules.acknowledge import JUSTIFIED_WILDCARDS

PACK_NAME = "PCI.DSS.401"
PUBLIC_LISTENER_PORTS = frozenset({80, 443})
# PCI DSS 10.5.1: at least three months of audit log immediately available.
HOT_RETENTION_DAYS = 90
ARCHIVE_RETENTION_DAYS = 365
OPEN_CIDRS = frozenset({"0.0.0.0/0", "::/0"})
# PCI DSS 10.3.2: what erases an audit record, and what would let it be erased; a bucket policy must deny these to
# every principal but named custodians.
ERASING_ACTIONS = frozenset({"s3:DeleteObject", "s3:DeleteObjectVersion", "s3:BypassGovernanceRetention"})
UNPROTECTING_ACTIONS = frozenset(
    {"s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutLifecycleConfiguration", "s3:PutBucketVersioning"}
)


def properties(node: CfnResource) -> dict[str, Any]:
    """The resource's CloudFormation properties (camelCase keys) with tokens resolved."""
    resolved = Stack.of(node).resolve(node._cfn_properties)  # the L1's own property bag
    return resolved if isinstance(resolved, dict) else {}


def logical_id(node: CfnResource) -> str:
    return str(Stack.of(node).resolve(node.logical_id))


class StackIndex:
    """Resources by stack and type, built once per pack run: relational rules would otherwise walk the
    whole construct tree (across the jsii bridge) for every resource they check."""

    def __init__(self) -> None:
        self._by_stack: dict[str, dict[str, list[CfnResource]]] = {}

    def siblings(self, node: CfnResource, resource_type: str) -> list[CfnResource]:
        """Every resource of `resource_type` in the node's stack."""
        stack = Stack.of(node)
        index = self._by_stack.get(stack.node.path)
        if index is None:
            index = {}
            for construct in stack.node.find_all():
                if isinstance(construct, CfnResource):
                    index.setdefault(construct.cfn_resource_type, []).append(construct)
            self._by_stack[stack.node.path] = index
        return index.get(resource_type, [])


def refers_to(value: Any, target: CfnResource) -> bool:
    """True if a resolved property value is a Ref or GetAtt of `target`."""
    target_id = logical_id(target)
    if isinstance(value, dict):
        if value.get("Ref") == target_id:
            return True
        get_att = value.get("Fn::GetAtt")
        if isinstance(get_att, list) and get_att and get_att[0] == target_id:
            return True
    return False


Check = Callable[[CfnResource, StackIndex], NagRuleCompliance]


def waf_on_public_alb(node: CfnResource, index: StackIndex) -> NagRuleCompliance:
    if node.cfn_resource_type != "AWS::ElasticLoadBalancingV2::LoadBalancer":
        return NagRuleCompliance.NOT_APPLICABLE
    props = properties(node)
    if props.get("type", "application") != "application" or props.get("scheme") != "internet-facing":
        return NagRuleCompliance.NOT_APPLICABLE
    associated = any(
        refers_to(properties(association).get("resourceArn"), node)
        for association in index.siblings(node, "AWS::WAFv2::WebACLAssociation")
    )
    return NagRuleCompliance.COMPLIANT if associated else NagRuleCompliance.NON_COMPLIANT


def strong_tls_listener(node: CfnResource, index: StackIndex) -> NagRuleCompliance:
    if node.cfn_resource_type != "AWS::ElasticLoadBalancingV2::Listener":
        return NagRuleCompliance.NOT_APPLICABLE
    props = properties(node)
    protocol = props.get("protocol")
    if protocol in ("HTTPS", "TLS"):
        policy = str(props.get("sslPolicy", ""))
        # Policies that allow only TLS 1.2 and 1.3; the CloudFormation default (2016-08) allows TLS 1.0.
        strong = "TLS13" in policy or "TLS-1-2" in policy or "FS-1-2" in policy
        return NagRuleCompliance.COMPLIANT if strong else NagRuleCompliance.NON_COMPLIANT
    if protocol == "HTTP":
        actions = props.get("defaultActions", [])
        redirects_only = bool(actions) and all(
            action.get("type") == "redirect" and action.get("redirectConfig", {}).get("protocol") == "HTTPS"
            for action in actions
        )
        forwarding_rules = any(
            refers_to(properties(rule).get("listenerArn"), node)
            for rule in index.siblings(node, "AWS::ElasticLoadBalancingV2::ListenerRule")
        )
        compliant = redirects_only and not forwarding_rules
        return NagRuleCompliance.COMPLIANT if compliant else NagRuleCompliance.NON_COMPLIANT
    return NagRuleCompliance.NOT_APPLICABLE


def audit_log_retention(node: CfnResource, index: StackIndex) -> NagRuleCompliance:
    if node.cfn_resource_type == "AWS::Logs::LogGroup":
        days = properties(node).get("retentionInDays")
        if not isinstance(days, int):  # never expires
            return NagRuleCompliance.COMPLIANT
        if days < HOT_RETENTION_DAYS:
            return NagRuleCompliance.NON_COMPLIANT
        if days >= ARCHIVE_RETENTION_DAYS:
            return NagRuleCompliance.COMPLIANT
        archived = any(
            refers_to(properties(subscription).get("logGroupName"), node)
            for subscription in index.siblings(node, "AWS::Logs::SubscriptionFilter")
        )
        return NagRuleCompliance.COMPLIANT if archived else NagRuleCompliance.NON_COMPLIANT
    if node.cfn_resource_type == "AWS::S3::Bucket":
        rules = properties(node).get("lifecycleConfiguration", {}).get("rules", [])
        expirations = [rule["expirationInDays"] for rule in rules if isinstance(rule.get("expirationInDays"), int)]
        short = any(days < ARCHIVE_RETENTION_DAYS for days in expirations)
        return NagRuleCompliance.NON_COMPLIANT if short else NagRuleCompliance.COMPLIANT
    return NagRuleCompliance.NOT_APPLICABLE


def _bucket_expiration_days(props: dict[str, Any]) -> int | None:
    """The longest expiration of current objects in the bucket's lifecycle, None if they never expire."""
    rules = props.get("lifecycleConfiguration", {}).get("rules", [])
    days = [rule["expirationInDays"] for rule in rules if isinstance(rule.get("expirationInDays"), int)]
    return max(days) if days else None


def _guarded_actions(node: CfnResource, index: StackIndex) -> set[str]:
    """What the bucket's policy denies to every principal but named ones (`aws:PrincipalArn`)."""
    denied: set[str] = set()
    for policy in index.siblings(node, "AWS::S3::BucketPolicy"):
        props = properties(policy)
        if not refers_to(props.get("bucket"), node):
            continue
        for statement in props.get("policyDocument", {}).get("Statement", []):
            everyone = statement.get("Principal") in ("*", {"AWS": "*"})
            named = "aws:PrincipalArn" in statement.get("Condition", {}).get("ArnNotEquals", {})
            if statement.get("Effect") == "Deny" and everyone and named:
                actions = statement.get("Action", [])
                denied |= {actions} if isinstance(actions, str) else set(actions)
    return denied


def audit_logs_unerasable(node: CfnResource, index: StackIndex) -> NagRuleCompliance:
    if node.cfn_resource_type != "AWS::S3::Bucket":
        return NagRuleCompliance.NOT_APPLICABLE
    props = properties(node)
    versioned = props.get("versioningConfiguration", {}).get("status") == "Enabled"
    expiration = _bucket_expiration_days(props)
    noncurrent = [
        rule.get("noncurrentVersionExpiration", {}).get("noncurrentDays")
        for rule in props.get("lifecycleConfiguration", {}).get("rules", [])
    ]
    # A deleted or overwritten record is a noncurrent version: it must not expire before a current one would.
    kept = all(days is None or expiration is None or days >= expiration for days in noncurrent)
    guarded = (ERASING_ACTIONS | UNPROTECTING_ACTIONS).issubset(_guarded_actions(node, index))
    return NagRuleCompliance.COMPLIANT if versioned and kept and guarded else NagRuleCompliance.NON_COMPLIANT


def audit_logs_locked(node: CfnResource, index: StackIndex) -> NagRuleCompliance:
    if node.cfn_resource_type != "AWS::S3::Bucket":
        return NagRuleCompliance.NOT_APPLICABLE
    props = properties(node)
    retention = props.get("objectLockConfiguration", {}).get("rule", {}).get("defaultRetention", {})
    locked_days = retention.get("days") or 365 * retention.get("years", 0)
    needed = _bucket_expiration_days(props) or ARCHIVE_RETENTION_DAYS
    locked = props.get("objectLockEnabled") is True and locked_days >= needed
    return NagRuleCompliance.COMPLIANT if locked else NagRuleCompliance.NON_COMPLIANT


def key_rotation(node: CfnResource, index: StackIndex) -> NagRuleCompliance:
    if node.cfn_resource_type != "AWS::KMS::Key":
        return NagRuleCompliance.NOT_APPLICABLE
    props = properties(node)
    if props.get("keySpec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT":
        return NagRuleCompliance.NOT_APPLICABLE  # AWS rotates only symmetric keys automatically
    return NagRuleCompliance.COMPLIANT if props.get("enableKeyRotation") is True else NagRuleCompliance.NON_COMPLIANT


def network_traffic_logged(node: CfnResource, index: StackIndex) -> NagRuleCompliance:
    if node.cfn_resource_type != "AWS::EC2::VPC":
        return NagRuleCompliance.NOT_APPLICABLE
    logged = any(
        refers_to(properties(flow_log).get("resourceId"), node) and properties(flow_log).get("trafficType") == "ALL"
        for flow_log in index.siblings(node, "AWS::EC2::FlowLog")
    )
    return NagRuleCompliance.COMPLIANT if logged else NagRuleCompliance.NON_COMPLIANT


def _open_rule_allowed(rule: dict[str, Any]) -> bool:
    if rule.get("cidrIp") not in OPEN_CIDRS and rule.get("cidrIpv6") not in OPEN_CIDRS:
        return True
    return (
        rule.get("ipProtocol") == "tcp"
        and rule.get("fromPort") == rule.get("toPort")
        and rule.get("fromPort") in PUBLIC_LISTENER_PORTS
    )


def restricted_inbound(node: CfnResource, index: StackIndex) -> NagRuleCompliance:
    if node.cfn_resource_type == "AWS::EC2::SecurityGroup":
        rules = properties(node).get("securityGroupIngress", [])
    elif node.cfn_resource_type == "AWS::EC2::SecurityGroupIngress":
        rules = [properties(node)]
    else:
        return NagRuleCompliance.NOT_APPLICABLE
    return NagRuleCompliance.COMPLIANT if all(map(_open_rule_allowed, rules)) else NagRuleCompliance.NON_COMPLIANT


def restricted_outbound(node: CfnResource, index: StackIndex) -> NagRuleCompliance:
    if node.cfn_resource_type == "AWS::EC2::SecurityGroup":
        rules = properties(node).get("securityGroupEgress", [])
    elif node.cfn_resource_type == "AWS::EC2::SecurityGroupEgress":
        rules = [properties(node)]
    else:
        return NagRuleCompliance.NOT_APPLICABLE
    opened = [r for r in rules if r.get("cidrIp") in OPEN_CIDRS or r.get("cidrIpv6") in OPEN_CIDRS]
    return NagRuleCompliance.NON_COMPLIANT if opened else NagRuleCompliance.COMPLIANT


def _wildcards(document: Any) -> list[dict[str, Any]]:
    """The statements of a policy document that name a wildcard action or resource."""
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    found = []
    for statement in statements:
        actions = statement.get("Action", [])
        resources = statement.get("Resource", [])
        if "*" in json.dumps(actions) or "*" in json.dumps(resources):
            found.append(statement)
    return found


def justified_wildcards(node: CfnResource, index: StackIndex) -> NagRuleCompliance:
    props = properties(node)
    if node.cfn_resource_type in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        documents = [props.get("policyDocument")]
    elif node.cfn_resource_type == "AWS::IAM::Role":
        documents = [policy.get("policyDocument") for policy in props.get("policies", [])]
    else:
        return NagRuleCompliance.NOT_APPLICABLE
    justified = node.get_metadata(JUSTIFIED_WILDCARDS) or {}
    for document in documents:
        for statement in _wildcards(document):
            actions = statement.get("Action", [])
            listed = justified.get(statement.get("Sid", ""))
            if listed is None or sorted([actions] if isinstance(actions, str) else actions) != listed:
                return NagRuleCompliance.NON_COMPLIANT
    return NagRuleCompliance.COMPLIANT


def _hardened(container: dict[str, Any]) -> bool:
    dropped = container.get("linuxParameters", {}).get("capabilities", {}).get("drop", [])
    return (
        container.get("readonlyRootFilesystem") is True
        and container.get("privileged") is not True
        and "ALL" in dropped
        and isinstance(container.get("memory"), int)
    )


def hardened_containers(node: CfnResource, index: StackIndex) -> NagRuleCompliance:
    if node.cfn_resource_type != "AWS::ECS::TaskDefinition":
        return NagRuleCompliance.NOT_APPLICABLE
    containers = properties(node).get("containerDefinitions", [])
    if all(_hardened(container) for container in containers):
        return NagRuleCompliance.COMPLIANT
    return NagRuleCompliance.NON_COMPLIANT


@dataclass(frozen=True)
class RuleDefinition:
    suffix: str
    info: str
    explanation: str
    check: Check
    # The resource types the check can judge; it is not applied to others.
    resource_types: frozenset[str]


RULES: tuple[RuleDefinition, ...] = (
    RuleDefinition(
        "6.4.2-WafOnPublicAlb",
        "The internet-facing ALB has no AWS WAF web ACL associated in its stack - (Requirement 6.4.2).",
        "Public-facing web applications must sit behind an automated technical solution that detects and "
        "prevents web-based attacks.",
        waf_on_public_alb,
        frozenset({"AWS::ElasticLoadBalancingV2::LoadBalancer"}),
    ),
    RuleDefinition(
        "4.2.1-StrongTlsListener",
        "The listener allows TLS older than 1.2, or serves plain HTTP other than a redirect to HTTPS - "
        "(Requirement 4.2.1).",
        "Cardholder data in transit over open, public networks needs strong cryptography: HTTPS listeners on a "
        "TLS 1.2+ policy, and HTTP listeners that only redirect to HTTPS.",
        strong_tls_listener,
        frozenset({"AWS::ElasticLoadBalancingV2::Listener"}),
    ),
    RuleDefinition(
        "10.5.1-AuditLogRetention",
        "Audit logs are not kept 12 months with the last 3 months immediately available - (Requirement 10.5.1).",
        "Log groups must keep at least 90 days and either keep 365 days or stream to an archive (a subscription "
        "filter); S3 lifecycle rules must not expire objects before 365 days.",
        audit_log_retention,
        frozenset({"AWS::Logs::LogGroup", "AWS::S3::Bucket"}),
    ),
    RuleDefinition(
        "10.3.2-AuditLogsUnerasable",
        "The audit bucket lets records be erased: it is not versioned, its noncurrent versions expire before current "
        "ones, or its policy does not deny deleting records and changing its protection to all but named "
        "custodians - (Requirements 10.3.2, 10.5.1).",
        "Audit logs are protected from modification: versioning keeps every overwritten or deleted record as long "
        "as current ones, and the bucket policy denies s3:DeleteObject(Version), s3:BypassGovernanceRetention and "
        "changes of policy, lifecycle and versioning to every principal whose aws:PrincipalArn is not named.",
        audit_logs_unerasable,
        frozenset({"AWS::S3::Bucket"}),
    ),
    RuleDefinition(
        "10.3.3-AuditLogsLocked",
        "The audit bucket has no S3 Object Lock default retention as long as it keeps records - (Requirements "
        "10.3.2, 10.3.3).",
        "Audit logs are kept in a form that cannot be altered: S3 Object Lock with a default retention at least as "
        "long as the lifecycle keeps objects (365 days when it does not expire them).",
        audit_logs_locked,
        frozenset({"AWS::S3::Bucket"}),
    ),
    RuleDefinition(
        "3.7-KeyRotation",
        "The KMS key does not rotate automatically - (Requirements 3.6, 3.7.4).",
        "Cryptographic keys must be changed at the end of their cryptoperiod; enable yearly automatic rotation.",
        key_rotation,
        frozenset({"AWS::KMS::Key"}),
    ),
    RuleDefinition(
        "10.2-NetworkTrafficLogged",
        "The VPC has no flow log capturing all traffic in its stack - (Requirements 10.2, 10.2.1).",
        "Audit logs must capture network activity; a flow log with traffic type ALL records accepted and "
        "rejected connections.",
        network_traffic_logged,
        frozenset({"AWS::EC2::VPC"}),
    ),
    RuleDefinition(
        "1.3-RestrictedInbound",
        "The security group admits the internet on a port other than the public listener ports 80 and 443 - "
        "(Requirements 1.3.1, 1.4.2).",
        "Inbound traffic from untrusted networks must be limited to what is necessary: only the public "
        "listener ports may be open to 0.0.0.0/0 or ::/0.",
        restricted_inbound,
        frozenset({"AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress"}),
    ),
    RuleDefinition(
        "1.3.2-RestrictedOutbound",
        "The security group lets traffic out to the whole internet - (Requirement 1.3.2).",
        "Outbound traffic from the cardholder data environment must be limited to what is necessary: name the "
        "destinations (endpoints, prefix lists, the processor's networks), never 0.0.0.0/0 or ::/0.",
        restricted_outbound,
        frozenset({"AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupEgress"}),
    ),
    RuleDefinition(
        "7.2-JustifiedWildcards",
        "A policy statement with a wildcard action or resource is not among the statements its acknowledgement "
        "justifies - (Requirements 7.2.1, 7.2.2).",
        "Access is least privilege: every wildcard must be justified for its own statement and actions "
        "(`acknowledge_wildcards` in rules/acknowledge.py), so a wildcard added later is not covered by an "
        "earlier reason.",
        justified_wildcards,
        frozenset({"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::Role"}),
    ),
    RuleDefinition(
        "2.2-HardenedContainers",
        "A container of the task definition is writable, privileged, keeps Linux capabilities or has no hard "
        "memory limit - (Requirements 2.2.1, 2.2.6).",
        "System components must be configured securely and prevent misuse: every container runs with a "
        "read-only root filesystem, unprivileged, with every capability dropped and a hard memory limit.",
        hardened_containers,
        frozenset({"AWS::ECS::TaskDefinition"}),
    ),
)


@jsii.implements(IApplyRule)
class _AppliedRule:
    """One rule applied to one resource, in the shape cdk-nag's `applyRule` expects."""

    def __init__(self, definition: RuleDefinition, node: CfnResource, index: StackIndex) -> None:
        self._definition = definition
        self._node = node
        self._index = index

    @property
    def node(self) -> CfnResource:
        return self._node

    @property
    def info(self) -> str:
        return self._definition.info

    @property
    def explanation(self) -> str:
        return self._definition.explanation

    @property
    def level(self) -> NagMessageLevel:
        return NagMessageLevel.ERROR

    @property
    def rule_suffix_override(self) -> str | None:
        return self._definition.suffix

    def rule(self, node: CfnResource) -> NagRuleCompliance:
        return self._definition.check(node, self._index)


class PCIDSS401Checks(NagPack):
    """PCI DSS v4.0.1 requirements beyond cdk-nag's PCI DSS 3.2.1 pack (retired 2024)."""

    def __init__(self, scope: IConstruct | None = None) -> None:
        super().__init__(scope)
        self._pack_name = PACK_NAME
        self._index = StackIndex()

    @property
    def name(self) -> str:
        return PACK_NAME

    def _check_resource(self, node: CfnResource) -> None:
        resource_type = node.cfn_resource_type
        for definition in RULES:
            if resource_type not in definition.resource_types:
                continue
            # jsii reads these members as properties (plain attributes are not seen); they are read-only
            # here, which the IApplyRule protocol's setters do not need.
            self._apply_rule(cast(IApplyRule, _AppliedRule(definition, node, self._index)))
