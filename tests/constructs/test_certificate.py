"""components/certificate.py: DNS-validated in the configured zone, or imported by ARN."""

from __future__ import annotations

from components.certificate import ServiceCertificate
from settings.sections import TlsSettings
from tests.support.bare import bare_stack, one, resources, template

ISSUED = TlsSettings(
    domain_name="pay.test.example.com", hosted_zone_id="Z0TESTZONE0000001", hosted_zone_name="test.example.com."
)
IMPORTED = TlsSettings(
    certificate_arn="arn:aws:acm:us-east-1:111111111111:certificate/00000000-0000-4000-8000-000000000000"
)


def test_certificate_is_dns_validated_in_the_configured_zone() -> None:
    stack = bare_stack()
    ServiceCertificate(stack, "Certificate", tls=ISSUED)
    certificate = one(template(stack), "AWS::CertificateManager::Certificate")
    assert certificate["DomainName"] == ISSUED.domain_name
    assert certificate["ValidationMethod"] == "DNS"
    assert certificate["DomainValidationOptions"] == [
        {"DomainName": ISSUED.domain_name, "HostedZoneId": ISSUED.hosted_zone_id}
    ]


def test_an_imported_certificate_creates_none() -> None:
    stack = bare_stack()
    certificate = ServiceCertificate(stack, "Certificate", tls=IMPORTED)
    assert resources(template(stack), "AWS::CertificateManager::Certificate") == {}
    assert certificate.certificate.certificate_arn == IMPORTED.certificate_arn
