"""The payment processor's credentials in Secrets Manager, under the data key, kept on stack deletion."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from components.break_glass import deny_all_but
from rules.acknowledge import AWS_SOLUTIONS, HIPAA_SECURITY, NIST_800_53_R5, acknowledge


class ProcessorSecret(Construct):
    """Secret the tasks receive as an environment variable at start, never written in the task definition;
    `readers` (role ARNs) are the only principals its resource policy lets read it."""

    def __init__(self, scope: Construct, id_: str, *, key: kms.IKey, readers: list[str]) -> None:
        super().__init__(scope, id_)
        self.secret: secretsmanager.Secret = secretsmanager.Secret(
            self,
            "Secret",
            description="Payment processor API credentials; set the real value with put-secret-value",
            encryption_key=key,
            removal_policy=RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
            generate_secret_string=secretsmanager.SecretStringGenerator(exclude_punctuation=True, password_length=48),
        )
        # Whatever an identity policy allows, only the tasks' execution role (which injects it at task start) and
        # the break-glass role may read the credentials.
        self.secret.add_to_resource_policy(
            deny_all_but("OnlyTheTasksRead", ("secretsmanager:GetSecretValue",), "*", *readers)
        )
        policy = self.secret.node.find_child("Policy").node.default_child
        assert isinstance(policy, secretsmanager.CfnResourcePolicy)
        policy.block_public_policy = True  # Secrets Manager refuses a policy that would open it to the public
        reason = (
            "The processor issues and rotates these credentials, so no rotation Lambda can; compensating "
            "controls: CMK encryption, read access only for this service's roles, CloudTrail records every read, and "
            "make verify fails when the credentials are older than a year or were never set"
        )
        acknowledge(self.secret, "SecretsManagerRotationEnabled", reason=reason, packs=(NIST_800_53_R5, HIPAA_SECURITY))
        acknowledge(self.secret, "SMG4", reason=reason, packs=(AWS_SOLUTIONS,))
