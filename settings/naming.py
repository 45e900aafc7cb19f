"""The few physical names the app sets, and the AWS limits they must fit.

Everything else gets a CloudFormation-generated name. A name is set only where AWS requires one
(the `aws-waf-logs-` log group) or where operators look for it by name (stacks, the web ACL).
"""

from __future__ import annotations

from dataclasses import dataclass

STACK_KINDS = ("Security", "Network", "Compute", "Observability")
# The service's container in the task definition (sidecars take other names); alarms and tests find it by this.
SERVICE_CONTAINER = "App"
# Audit buckets replicated to the standby region.
REPLICATED_BUCKETS = ("flow-logs", "alb-logs", "log-archive", "access-logs")

# WAF rule names, in evaluation order: the per-IP rate limit, then one rule per AWS managed rule group. Each
# name is also the suffix of that rule's CloudWatch metric name (their length is checked below).
WAF_RATE_RULE = "rate-limit-per-ip"
# Card testing: many small payments from one address, far fewer than its other requests.
WAF_PAYMENT_RATE_RULE = "payment-rate-limit-per-ip"
WAF_BODY_SIZE_RULE = "body-size-limit"
WAF_MANAGED_RULE_GROUPS: dict[str, str] = {
    "aws-ip-reputation": "AWSManagedRulesAmazonIpReputationList",
    "aws-known-bad-inputs": "AWSManagedRulesKnownBadInputsRuleSet",
    "aws-common-rule-set": "AWSManagedRulesCommonRuleSet",
    "aws-sqli-rule-set": "AWSManagedRulesSQLiRuleSet",
}
WAF_RULES = (WAF_RATE_RULE, WAF_PAYMENT_RATE_RULE, WAF_BODY_SIZE_RULE, *WAF_MANAGED_RULE_GROUPS)
# The longest region name AWS has had (ap-southeast-5 and the like are shorter), for a name checked without its
# environment's regions.
LONGEST_REGION = "ap-northeast-3"


