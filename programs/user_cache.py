"""The signed-in person's row, read from the shared cache instead of the database.

Every signed-in request loads ``request.user``; with sessions already in Redis, that query
(and the connection health check before it) was most of a trivial request's cost. The row is
cached under a version key that every save or delete of the user replaces, immediately and
again once the transaction commits (so a request that read the old row before the commit
cannot store it under the new version). Deactivation, a password change (the session's hash
no longer matches, so Django signs the session out) and any other change are therefore seen
on the very next request. Sign-out is the session's own business and is not affected.

Only with a cache shared by every process (Redis): a per-process memory cache would let
another process keep serving the old row, so settings turn this on with REDIS_URL alone.
"""

from __future__ import annotations

import uuid

from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.db import transaction

TIMEOUT = 60 * 60


def _version_key(user_id) -> str:
    return f"programs:user:{user_id}:version"


def _row_key(user_id) -> str:
    return f"programs:user:{user_id}:row"


def forget(user_id) -> None:
    """A new version now and after commit: any row cached for this user is ignored."""

    def bump() -> None:
        cache.set(_version_key(user_id), uuid.uuid4().hex, TIMEOUT)

    bump()
    transaction.on_commit(bump)


class CachedUserBackend(ModelBackend):
    """ModelBackend whose ``get_user`` (once per signed-in request) reads the cache first."""

    def get_user(self, user_id):
        found = cache.get_many([_version_key(user_id), _row_key(user_id)])
        version = found.get(_version_key(user_id))
        row = found.get(_row_key(user_id))
        if version is not None and row is not None and row[0] == version:
            user = row[1]
            return user if self.user_can_authenticate(user) else None
        if version is None:
            cache.add(_version_key(user_id), uuid.uuid4().hex, TIMEOUT)
            version = cache.get(_version_key(user_id))
        user = super().get_user(user_id)
        if user is not None and version is not None:
            cache.set(_row_key(user_id), (version, user), TIMEOUT)
        return user


def user_changed(sender, instance, **kwargs) -> None:
    if instance.pk is not None:
        forget(instance.pk)
