"""A cdk-nag rule pack for PCI DSS v4.0.1 requirements that the PCI DSS 3.2.1 pack does not check.

Each rule reads the synthesized CloudFormation properties of one resource (and, for relational rules,
the other resources of the same stack, where CloudFormation references can be resolved to logical ids).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import jsii
from aws_cdk import CfnDeletionPolicy, CfnResource, Stack
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
    """Every resource of the app by stack and type, with its properties and logical id, read once per synth.

    Each read of a construct crosses the jsii bridge to JavaScript (about 0.2 ms a call), and the rules read the
    same resources many times: the first check walks the app once and keeps, for each CfnResource, the Python
    object the walk returned, its stack and type; properties and logical ids are read on first use. The rules get
    those kept objects (`canonical`), so every later lookup is a dictionary hit keyed by `id()` (each entry holds its
    object, so the id is not reused)."""

    def __init__(self) -> None:
        self._by_path: dict[str, CfnResource] = {}
        self._stack_of: dict[int, str] = {}
        self._type_of: dict[int, str] = {}
        self._by_stack: dict[str, dict[str, list[CfnResource]]] = {}
        self._region_of_stack: dict[str, str] = {}
        self._everywhere: dict[str, list[CfnResource]] = {}
        self._cache: dict[tuple[str, int], tuple[CfnResource, Any]] = {}

    def _build(self, node: IConstruct) -> None:
        for stack in node.node.root.node.children:
            if not Stack.is_stack(stack):
                continue
            stack_path = stack.node.path
            self._region_of_stack[stack_path] = str(cast(Stack, stack).region)
            by_type = self._by_stack.setdefault(stack_path, {})
            resources = [c for c in stack.node.find_all() if isinstance(c, CfnResource)]
            # One resolve per stack instead of one per resource.
            resolved = cast(Stack, stack).resolve([r._cfn_properties for r in resources])
            for construct, props in zip(resources, resolved, strict=True):
                kind = construct.cfn_resource_type
                self._by_path[construct.node.path] = construct
                self._stack_of[id(construct)] = stack_path
                self._type_of[id(construct)] = kind
                self._cache[("properties", id(construct))] = (construct, props if isinstance(props, dict) else {})
                by_type.setdefault(kind, []).append(construct)
                self._everywhere.setdefault(kind, []).append(construct)

    def canonical(self, node: CfnResource) -> CfnResource:
        """The index's own object for `node` (one jsii read of its path, unless jsii handed the same object)."""
        if not self._by_path:
            self._build(node)
        if id(node) in self._type_of:
            return node
        path = node.node.path
        if path not in self._by_path:  # created after the walk (not in a synthesized app): index it alone
            self._by_path[path] = node
            self._stack_of[id(node)] = Stack.of(node).node.path
            self._type_of[id(node)] = node.cfn_resource_type
        return self._by_path[path]

    def _cached(self, what: str, node: CfnResource, read: Callable[[CfnResource], Any]) -> Any:
        key = (what, id(node))
        if key not in self._cache:
            self._cache[key] = (node, read(node))
        return self._cache[key][1]

    def properties(self, node: CfnResource) -> dict[str, Any]:
        """`properties(node)`, resolved once per synth."""
        found: dict[str, Any] = self._cached("properties", node, properties)
        return found

    def type_of(self, node: CfnResource) -> str:
        return self._type_of[id(node)]

    def logical_id(self, node: CfnResource) -> str:
        found: str = self._cached("logical id", node, logical_id)
        return found

    def refers_to(self, value: Any, target: CfnResource) -> bool:
        """True if a resolved property value is a Ref or GetAtt of `target`."""
        target_id = self._cached("logical id", target, logical_id)
        if isinstance(value, dict):
            if value.get("Ref") == target_id:
                return True
            get_att = value.get("Fn::GetAtt")
            if isinstance(get_att, list) and get_att and get_att[0] == target_id:
                return True
        return False

    def in_region(self, node: CfnResource, resource_type: str) -> list[CfnResource]:
        """Every resource of `resource_type` in the stacks of the node's region (an EventBridge rule sees only its
        own region's CloudTrail events)."""
        region = self._region_of_stack.get(self._stack_of[id(node)])
        return [
            found
            for found in self._everywhere.get(resource_type, [])
            if self._region_of_stack.get(self._stack_of[id(found)]) == region
        ]

    def siblings(self, node: CfnResource, resource_type: str) -> list[CfnResource]:
        """Every resource of `resource_type` in the node's stack."""
        return self._by_stack.get(self._stack_of[id(node)], {}).get(resource_type, [])


Check = Callable[[CfnResource, StackIndex], NagRuleCompliance]


def waf_on_public_alb(node: CfnResource, index: StackIndex) -> NagRuleCompliance:
    if index.type_of(node) != "AWS::ElasticLoadBalancingV2::LoadBalancer":
        return NagRuleCompliance.NOT_APPLICABLE
    props = index.properties(node)
    if props.get("type", "application") != "application" or props.get("scheme") != "internet-facing":
        return NagRuleCompliance.NOT_APPLICABLE
    associated = any(
        index.refers_to(index.properties(association).get("resourceArn"), node)
        for association in index.siblings(node, "AWS::WAFv2::WebACLAssociation")
    )
    return NagRuleCompliance.COMPLIANT if associated else NagRuleCompliance.NON_COMPLIANT


