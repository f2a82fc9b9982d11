"""The Redis cache backend (one shared client per pool) and sessions kept in the cache."""

import os
import threading

import pytest
import redis
from django.contrib.sessions.backends.cached_db import SessionStore
from django.core.cache import cache
from django.test import override_settings

from together.redis_cache import SharedClientRedisCache

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0] + "/13"


@pytest.fixture
def redis_cache():
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.exceptions.ConnectionError:
        pytest.fail(f"Redis is not answering at {REDIS_URL}: start it (see .ci/run)")
    backend = SharedClientRedisCache(REDIS_URL, {"KEY_PREFIX": f"test-{os.getpid()}"})
    yield backend
    backend.clear()


def test_it_keeps_one_client_for_every_call(redis_cache):
    client = redis_cache._cache
    assert client.get_client("a") is client.get_client("b", write=True)


def test_it_is_still_a_working_django_cache(redis_cache):
    redis_cache.set("name", {"who": "alice"}, 30)
    redis_cache.set_many({"a": 1, "b": 2}, 30)
    assert redis_cache.get("name") == {"who": "alice"}
    assert redis_cache.get_many(["a", "b", "missing"]) == {"a": 1, "b": 2}
    assert redis_cache.incr("a") == 2
    redis_cache.delete("name")
    assert redis_cache.get("name") is None


def test_threads_share_the_client_safely(redis_cache):
    errors = []

    def work(n: int) -> None:
        try:
            for i in range(50):
                redis_cache.set(f"t{n}:{i}", i, 30)
                assert redis_cache.get(f"t{n}:{i}") == i
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


@pytest.mark.django_db
@override_settings(SESSION_ENGINE="django.contrib.sessions.backends.cached_db")
def test_a_cached_session_survives_losing_the_cache():
    session = SessionStore()
    session["who"] = "alice"
    session.create()
    cache.clear()
    assert SessionStore(session.session_key).load() == {"who": "alice"}
