"""The test suite's settings: production's module, with a password hasher that is fast.

PBKDF2 costs ~0.2 s per hash by design, and the suite creates and signs in hundreds of
people; the hashing algorithm is not what these tests check. Everything else is as
together/settings.py builds it from the environment, so the suite still runs on the same
database, cache and broker as production.
"""

from together.settings import *  # noqa: F403

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    # Hashes made by other settings (a demo database, a subprocess) still verify.
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
