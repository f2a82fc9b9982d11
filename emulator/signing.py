"""RSA keys and JWTs: the emulator's own signing key and service-account key pairs."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


def new_key_pair() -> tuple[str, str]:
    """A fresh RSA-2048 key pair as (private PKCS#8 PEM, public SubjectPublicKeyInfo PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


class Signer:
    """The key that signs ID tokens and Microsoft access tokens.

    Its public half is published as a JWK set (Microsoft's ``discovery/v2.0/keys`` and
    Google's ``oauth2/v3/certs``) and as PEM certificates (Google's ``oauth2/v1/certs``),
    so clients can verify what the emulator signs with their usual code.
    """

    def __init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(20)
        public_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key()))
        self.jwk = {**public_jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "emulator")])
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3650))
            .sign(self._key, hashes.SHA256())
        )
        self.cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid})

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.jwk]}


def verify_rs256(token: str, public_key_pem: str) -> dict[str, Any]:
    """The claims of an RS256 JWT whose signature matches; `jwt.PyJWTError` otherwise.

    Audience and lifetime are checked by the caller, which knows the provider's rules.
    """
    return jwt.decode(
        token,
        public_key_pem,
        algorithms=["RS256"],
        options={"verify_aud": False, "verify_exp": False, "verify_iat": False},
    )


def unverified_claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})
