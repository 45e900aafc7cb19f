"""The break-glass role: the one principal the audit buckets let erase a record or change their protection.

It holds no permission. In an incident that needs it (a record that must be removed by law, a bucket whose
configuration must change outside a deploy), an administrator attaches what is needed, an IAM change that
CloudTrail records, and assumes it with MFA for at most an hour. IAM names are global: only the primary
region's Security stack creates it; the standby's buckets name it.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from constructs import Construct


class BreakGlassRole(Construct):
    def __init__(self, scope: Construct, id_: str, *, role_name: str) -> None:
        super().__init__(scope, id_)
        self.role = iam.Role(
            self,
            "Role",
            role_name=role_name,
            assumed_by=iam.AccountRootPrincipal().with_conditions({"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
            max_session_duration=Duration.hours(1),
            description="Break glass: the only role the audit buckets let erase records or change their protection",
        )