@dataclass(frozen=True)
class PhysicalNames:
    service: str
    environment: str

    @property
    def prefix(self) -> str:
        return f"{self.service}-{self.environment}"

    def stack(self, kind: str) -> str:
        return f"{self.prefix}-{kind}"

    @property
    def web_acl(self) -> str:
        return f"{self.prefix}-web-acl"

    @property
    def trail(self) -> str:
        """The management trail of `governance: create` (components/governance.py)."""
        return f"{self.prefix}-trail"

    @property
    def waf_log_group(self) -> str:
        # WAF only delivers to log groups whose name starts with this prefix.
        return f"aws-waf-logs-{self.prefix}"

    @property
    def page_alarm(self) -> str:
        """The composite alarm that pages; alarm names are unique per account and region."""
        return f"{self.prefix}-page"

    @property
    def waf_log_delivery_policy(self) -> str:
        # CloudWatch Logs resource policies are named per account and region.
        return f"{self.prefix}-waf-log-delivery"

    # The egress firewall's parts (components/egress_firewall.py); Network Firewall requires set names.
    def egress_firewall(self, number: int) -> str:
        """The firewall of the `number`th zone (one firewall per zone)."""
        return f"{self.prefix}-egress-{number}"

    @property
    def egress_policy(self) -> str:
        return f"{self.prefix}-egress"

    @property
    def egress_rule_group(self) -> str:
        return f"{self.prefix}-processor-hosts"

    @property
    def egress_log_group(self) -> str:
        # Under /aws/vendedlogs/, as AWS advises for log groups that vended-log delivery writes to.
        return f"/aws/vendedlogs/{self.prefix}/egress-firewall"

    @property
    def egress_log_delivery_policy(self) -> str:
        return f"{self.prefix}-egress-log-delivery"

    @property
    def break_glass_role(self) -> str:
        """The one role the audit buckets let delete records or change their protection (IAM names are global)."""
        return f"{self.prefix}-audit-break-glass"

    def execution_role(self, region: str) -> str:
        """The tasks' execution role, the one principal the processor secret lets read it (IAM names are global,
        and each region has its own)."""
        return f"{self.prefix}-task-execution-{region}"

    @property
    def key_admin_role(self) -> str:
        """The one role the KMS keys let retire them (IAM names are global)."""
        return f"{self.prefix}-key-administrator"

    @property
    def data_key_alias(self) -> str:
        return f"alias/{self.prefix}/data"

    @property
    def topics_key_alias(self) -> str:
        return f"alias/{self.prefix}/topics"

    @property
    def secrets_key_alias(self) -> str:
        return f"alias/{self.prefix}/secrets"

    @property
    def logs_key_alias(self) -> str:
        return f"alias/{self.prefix}/logs"

    def governance_bucket(self, account: str, region: str) -> str:
        """Name of the bucket the trail and AWS Config deliver into (`governance: create`); set, because the
        Governance stack names it without importing it."""
        return f"{self.prefix}-governance-{account}-{region}"

    def replica_bucket(self, kind: str, account: str, region: str) -> str:
        """Name of the standby region's replica of an audit bucket; set, because the primary region's
        replication rule must name it before either stack exists."""
        return f"{self.prefix}-{kind}-replica-{account}-{region}"

    @property
    def metrics_namespace(self) -> str:
        """CloudWatch namespace of the service's business metrics (Embedded Metric Format)."""
        return f"{self.service}/{self.environment}"

    def waf_metric(self, rule: str) -> str:
        return f"{self.prefix}-{rule}"

    def limits(self, regions: tuple[str | None, ...] = ()) -> dict[str, tuple[str, int]]:
        """Each named thing: (name, AWS length limit); region-named ones in each of `regions`, or, with none given,
        in the longest region name AWS has had."""
        named = {f"stack name ({kind})": (self.stack(kind), 128) for kind in STACK_KINDS}
        named["WAF web ACL name"] = (self.web_acl, 128)
        for rule in WAF_RULES:
            named[f"WAF metric name ({rule})"] = (self.waf_metric(rule), 128)
        named["WAF log group name"] = (self.waf_log_group, 512)
        named["CloudWatch Logs resource policy name"] = (self.waf_log_delivery_policy, 255)
        named["paging alarm name"] = (self.page_alarm, 255)
        named["Network Firewall name"] = (self.egress_firewall(3), 128)
        named["Network Firewall rule group name"] = (self.egress_rule_group, 128)
        named["egress firewall log group name"] = (self.egress_log_group, 512)
        named["egress log delivery policy name"] = (self.egress_log_delivery_policy, 255)
        named["metrics namespace"] = (self.metrics_namespace, 255)
        named["break-glass role name"] = (self.break_glass_role, 64)
        named["key administrator role name"] = (self.key_admin_role, 64)
        for region in [r for r in regions if r is not None] or [LONGEST_REGION]:
            named[f"execution role name in {region}"] = (self.execution_role(region), 64)
        return named

    def problems(self, regions: tuple[str | None, ...] = ()) -> list[str]:
        """Each name too long, in the environment's `regions` (the primary's and the standby's)."""
        return [
            too_long(self, what, name, limit)
            for what, (name, limit) in self.limits(regions).items()
            if len(name) > limit
        ]


def too_long(names: PhysicalNames, what: str, name: str, limit: int) -> str:
    """One line naming both parts of a name that is too long (service_name and the environment's name), and how
    long each may be with the other as it is: the longer part is not always the environment's."""
    over = len(name) - limit
    fixes = [
        f"{part} to at most {len(value) - over} characters"
        for part, value in (("service_name", names.service), ("the environment name", names.environment))
        if len(value) - over >= 1
    ]
    return (
        f"service_name {names.service!r} and name {names.environment!r} make the {what} {name!r} {len(name)} "
        f"characters long; the limit is {limit}: shorten {' or '.join(fixes) if fixes else 'both'}"
    )
