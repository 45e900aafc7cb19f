"""The ALB's ACM certificate: imported by ARN, or issued for the domain and validated through Route 53."""

from __future__ import annotations

from aws_cdk import aws_certificatemanager as acm
from constructs import Construct

from components.service_dns import hosted_zone
from settings.sections import TlsSettings


class ServiceCertificate(Construct):
    """An ACM certificate in the stack's region; DNS-validated when it is issued here."""

    def __init__(self, scope: Construct, id_: str, *, tls: TlsSettings) -> None:
        super().__init__(scope, id_)
        self.certificate: acm.ICertificate
        self.domain_name: str | None = tls.domain_name
        if tls.certificate_arn is not None:
            self.certificate = acm.Certificate.from_certificate_arn(self, "Imported", tls.certificate_arn)
            return
        if tls.domain_name is None:
            raise ValueError("tls: a certificate ARN or a domain name with its hosted zone is required")
        self.certificate = acm.Certificate(
            self,
            "Certificate",
            domain_name=tls.domain_name,
            validation=acm.CertificateValidation.from_dns(hosted_zone(self, tls)),
        )
