"""Secrets at rest: Fernet encryption with key rotation (MultiFernet).

Keys come from TOGETHER_ENCRYPTION_KEYS (comma-separated; the first encrypts, every key
decrypts). Outside production a key derived from SECRET_KEY is used when none is set, so the
embedded default works; production refuses to start without keys (see settings).
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


@cache
def _fernet(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    if not keys:
        derived = hashlib.sha256(("together-calendar-tokens:" + secret_key).encode()).digest()
        keys = (base64.urlsafe_b64encode(derived).decode(),)
    return MultiFernet([Fernet(k.encode()) for k in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.TOGETHER_ENCRYPTION_KEYS), settings.SECRET_KEY)


def encrypt(plaintext: str) -> str:
    if not plaintext:
        return ""
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    if not ciphertext:
        return ""
    try:
        return fernet().decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        # Never echo the ciphertext: a key mismatch is a deployment error, not data to log.
        raise ValueError(
            "A stored secret could not be decrypted with the configured keys"
        ) from None


def rotate(ciphertext: str) -> str:
    """Re-encrypt under the first (newest) key."""
    if not ciphertext:
        return ""
    return fernet().rotate(ciphertext.encode()).decode()


class EncryptedTextField(models.TextField):
    """A text column holding Fernet ciphertext; Python code sees plaintext.

    Values are encrypted on the way to the database and decrypted on the way out, so a
    database dump holds no plaintext secret.
    """

    def from_db_value(self, value, expression, connection):
        if value is None:
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)
