"""Internet-facing ALB: HTTPS only (port 80 redirects), TLS 1.3 policy, WAF, access logs, HTTPS to targets.

With a client CA bundle, the HTTPS listener verifies every client's certificate against it (mutual TLS,
verify mode): a client without a certificate from those CAs does not complete the handshake, and a verified
client's subject reaches the service in `X-Amzn-Mtls-Clientcert-Subject`.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration, Stack
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_wafv2 as wafv2
from aws_cdk.region_info import RegionInfo
from constructs import Construct

from components.container_contract import CONTRACT
from components.vpc import PUBLIC
from rules.acknowledge import AWS_SOLUTIONS, COMPLIANCE_PACKS, HIPAA_SECURITY, NIST_800_53_R5, acknowledge

# TLS 1.2 and 1.3 only, forward-secret AEAD ciphers, hybrid post-quantum key exchange (2025 policy).
SSL_POLICY = elbv2.SslPolicy.TLS13_12_RES_PQ
HEALTH_CHECK_PATH = CONTRACT.health_path


ACCESS_LOG_PREFIX = "alb"
# Who writes an ALB's access logs in a region that has no Elastic Load Balancing account (opened after August 2022).
ELB_LOG_DELIVERY = "logdelivery.elasticloadbalancing.amazonaws.com"


def log_access(load_balancer: elbv2.ApplicationLoadBalancer, bucket: s3.IBucket, prefix: str) -> None:
    """Access logs into `bucket` under `prefix`, writable by Elastic Load Balancing for this account only.

    Instead of CDK's `log_access_logs`, which also lets `delivery.logs.amazonaws.com` write for any account (a grant
    only Network Load Balancers use) and so leaves a service statement with no source condition on an audit bucket.
    """
    stack = Stack.of(load_balancer)
    objects = bucket.arn_for_objects(f"{prefix}/AWSLogs/{stack.account}/*")
    account = RegionInfo.get(stack.region).elbv2_account
    if account:  # regions from before August 2022 deliver as Elastic Load Balancing's regional account
        principal: iam.IPrincipal = iam.ArnPrincipal(f"arn:aws:iam::{account}:root")
        conditions = None
    else:
        principal = iam.ServicePrincipal(ELB_LOG_DELIVERY)
        conditions = {"StringEquals": {"aws:SourceAccount": stack.account}}
    bucket.add_to_resource_policy(
        iam.PolicyStatement(
            actions=["s3:PutObject"], principals=[principal], resources=[objects], conditions=conditions
        )
    )
    for key, value in (("enabled", "true"), ("bucket", bucket.bucket_name), ("prefix", prefix)):
        load_balancer.set_attribute(f"access_logs.s3.{key}", value)
    # ELB checks that it may write when the attribute is set: the bucket policy must exist first.
    load_balancer.node.add_dependency(bucket)


class HttpsLoadBalancer(Construct):
    """Public entry point. Requests reach targets only over HTTPS, and only after the WAF has seen them."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        vpc: ec2.IVpc,
        certificate: acm.ICertificate,
        web_acl_arn: str,
        access_log_bucket: s3.IBucket,
        target_port: int,
        deletion_protection: bool,
        client_ca_bundle: Path | None = None,
    ) -> None:
        super().__init__(scope, id_)
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description="Public ALB: HTTPS and the HTTP redirect from the internet",
            allow_all_outbound=False,
        )
        for port, purpose in ((443, "HTTPS"), (80, "HTTP, redirected to HTTPS")):
            self.security_group.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(port), purpose)
        acknowledge(
            self.security_group,
            "EC23",
            packs=(AWS_SOLUTIONS,),
            reason="A public payment API must accept the internet on 443 (and 80, which only redirects); "
            "compensating controls: the WAF web ACL with managed rules and a per-IP rate limit",
        )
        self.load_balancer = elbv2.ApplicationLoadBalancer(
            self,
            "LoadBalancer",
            vpc=vpc,
            internet_facing=True,
            # Its own public subnets: never the NAT gateways' of a firewalled VPC (components/vpc.py).
            vpc_subnets=ec2.SubnetSelection(subnet_group_name=PUBLIC),
            security_group=self.security_group,
            deletion_protection=deletion_protection,
            drop_invalid_header_fields=True,
            desync_mitigation_mode=elbv2.DesyncMitigationMode.STRICTEST,
            http2_enabled=True,
            # Shorter than the tasks' keep-alive: the load balancer, not a task, closes an idle connection.
            idle_timeout=Duration.seconds(CONTRACT.load_balancer_idle_seconds),
        )
        log_access(self.load_balancer, access_log_bucket, ACCESS_LOG_PREFIX)
        if not deletion_protection:
            acknowledge(
                self.load_balancer,
                "ELBDeletionProtectionEnabled",
                packs=(NIST_800_53_R5, HIPAA_SECURITY),
                reason="Deletion protection is on in prod (termination_protection); in other environments the "
                "ALB is stateless and is torn down with its stack; compensating control: it keeps no data, "
                "its access logs live in the retained Security stack bucket",
            )
        self.web_acl_association = wafv2.CfnWebACLAssociation(
            self, "WebAclAssociation", resource_arn=self.load_balancer.load_balancer_arn, web_acl_arn=web_acl_arn
        )

        self.target_group = elbv2.ApplicationTargetGroup(
            self,
            "TargetGroup",
            vpc=vpc,
            target_type=elbv2.TargetType.IP,
            protocol=elbv2.ApplicationProtocol.HTTPS,
            port=target_port,
            # Shorter than the task's 30 s stop timeout, longer than any payment request.
            deregistration_delay=Duration.seconds(20),
            slow_start=Duration.seconds(30),
            health_check=elbv2.HealthCheck(
                path=HEALTH_CHECK_PATH,
                protocol=elbv2.Protocol.HTTPS,
                port=str(target_port),
                healthy_http_codes="200",
                interval=Duration.seconds(10),
                timeout=Duration.seconds(5),
                healthy_threshold_count=2,
                unhealthy_threshold_count=3,
            ),
        )
        self.trust_store: elbv2.TrustStore | None = None
        mutual_authentication = None
        if client_ca_bundle is not None:
            # Uploaded by `cdk deploy` to the bootstrap bucket, from where the trust store reads it once.
            bundle = s3_assets.Asset(self, "ClientCaBundle", path=str(client_ca_bundle))
            self.trust_store = elbv2.TrustStore(
                self, "ClientTrustStore", bucket=bundle.bucket, key=bundle.s3_object_key
            )
            mutual_authentication = elbv2.MutualAuthentication(
                mutual_authentication_mode=elbv2.MutualAuthenticationMode.VERIFY,
                trust_store=self.trust_store,
                ignore_client_certificate_expiry=False,
                advertise_trust_store_ca_names=True,
            )
        self.https_listener = self.load_balancer.add_listener(
            "HttpsListener",
            port=443,
            protocol=elbv2.ApplicationProtocol.HTTPS,
            certificates=[elbv2.ListenerCertificate.from_certificate_manager(certificate)],
            ssl_policy=SSL_POLICY,
            default_target_groups=[self.target_group],
            mutual_authentication=mutual_authentication,
            open=False,
        )
        self.http_listener = self.load_balancer.add_listener(
            "HttpRedirect",
            port=80,
            protocol=elbv2.ApplicationProtocol.HTTP,
            default_action=elbv2.ListenerAction.redirect(protocol="HTTPS", port="443", permanent=True),
            open=False,
        )
        acknowledge(
            self.http_listener,
            "ELBv2ACMCertificateRequired",
            packs=COMPLIANCE_PACKS,
            reason="Port 80 only answers a permanent redirect to HTTPS and forwards nothing; compensating "
            "control: the HTTPS listener on 443 holds the ACM certificate and a TLS 1.2+ policy",
        )
