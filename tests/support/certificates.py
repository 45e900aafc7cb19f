"""Certificates made on the fly: a client CA, and a server and a client certificate it issued."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ops.verify import ClientCertificate


def certificates(directory: Path) -> tuple[Path, Path, ClientCertificate]:
    """A CA, a server certificate for localhost and a client certificate, both issued by it."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "clients CA")])

    def issue(name: str, key: Any, issuer: x509.Name, signer: Any, *, ca: bool = False) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(issuer).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=1)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )  # fmt: skip
        if name == "localhost":
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        return builder.sign(signer, hashes.SHA256())

    def write(name: str, certificate: x509.Certificate, key: Any) -> Path:
        (directory / f"{name}.key").write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))  # fmt: skip
        path = directory / f"{name}.pem"
        path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        return path

    authority = write("ca", issue("clients CA", ca_key, ca_name, ca_key, ca=True), ca_key)
    server_key, client_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    server = write("server", issue("localhost", server_key, ca_name, ca_key), server_key)
    client = write("client", issue("merchant-1", client_key, ca_name, ca_key), client_key)
    return authority, server, ClientCertificate(client, directory / "client.key")