def strong_tls_listener(node: CfnResource, index: StackIndex) -> NagRuleCompliance:
    if index.type_of(node) != "AWS::ElasticLoadBalancingV2::Listener":
        return NagRuleCompliance.NOT_APPLICABLE
    props = index.properties(node)
    protocol = props.get("protocol")
    if protocol in ("HTTPS", "TLS"):
        policy = str(props.get("sslPolicy", ""))
        # Policies whose oldest protocol is TLS 1.2 or 1.3 (ELBSecurityPolicy-TLS13-1-2-..., -TLS13-1-3-...,
        # -TLS-1-2-..., -FS-1-2-...). Not every TLS13 policy: ELBSecurityPolicy-TLS13-1-0-2021-06 allows TLS 1.0.
        strong = re.search(r"TLS13-1-[23]-|TLS-1-2-|FS-1-2-", policy) is not None
        return NagRuleCompliance.COMPLIANT if strong else NagRuleCompliance.NON_COMPLIANT
    if protocol == "HTTP":
        actions = props.get("defaultActions", [])
        redirects_only = bool(actions) and all(
            action.get("type") == "redirect" and action.get("redirectConfig", {}).get("protocol") == "HTTPS"
            for action in actions
        )
        forwarding_rules = any(
            index.refers_to(index.properties(rule).get("listenerArn"), node)
            for rule in index.siblings(node, "AWS::ElasticLoadBalancingV2::ListenerRule")
        )
        compliant = redirects_only and not forwarding_rules
        return NagRuleCompliance.COMPLIANT if compliant else NagRuleCompliance.NON_COMPLIANT
    return NagRuleCompliance.NOT_APPLICABLE


def _archives_everything(subscription: dict[str, Any], node: CfnResource, index: StackIndex) -> bool:
    """A subscription that sends every event (an empty filter pattern) to a Firehose delivery stream: the archive
    whose bucket keeps a year (this rule's S3 half). A filtered one, or one to a function, archives nothing whole."""
    destination = subscription.get("destinationArn")
    to_stream = (isinstance(destination, str) and ":firehose:" in destination) or any(
        index.refers_to(destination, stream) for stream in index.siblings(node, "AWS::KinesisFirehose::DeliveryStream")
    )
    return subscription.get("filterPattern") == "" and to_stream


def audit_log_retention(node: CfnResource, index: StackIndex) -> NagRuleCompliance:
    if index.type_of(node) == "AWS::Logs::LogGroup":
        days = index.properties(node).get("retentionInDays")
        if not isinstance(days, int):  # never expires
            return NagRuleCompliance.COMPLIANT
        if days < HOT_RETENTION_DAYS:
            return NagRuleCompliance.NON_COMPLIANT
        if days >= ARCHIVE_RETENTION_DAYS:
            return NagRuleCompliance.COMPLIANT
        archived = any(
            index.refers_to(props.get("logGroupName"), node) and _archives_everything(props, node, index)
            for props in map(index.properties, index.siblings(node, "AWS::Logs::SubscriptionFilter"))
        )
        return NagRuleCompliance.COMPLIANT if archived else NagRuleCompliance.NON_COMPLIANT
    if index.type_of(node) == "AWS::S3::Bucket":
        rules = index.properties(node).get("lifecycleConfiguration", {}).get("rules", [])
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
        props = index.properties(policy)
        if index.refers_to(props.get("bucket"), node):
            denied |= _denied_to_all_but_named(props.get("policyDocument", {}).get("Statement", []))
    return denied


def audit_logs_unerasable(node: CfnResource, index: StackIndex) -> NagRuleCompliance:
    if index.type_of(node) != "AWS::S3::Bucket":
        return NagRuleCompliance.NOT_APPLICABLE
    props = index.properties(node)
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
    if index.type_of(node) != "AWS::S3::Bucket":
        return NagRuleCompliance.NOT_APPLICABLE
    props = index.properties(node)
    retention = props.get("objectLockConfiguration", {}).get("rule", {}).get("defaultRetention", {})
    locked_days = retention.get("days") or 365 * retention.get("years", 0)
    needed = _bucket_expiration_days(props) or ARCHIVE_RETENTION_DAYS
    locked = props.get("objectLockEnabled") is True and locked_days >= needed
    return NagRuleCompliance.COMPLIANT if locked else NagRuleCompliance.NON_COMPLIANT


