"""Regional WAFv2 web ACL for the public ALB, with logging that redacts credentials.

WAF's log delivery writes into the log group only if a CloudWatch Logs resource policy lets
`delivery.logs.amazonaws.com` do so. WAF would add one to the account on its own, outside the templates;
this construct writes it, so that the path is declared, reviewed and evaluated with the app.
"""

from __future__ import annotations

from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from components.container_contract import CONTRACT
from components.log_group import log_group_arn, vended_log_delivery
from settings.naming import (
    WAF_BODY_SIZE_RULE,
    WAF_MANAGED_RULE_GROUPS,
    WAF_PAYMENT_RATE_RULE,
    WAF_RATE_RULE,
    PhysicalNames,
)

# Headers that carry credentials or session state never reach the WAF log; nor does the query string, where a
# client could put anything (a card number included).
REDACTED_HEADERS = ("authorization", "cookie", "x-api-key")
PAYMENTS_PATH = "/payments"


class RegionalWebAcl(Construct):
    """Web ACL: per-IP rate limit, then AWS managed rule groups; logs every request to `log_group`."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        names: PhysicalNames,
        rate_limit: int,
        payment_rate_limit: int,
        log_group: logs.ILogGroup,
        rule_versions: dict[str, str] | None = None,
    ) -> None:
        super().__init__(scope, id_)
        payments = wafv2.CfnWebACL.StatementProperty(
            and_statement=wafv2.CfnWebACL.AndStatementProperty(
                statements=[
                    _exactly(PAYMENTS_PATH, wafv2.CfnWebACL.FieldToMatchProperty(uri_path={})),
                    _exactly("POST", wafv2.CfnWebACL.FieldToMatchProperty(method={})),
                ]
            )
        )
        # Larger than any payment; also what WAF cannot inspect at an ALB (its first 8 KB), so nothing reaches the
        # service unread.
        oversized = wafv2.CfnWebACL.StatementProperty(
            size_constraint_statement=wafv2.CfnWebACL.SizeConstraintStatementProperty(
                field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(
                    body=wafv2.CfnWebACL.BodyProperty(oversize_handling="MATCH")
                ),
                comparison_operator="GT",
                size=CONTRACT.max_body_bytes,
                text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")],
            )
        )
        # The app's own blocking rules, in evaluation order.
        blocking = {
            WAF_RATE_RULE: _per_ip(rate_limit),
            WAF_PAYMENT_RATE_RULE: _per_ip(payment_rate_limit, scope_down=payments),
            WAF_BODY_SIZE_RULE: oversized,
        }
        rules = [
            wafv2.CfnWebACL.RuleProperty(
                name=name,
                priority=priority,
                action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                statement=statement,
                visibility_config=_visibility(names.waf_metric(name)),
            )
            for priority, (name, statement) in enumerate(blocking.items())
        ]
        rules += [
            wafv2.CfnWebACL.RuleProperty(
                name=rule_name,
                priority=priority,
                override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                        vendor_name="AWS", name=group, version=(rule_versions or {}).get(group)
                    )
                ),
                visibility_config=_visibility(names.waf_metric(rule_name)),
            )
            for priority, (rule_name, group) in enumerate(WAF_MANAGED_RULE_GROUPS.items(), start=len(rules))
        ]
        self.web_acl: wafv2.CfnWebACL = wafv2.CfnWebACL(
            self,
            "WebAcl",
            name=names.web_acl,
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=_visibility(names.web_acl),
            rules=rules,
        )
        log_destination = log_group_arn(self, log_group.log_group_name)
        self.log_delivery_policy = vended_log_delivery(
            self,
            "LogDeliveryPolicy",
            policy_name=names.waf_log_delivery_policy,
            log_group_name=log_group.log_group_name,
            sid="WafLogDelivery",
        )
        self.logging: wafv2.CfnLoggingConfiguration = wafv2.CfnLoggingConfiguration(
            self,
            "Logging",
            resource_arn=self.web_acl.attr_arn,
            log_destination_configs=[log_destination],
            redacted_fields=[
                *(
                    wafv2.CfnLoggingConfiguration.FieldToMatchProperty(single_header={"Name": header})
                    for header in REDACTED_HEADERS
                ),
                wafv2.CfnLoggingConfiguration.FieldToMatchProperty(query_string={}),
            ],
        )
        self.logging.node.add_dependency(self.log_delivery_policy)


# The rate-based rules count each client address's requests over this window.
RATE_WINDOW_SECONDS = 300


def _per_ip(
    limit: int, scope_down: wafv2.CfnWebACL.StatementProperty | None = None
) -> wafv2.CfnWebACL.StatementProperty:
    """Requests per client address in 5 minutes, of those `scope_down` matches (all without it)."""
    return wafv2.CfnWebACL.StatementProperty(
        rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
            aggregate_key_type="IP",
            limit=limit,
            evaluation_window_sec=RATE_WINDOW_SECONDS,
            scope_down_statement=scope_down,
        )
    )


def _exactly(value: str, field: wafv2.CfnWebACL.FieldToMatchProperty) -> wafv2.CfnWebACL.StatementProperty:
    return wafv2.CfnWebACL.StatementProperty(
        byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
            field_to_match=field,
            positional_constraint="EXACTLY",
            search_string=value,
            text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")],
        )
    )


def _visibility(metric_name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric_name, sampled_requests_enabled=True
    )
