"""The emulator's own certificate authority and server certificate.

Discovery, token and Graph are served over HTTPS, as Microsoft serves them, so that MSAL (which
refuses a plain-http authority) and every other client exercise real TLS. On first start a local
CA and a leaf certificate valid for ``localhost`` and ``127.0.0.1`` are written to the state
folder; later starts reuse them, so a browser or a client that trusts ``ca.pem`` keeps trusting it.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_FILE = "ca.pem"
CERT_FILE = "server.pem"
KEY_FILE = "server-key.pem"
HOST_NAMES = ("localhost",)
HOST_IPS = ("127.0.0.1", "::1")


def ensure_certificates(state_dir: str | os.PathLike) -> tuple[Path, Path, Path]:
    """Return (ca.pem, server.pem, server-key.pem) in ``state_dir``, creating them if absent."""
    state = Path(state_dir)
    state.mkdir(parents=True, exist_ok=True)
    ca_path, cert_path, key_path = state / CA_FILE, state / CERT_FILE, state / KEY_FILE
    if not (ca_path.exists() and cert_path.exists() and key_path.exists()):
        _write_certificates(ca_path, cert_path, key_path)
    return ca_path, cert_path, key_path


def _write_certificates(ca_path: Path, cert_path: Path, key_path: Path) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Mail Emulator Local CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True,
                content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName(n) for n in HOST_NAMES] + [
        x509.IPAddress(ipaddress.ip_address(ip)) for ip in HOST_IPS
    ]
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=825))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    ca_path.write_bytes(ca_cert.public_bytes(pem))
    cert_path.write_bytes(leaf.public_bytes(pem))
    key_path.write_bytes(
        leaf_key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    key_path.chmod(0o600)