def key_rotation(node: CfnResource, index: StackIndex) -> NagRuleCompliance:
    if index.type_of(node) != "AWS::KMS::Key":
        return NagRuleCompliance.NOT_APPLICABLE
    props = index.properties(node)
    if props.get("keySpec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT":
        return NagRuleCompliance.NOT_APPLICABLE  # AWS rotates only symmetric keys automatically
    return NagRuleCompliance.COMPLIANT if props.get("enableKeyRotation") is True else NagRuleCompliance.NON_COMPLIANT


def network_traffic_logged(node: CfnResource, index: StackIndex) -> NagRuleCompliance:
    if index.type_of(node) != "AWS::EC2::VPC":
        return NagRuleCompliance.NOT_APPLICABLE
    logged = any(
        index.refers_to(index.properties(flow_log).get("resourceId"), node)
        and index.properties(flow_log).get("trafficType") == "ALL"
        for flow_log in index.siblings(node, "AWS::EC2::FlowLog")
    )
    return NagRuleCompliance.COMPLIANT if logged else NagRuleCompliance.NON_COMPLIANT


def _to_the_internet(rule: dict[str, Any]) -> bool:
    """Whether a security group rule's range is the whole internet (a range from a token, such as another stack's
    VPC, is not: CloudFormation resolves it to that value)."""
    return any(isinstance(rule.get(key), str) and rule[key] in OPEN_CIDRS for key in ("cidrIp", "cidrIpv6"))


def _open_rule_allowed(rule: dict[str, Any]) -> bool:
    if not _to_the_internet(rule):
        return True
    return (
        rule.get("ipProtocol") == "tcp"
        and rule.get("fromPort") == rule.get("toPort")
        and rule.get("fromPort") in PUBLIC_LISTENER_PORTS
    )


def restricted_inbound(node: CfnResource, index: StackIndex) -> NagRuleCompliance:
    if index.type_of(node) == "AWS::EC2::SecurityGroup":
        rules = index.properties(node).get("securityGroupIngress", [])
    elif index.type_of(node) == "AWS::EC2::SecurityGroupIngress":
        rules = [index.properties(node)]
    else:
        return NagRuleCompliance.NOT_APPLICABLE
    return NagRuleCompliance.COMPLIANT if all(map(_open_rule_allowed, rules)) else NagRuleCompliance.NON_COMPLIANT


def restricted_outbound(node: CfnResource, index: StackIndex) -> NagRuleCompliance:
    if index.type_of(node) == "AWS::EC2::SecurityGroup":
        rules = index.properties(node).get("securityGroupEgress", [])
    elif index.type_of(node) == "AWS::EC2::SecurityGroupEgress":
        rules = [index.properties(node)]
    else:
        return NagRuleCompliance.NOT_APPLICABLE
    opened = [r for r in rules if _to_the_internet(r)]
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
    props = index.properties(node)
    if index.type_of(node) in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        documents = [props.get("policyDocument")]
    elif index.type_of(node) == "AWS::IAM::Role":
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
    # `user` is "uid", "uid:gid" or a name; without one the image's user runs, root unless the image says otherwise.
    user = str(container.get("user", "root")).split(":", 1)[0]
    return (
        user not in ("root", "0", "")
        and container.get("readonlyRootFilesystem") is True
        and container.get("privileged") is not True
        and "ALL" in dropped
        and isinstance(container.get("memory"), int)
    )


def hardened_containers(node: CfnResource, index: StackIndex) -> NagRuleCompliance:
    if index.type_of(node) != "AWS::ECS::TaskDefinition":
        return NagRuleCompliance.NOT_APPLICABLE
    containers = index.properties(node).get("containerDefinitions", [])
    if all(_hardened(container) for container in containers):
        return NagRuleCompliance.COMPLIANT
    return NagRuleCompliance.NON_COMPLIANT


def _compliant(ok: bool) -> NagRuleCompliance:
    return NagRuleCompliance.COMPLIANT if ok else NagRuleCompliance.NON_COMPLIANT


def no_public_ip_on_tasks(node: CfnResource, index: StackIndex) -> NagRuleCompliance:
    awsvpc = index.properties(node).get("networkConfiguration", {}).get("awsvpcConfiguration", {})
    return _compliant(awsvpc.get("assignPublicIp") != "ENABLED")


def default_security_group_closed(node: CfnResource, index: StackIndex) -> NagRuleCompliance:
    """CDK's `restrict_default_security_group` removes the default security group's rules at deploy time."""
    restricted = any(
        index.refers_to(index.properties(custom).get("DefaultSecurityGroupId"), node)
        for custom in index.siblings(node, "Custom::VpcRestrictDefaultSG")
    )
    return _compliant(restricted)


# What each kind of data store calls its customer-managed key, as a path into its properties.
CUSTOMER_KEY_PATHS: dict[str, tuple[str, ...]] = {
    "AWS::Logs::LogGroup": ("kmsKeyId",),
    "AWS::SecretsManager::Secret": ("kmsKeyId",),
    "AWS::SNS::Topic": ("kmsMasterKeyId",),
    "AWS::SQS::Queue": ("kmsMasterKeyId",),
    "AWS::DynamoDB::Table": ("sseSpecification", "kmsMasterKeyId"),
    "AWS::KinesisFirehose::DeliveryStream": ("deliveryStreamEncryptionConfigurationInput", "keyArn"),
}


def _is_customer_key(value: Any) -> bool:
    """A key reference that is not an AWS managed key (`alias/aws/...`)."""
    return value is not None and "alias/aws/" not in json.dumps(value)


def customer_managed_keys(node: CfnResource, index: StackIndex) -> NagRuleCompliance:
    props = index.properties(node)
    if index.type_of(node) == "AWS::S3::Bucket":
        rules = props.get("bucketEncryption", {}).get("serverSideEncryptionConfiguration", [])
        defaults = [rule.get("serverSideEncryptionByDefault", {}) for rule in rules]
        return _compliant(
            bool(defaults)
            and all(
                d.get("sseAlgorithm", "").startswith("aws:kms") and _is_customer_key(d.get("kmsMasterKeyId"))
                for d in defaults
            )
        )
    if index.type_of(node) == "AWS::DynamoDB::Table":
        sse = props.get("sseSpecification", {})
        return _compliant(sse.get("sseEnabled") is True and _is_customer_key(sse.get("kmsMasterKeyId")))
    if index.type_of(node) == "AWS::KinesisFirehose::DeliveryStream":
        encryption = props.get("deliveryStreamEncryptionConfigurationInput", {})
        return _compliant(
            encryption.get("keyType") == "CUSTOMER_MANAGED_CMK" and _is_customer_key(encryption.get("keyArn"))
        )
    value: Any = props
    for part in CUSTOMER_KEY_PATHS[index.type_of(node)]:
        value = value.get(part) if isinstance(value, dict) else None
    return _compliant(_is_customer_key(value))


def _denied_to_all_but_named(statements: Any) -> set[str]:
    """The actions statements deny to every principal whose `aws:PrincipalArn` is not named."""
    denied: set[str] = set()
    for statement in statements if isinstance(statements, list) else []:
        everyone = statement.get("Principal") in ("*", {"AWS": "*"})
        named = "aws:PrincipalArn" in statement.get("Condition", {}).get("ArnNotEquals", {})
        if statement.get("Effect") == "Deny" and everyone and named:
            actions = statement.get("Action", [])
            denied |= {actions} if isinstance(actions, str) else set(actions)
    return denied


# What retires a key: only named custodians may (PCI DSS 3.6.1.2, 3.7.5); the rest is deletion protection.
KEY_RETIRING_ACTIONS = frozenset({"kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:PutKeyPolicy"})
KEY_PENDING_WINDOW_DAYS = 30


def key_custodians(node: CfnResource, index: StackIndex) -> NagRuleCompliance:
    props = index.properties(node)
    statements = props.get("keyPolicy", {}).get("Statement", [])
    guarded = KEY_RETIRING_ACTIONS.issubset(_denied_to_all_but_named(statements))
    window = props.get("pendingWindowInDays", KEY_PENDING_WINDOW_DAYS)
    retained = node.cfn_options.deletion_policy in (CfnDeletionPolicy.RETAIN, CfnDeletionPolicy.RETAIN_EXCEPT_ON_CREATE)
    return _compliant(guarded and window >= KEY_PENDING_WINDOW_DAYS and retained)


def tls_to_targets(node: CfnResource, index: StackIndex) -> NagRuleCompliance:
    props = index.properties(node)
    if props.get("targetType") == "lambda":
        return NagRuleCompliance.NOT_APPLICABLE
    return _compliant(props.get("protocol") in ("HTTPS", "TLS"))


# AWS managed rule groups that detect and block the common web attacks (OWASP classes, known bad inputs).
REQUIRED_WAF_GROUPS = frozenset({"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"})


def managed_waf_rules(node: CfnResource, index: StackIndex) -> NagRuleCompliance:
    blocking = set()
    for rule in index.properties(node).get("rules", []):
        group = rule.get("statement", {}).get("managedRuleGroupStatement", {})
        counts_only = "count" in rule.get("overrideAction", {})
        if group.get("vendorName") == "AWS" and not counts_only:
            blocking.add(group.get("name"))
    return _compliant(REQUIRED_WAF_GROUPS.issubset(blocking))


ADMINISTRATOR_POLICIES = ("AdministratorAccess", "PowerUserAccess", "IAMFullAccess")


def no_full_administration(node: CfnResource, index: StackIndex) -> NagRuleCompliance:
    props = index.properties(node)
    if index.type_of(node) == "AWS::IAM::Role":
        documents = [policy.get("policyDocument") for policy in props.get("policies", [])]
        managed = json.dumps(props.get("managedPolicyArns", []))
        if any(f"policy/{name}" in managed for name in ADMINISTRATOR_POLICIES):
            return NagRuleCompliance.NON_COMPLIANT
    else:
        documents = [props.get("policyDocument")]
    for document in documents:
        for statement in document.get("Statement", []) if isinstance(document, dict) else []:
            actions = statement.get("Action", [])
            actions = [actions] if isinstance(actions, str) else actions
            if statement.get("Effect") == "Allow" and any(a in ("*", "*:*") for a in actions):
                return NagRuleCompliance.NON_COMPLIANT
            if statement.get("Effect") == "Allow" and "NotAction" in statement:  # all but a few actions
                return NagRuleCompliance.NON_COMPLIANT
    return NagRuleCompliance.COMPLIANT


# Environment variables whose name says they hold a credential, and values that look like an AWS access key id.
SECRET_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL|ACCESS_?KEY", re.IGNORECASE)
ACCESS_KEY_VALUE = re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")


def no_secrets_in_environment(node: CfnResource, index: StackIndex) -> NagRuleCompliance:
    for container in index.properties(node).get("containerDefinitions", []):
        for variable in container.get("environment", []):
            name, value = str(variable.get("name", "")), json.dumps(variable.get("value", ""))
            if SECRET_NAME.search(name) or ACCESS_KEY_VALUE.search(value):
                return NagRuleCompliance.NON_COMPLIANT
    return NagRuleCompliance.COMPLIANT


def components_logged(node: CfnResource, index: StackIndex) -> NagRuleCompliance:
    props = index.properties(node)
    if index.type_of(node) == "AWS::ElasticLoadBalancingV2::LoadBalancer":
        if props.get("type", "application") != "application":
            return NagRuleCompliance.NOT_APPLICABLE
        attributes = {a.get("key"): a.get("value") for a in props.get("loadBalancerAttributes", [])}
        return _compliant(attributes.get("access_logs.s3.enabled") == "true")
    if index.type_of(node) == "AWS::WAFv2::WebACL":
        return _compliant(
            any(
                index.refers_to(index.properties(config).get("resourceArn"), node)
                for config in index.siblings(node, "AWS::WAFv2::LoggingConfiguration")
            )
        )
    containers = props.get("containerDefinitions", [])
    return _compliant(all("logConfiguration" in container for container in containers))


def trail_records_everything(node: CfnResource, index: StackIndex) -> NagRuleCompliance:
    props = index.properties(node)
    selectors = props.get("eventSelectors", [])
    management = all(
        s.get("includeManagementEvents", True) and s.get("readWriteType", "All") == "All" for s in selectors
    )
    return _compliant(
        props.get("isLogging") is True
        and props.get("isMultiRegionTrail") is True
        and props.get("includeGlobalServiceEvents", True) is True
        and management
    )


def trail_integrity(node: CfnResource, index: StackIndex) -> NagRuleCompliance:
    props = index.properties(node)
    return _compliant(props.get("enableLogFileValidation") is True and _is_customer_key(props.get("kmsKeyId")))


def trail_reviewed_automatically(node: CfnResource, index: StackIndex) -> NagRuleCompliance:
    """The trail feeds a log group whose metric filters each have an alarm: the review runs without a person."""
    group_arn = index.properties(node).get("cloudWatchLogsLogGroupArn")
    groups = [g for g in index.siblings(node, "AWS::Logs::LogGroup") if index.refers_to(group_arn, g)]
    if not groups:
        return NagRuleCompliance.NON_COMPLIANT
    alarmed = {
        (alarm.get("namespace"), alarm.get("metricName"))
        for alarm in map(index.properties, index.siblings(node, "AWS::CloudWatch::Alarm"))
    }
    filters = [
        index.properties(f)
        for f in index.siblings(node, "AWS::Logs::MetricFilter")
        if index.refers_to(index.properties(f).get("logGroupName"), groups[0])
    ]
    metrics = [
        (t.get("metricNamespace"), t.get("metricName")) for f in filters for t in f.get("metricTransformations", [])
    ]
    return _compliant(bool(metrics) and all(metric in alarmed for metric in metrics))


def undelivered_alerts_kept(node: CfnResource, index: StackIndex) -> NagRuleCompliance:
    targets = index.properties(node).get("targets", [])
    return _compliant(all(target.get("deadLetterConfig", {}).get("arn") for target in targets))


# What changing each kind of resource out of band is called in CloudTrail (one call each is enough to show a
# watch exists; components/change_guard.py watches them all).
# Each watched kind of resource, every CloudTrail call that changes its security posture, and the request field
# (a dotted path in `requestParameters`, as CloudTrail records the call) that names the resource or its owner: a
# guard that warns on one call (UpdateService) but not another (DeleteService), or filters a field the call does
# not record, lets the change through unseen.
CHANGE_CALLS: dict[str, tuple[str, dict[str, tuple[str, ...]]]] = {
    "AWS::ECS::Service": ("aws.ecs", {"cluster": ("UpdateService", "DeleteService")}),
    "AWS::EC2::SecurityGroup": ("aws.ec2", {
        "groupId": ("AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress",
                    "RevokeSecurityGroupEgress", "DeleteSecurityGroup"),
        "ModifySecurityGroupRulesRequest.GroupId": ("ModifySecurityGroupRules",),
    }),
    "AWS::S3::BucketPolicy": ("aws.s3", {"bucketName": ("PutBucketPolicy", "DeleteBucketPolicy")}),
    "AWS::ElasticLoadBalancingV2::Listener": ("aws.elasticloadbalancing", {
        "listenerArn": ("ModifyListener", "ModifyListenerAttributes", "AddListenerCertificates",
                        "RemoveListenerCertificates", "CreateRule", "DeleteListener"),
    }),
}  # fmt: skip


def _names(value: Any, logical_ids: set[str]) -> bool:
    """Whether a pattern's value names one of the resources: a Ref or GetAtt of it, or a cross-stack import of
    one (CDK names an export after the resource's logical ID)."""
    if isinstance(value, dict):
        if value.get("Ref") in logical_ids:
            return True
        get_att = value.get("Fn::GetAtt")
        if isinstance(get_att, list) and get_att and get_att[0] in logical_ids:
            return True
        imported = value.get("Fn::ImportValue")
        if isinstance(imported, str) and any(logical_id in imported for logical_id in logical_ids):
            return True
        return any(_names(item, logical_ids) for item in value.values())
    if isinstance(value, list):
        return any(_names(item, logical_ids) for item in value)
    return False


def _watched_resource(node: CfnResource, index: StackIndex) -> set[str]:
    """The logical IDs a rule may name to watch the node: itself, or what it belongs to (a bucket policy's bucket,
    a service's cluster, a listener's load balancer)."""
    props = index.properties(node)
    owners = [props.get(key) for key in ("bucket", "cluster", "loadBalancerArn")]
    found = {index.logical_id(node)}
    for owner in owners:
        if isinstance(owner, dict):
            found |= {str(owner.get("Ref", ""))} | {str((owner.get("Fn::GetAtt") or [""])[0])}
    return found - {""}


def _at(request: Any, path: str) -> Any:
    """The pattern's value at a dotted path of `requestParameters` (None where it filters no such field)."""
    for name in path.split("."):
        if not isinstance(request, dict) or name not in request:
            return None
        request = request[name]
    return request


def change_detected(node: CfnResource, index: StackIndex) -> NagRuleCompliance:
    """Every call that changes the resource is watched in its region by a rule with a target, each either for
    every resource (no request filter) or naming this one at the field CloudTrail records for that call."""
    source, fields = CHANGE_CALLS[index.type_of(node)]
    names = _watched_resource(node, index)
    missing = {call for calls in fields.values() for call in calls}
    for rule in index.in_region(node, "AWS::Events::Rule"):
        props = index.properties(rule)
        pattern = props.get("eventPattern", {})
        if not (
            isinstance(pattern, dict)
            and source in pattern.get("source", [])
            and "AWS API Call via CloudTrail" in pattern.get("detail-type", [])
            and props.get("targets")
        ):
            continue
        detail = pattern.get("detail", {})
        request = detail.get("requestParameters")
        for field, calls in fields.items():
            if request is None or _names(_at(request, field), names):
                missing -= set(calls) & set(detail.get("eventName", []))
    return NagRuleCompliance.NON_COMPLIANT if missing else NagRuleCompliance.COMPLIANT


def alarms_can_notify(node: CfnResource, index: StackIndex) -> NagRuleCompliance:
    """A topic alarms notify lets CloudWatch publish (its policy); who is subscribed is checked by preflight."""
    notified = any(
        any(index.refers_to(action, node) for action in index.properties(alarm).get("alarmActions", []))
        for kind in ("AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm")
        for alarm in index.siblings(node, kind)
    )
    if not notified:
        return NagRuleCompliance.NOT_APPLICABLE
    for policy in index.siblings(node, "AWS::SNS::TopicPolicy"):
        props = index.properties(policy)
        if not any(index.refers_to(topic, node) for topic in props.get("topics", [])):
            continue
        for statement in props.get("policyDocument", {}).get("Statement", []):
            principal = statement.get("Principal", {})
            services = principal.get("Service", []) if isinstance(principal, dict) else []
            services = [services] if isinstance(services, str) else services
            if statement.get("Effect") == "Allow" and "cloudwatch.amazonaws.com" in services:
                return NagRuleCompliance.COMPLIANT
    return NagRuleCompliance.NON_COMPLIANT


def runtime_threat_detection(node: CfnResource, index: StackIndex) -> NagRuleCompliance:
    props = index.properties(node)
    for feature in props.get("features", []):
        if feature.get("name") == "RUNTIME_MONITORING" and feature.get("status") == "ENABLED":
            fargate = [
                c for c in feature.get("additionalConfiguration", []) if c.get("name") == "ECS_FARGATE_AGENT_MANAGEMENT"
            ]
            return _compliant(props.get("enable") is True and any(c.get("status") == "ENABLED" for c in fargate))
    return NagRuleCompliance.NON_COMPLIANT


def image_scanning(node: CfnResource, index: StackIndex) -> NagRuleCompliance:
    props = index.properties(node)
    if index.type_of(node) == "AWS::ECR::Repository":
        return _compliant(props.get("imageScanningConfiguration", {}).get("scanOnPush") is True)
    scans_all = any(
        rule.get("scanFrequency") in ("SCAN_ON_PUSH", "CONTINUOUS_SCAN")
        and any(f.get("filter") == "*" for f in rule.get("repositoryFilters", []))
        for rule in props.get("rules", [])
    )
    return _compliant(scans_all)


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
        "Log groups must keep at least 90 days and either keep 365 days or stream every event to an archive (a "
        "subscription filter with an empty pattern to a Firehose delivery stream); S3 lifecycle rules must not expire "
        "objects before 365 days.",
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
        "The KMS key does not rotate automatically - (Requirement 3.7.4).",
        "Cryptographic keys must be changed at the end of their cryptoperiod; enable yearly automatic rotation.",
        key_rotation,
        frozenset({"AWS::KMS::Key"}),
    ),
    RuleDefinition(
        "10.2-NetworkTrafficLogged",
        "The VPC has no flow log capturing all traffic in its stack - (Requirement 10.2.1).",
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
        "A container of the task definition runs as root, is writable, privileged, keeps Linux capabilities or has "
        "no hard memory limit - (Requirements 2.2.1, 2.2.6).",
        "System components must be configured securely and prevent misuse: every container runs as a non-root "
        "user, with a read-only root filesystem, unprivileged, with every capability dropped and a hard memory "
        "limit.",
        hardened_containers,
        frozenset({"AWS::ECS::TaskDefinition"}),
    ),
    RuleDefinition(
        "1.3.1-NoPublicIpOnTasks",
        "The ECS service gives its tasks public IP addresses - (Requirements 1.3.1, 1.4.1).",
        "Inbound traffic to the CDE is restricted and network security controls stand between it and untrusted "
        "networks: tasks run in private subnets without public addresses and are reached through the load "
        "balancer only.",
        no_public_ip_on_tasks,
        frozenset({"AWS::ECS::Service"}),
    ),
    RuleDefinition(
        "2.2.1-DefaultSecurityGroupClosed",
        "The VPC's default security group keeps its rules - (Requirements 1.2.1, 2.2.1).",
        "Vendor defaults are removed: the default security group of every VPC has no rules, so nothing placed in "
        "it by default can talk (CDK's restrictDefaultSecurityGroup).",
        default_security_group_closed,
        frozenset({"AWS::EC2::VPC"}),
    ),
    RuleDefinition(
        "3.5.1-CustomerManagedKeys",
        "The data store is not encrypted with a customer-managed KMS key - (Requirements 3.5.1, 3.6.1).",
        "Stored data is rendered unreadable with keys the organisation manages: buckets, log groups, tables, "
        "secrets, topics, queues and delivery streams name a customer-managed key (not an AWS managed alias).",
        customer_managed_keys,
        frozenset({"AWS::S3::Bucket", *CUSTOMER_KEY_PATHS}),
    ),
    RuleDefinition(
        "3.6.1-KeyCustodians",
        "The KMS key can be disabled, re-policied or scheduled for deletion by anyone its policy does not name, "
        "waits fewer than 30 days before deletion, or is deleted with its stack - (Requirements 3.6.1, 3.6.1.3, "
        "3.7.5, 3.7.7).",
        "Keys are protected against substitution and loss: the key policy denies kms:ScheduleKeyDeletion, "
        "kms:DisableKey and kms:PutKeyPolicy to all but named custodians (aws:PrincipalArn), a deletion waits the "
        "longest window, and the key is retained when its stack is deleted.",
        key_custodians,
        frozenset({"AWS::KMS::Key"}),
    ),
    RuleDefinition(
        "4.2.1-TlsToTargets",
        "The target group is reached in plain text - (Requirement 4.2.1).",
        "Data in transit stays encrypted behind the load balancer too: target groups use HTTPS (or TLS).",
        tls_to_targets,
        frozenset({"AWS::ElasticLoadBalancingV2::TargetGroup"}),
    ),
    RuleDefinition(
        "6.4.1-ManagedWafRules",
        "The web ACL does not block with AWS's common and known-bad-inputs rule groups - (Requirements 6.4.1, 6.4.2).",
        "Public-facing web applications are protected against known attacks: the web ACL includes "
        "AWSManagedRulesCommonRuleSet and AWSManagedRulesKnownBadInputsRuleSet, neither overridden to count only.",
        managed_waf_rules,
        frozenset({"AWS::WAFv2::WebACL"}),
    ),
    RuleDefinition(
        "7.2.1-NoFullAdministration",
        "The policy allows every action, or the role has an administrator's managed policy - (Requirements 7.2.1, "
        "7.2.2).",
        'Access is assigned by need: no statement allows Action "*", and no role carries AdministratorAccess, '
        "PowerUserAccess or IAMFullAccess.",
        no_full_administration,
        frozenset({"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::Role"}),
    ),
    RuleDefinition(
        "8.6.2-NoSecretsInEnvironment",
        "A container's environment holds what looks like a credential - (Requirements 8.3.2, 8.6.2).",
        "Passwords and keys of application accounts are not in configuration: an environment variable named like a "
        "secret (PASSWORD, SECRET, TOKEN, API_KEY, PRIVATE_KEY, CREDENTIAL, ACCESS_KEY), or whose value is an AWS "
        "access key id, fails; pass secrets through the task definition's `secrets` (Secrets Manager).",
        no_secrets_in_environment,
        frozenset({"AWS::ECS::TaskDefinition"}),
    ),
    RuleDefinition(
        "10.2.1-ComponentsLogged",
        "A component does not log its activity: an ALB without access logs, a web ACL without a logging "
        "configuration, or a container without a log driver - (Requirements 10.2.1, 10.2.2).",
        "Audit logs are enabled and active for every system component: ALB access logs, WAF logs, and a log "
        "configuration on every container.",
        components_logged,
        frozenset({"AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::WAFv2::WebACL", "AWS::ECS::TaskDefinition"}),
    ),
    RuleDefinition(
        "10.2.1-TrailRecordsEverything",
        "The trail is not logging every region's management events, reads and writes - (Requirements 10.2.1, "
        "10.2.1.2, 10.2.1.5).",
        "CloudTrail records every administrative action: the trail logs, covers all regions and global services, "
        "and does not narrow management events.",
        trail_records_everything,
        frozenset({"AWS::CloudTrail::Trail"}),
    ),
    RuleDefinition(
        "10.3.4-TrailIntegrity",
        "The trail's log files are not validated or not encrypted with a customer-managed key - (Requirements "
        "10.3.2, 10.3.4).",
        "Changes to audit logs are detected: log file validation is on, and the files are encrypted with a "
        "customer-managed key.",
        trail_integrity,
        frozenset({"AWS::CloudTrail::Trail"}),
    ),
    RuleDefinition(
        "10.4.1-TrailReviewedAutomatically",
        "The trail does not feed a log group whose metric filters each have an alarm - (Requirements 10.4.1, "
        "10.4.1.1).",
        "Audit logs are reviewed by automated mechanisms: the trail is delivered to CloudWatch Logs, and each "
        "metric filter on it (root use, IAM and key policy changes, sign-in without MFA, security group changes) "
        "has an alarm.",
        trail_reviewed_automatically,
        frozenset({"AWS::CloudTrail::Trail"}),
    ),
    RuleDefinition(
        "10.7.2-UndeliveredAlertsKept",
        "An EventBridge rule's target has no dead-letter queue: an alert it cannot deliver is dropped - "
        "(Requirements 10.7.2, 10.7.3).",
        "Failures of critical security controls are detected and nothing is silently lost: every rule target has "
        "a dead-letter queue, whose depth is alarmed (components/change_guard.py).",
        undelivered_alerts_kept,
        frozenset({"AWS::Events::Rule"}),
    ),
    RuleDefinition(
        "11.5.2-ChangeDetection",
        "A CloudTrail call that changes the resource is watched by no rule in its region - (Requirement 11.5.2).",
        "A change-detection mechanism alerts on unauthorized modification: EventBridge rules with a target on every "
        "CloudTrail call that changes an ECS service, a security group (rules edited in place too), a bucket policy "
        "or a listener (its attributes and certificates too), each rule for all such resources or naming this one "
        "at the request field CloudTrail records for that call.",
        change_detected,
        frozenset(CHANGE_CALLS),
    ),
    RuleDefinition(
        "12.10.5-AlarmsCanNotify",
        "A topic alarms notify does not let CloudWatch publish to it - (Requirements 10.7.2, 12.10.5).",
        "Alerts from security monitoring reach the incident response: the topic policy of every topic an alarm "
        "notifies allows cloudwatch.amazonaws.com to publish (its subscribers are checked by make preflight).",
        alarms_can_notify,
        frozenset({"AWS::SNS::Topic"}),
    ),
    RuleDefinition(
        "5.2.1-RuntimeThreatDetection",
        "The GuardDuty detector does not monitor ECS Fargate tasks at run time - (Requirements 5.2.1, 5.2.2, "
        "5.3.2, 11.5.1).",
        "An anti-malware solution detects threats on the system components: GuardDuty is enabled with Runtime "
        "Monitoring and its ECS Fargate agent managed.",
        runtime_threat_detection,
        frozenset({"AWS::GuardDuty::Detector"}),
    ),
    RuleDefinition(
        "6.3.3-ImageScanning",
        "Images are not scanned for vulnerabilities when pushed - (Requirements 6.3.1, 6.3.3, 11.3.1).",
        "Vulnerabilities are identified: the repository scans on push, or the registry scans every repository "
        "(filter *) on push or continuously.",
        image_scanning,
        frozenset({"AWS::ECR::Repository", "AWS::ECR::RegistryScanningConfiguration"}),
    ),
)


@jsii.implements(IApplyRule)
class _AppliedRule:
    """A finding of one rule on one resource, in the shape cdk-nag's `applyRule` expects: the check already ran in
    Python (`compliance`), so cdk-nag's callback into it crosses the bridge once."""

    def __init__(self, definition: RuleDefinition, node: CfnResource, compliance: NagRuleCompliance) -> None:
        self._definition = definition
        self._node = node
        self._compliance = compliance

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
        return self._compliance


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
        """Run every rule for the resource's type in Python; hand cdk-nag only the findings (a compliant or
        not-applicable result reports nothing), each with its acknowledgements looked up on `node` as usual."""
        canonical = self._index.canonical(node)
        resource_type = self._index.type_of(canonical)
        for definition in RULES:
            if resource_type not in definition.resource_types:
                continue
            compliance = definition.check(canonical, self._index)
            if compliance == NagRuleCompliance.NON_COMPLIANT:
                # jsii reads these members as properties (plain attributes are not seen); they are read-only
                # here, which the IApplyRule protocol's setters do not need.
                self._apply_rule(cast(IApplyRule, _AppliedRule(definition, node, compliance)))
