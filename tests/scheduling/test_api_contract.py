"""The API keeps its documented contract: schemathesis sends generated requests for every
operation in /api/schema/ and runs all of its checks on each answer (status codes, content
types and bodies as documented, valid input accepted, invalid input refused, ...)."""

from __future__ import annotations

import datetime as dt

import schemathesis
import time_machine
from django.test import Client
from django.urls import reverse
from schemathesis.core.failures import FailureGroup

from programs import services as program_services
from scheduling import services
from tests import factories

NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
EXAMPLES = 25


def _documented_refusals_are_valid_answers(schema) -> None:
    """A well-formed request the booking rules refuse gets the documented 422 (a past slot,
    someone's hours): schemathesis' positive-data check is told so; every other check runs
    with its defaults."""
    config = schema.config.checks.positive_data_acceptance
    config.expected_statuses = [*config.expected_statuses, "422"]


def test_every_operation_passes_every_schemathesis_check(
    request, alice_mentee, bob_mentor, northwind
):
    from django.core import signals
    from django.core.wsgi import get_wsgi_application
    from django.db import close_old_connections
    from hypothesis import HealthCheck, given
    from hypothesis import settings as hypothesis_settings

    traveller = time_machine.travel(NOW, tick=False)
    traveller.start()
    request.addfinalizer(traveller.stop)
    program = factories.one_to_one_program(northwind, name="Contract")
    match = program_services.match_create(program=program, mentee=alice_mentee, mentor=bob_mentor)
    services.session_record_outside(
        match_or_group=match,
        start=dt.datetime(2026, 2, 1, 10, tzinfo=dt.UTC),
        duration=30,
        by=alice_mentee,
    )
    client = Client()
    client.force_login(alice_mentee)
    client.get(reverse("home"))
    cookies = {
        "sessionid": client.cookies["sessionid"].value,
        "csrftoken": client.cookies["csrftoken"].value,
    }
    headers = {"X-CSRFToken": cookies["csrftoken"]}
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    request.addfinalizer(lambda: signals.request_started.connect(close_old_connections))
    request.addfinalizer(lambda: signals.request_finished.connect(close_old_connections))
    schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
    schema = schema.include(path_regex=r"^/api/(matches|groups|sessions)/")
    _documented_refusals_are_valid_answers(schema)

    @schema.hook("map_path_parameters")
    def real_ids(context, path_parameters):
        # Alice's real match, so generated bodies reach the booking rules, not only a 404.
        if path_parameters and "match_id" in path_parameters:
            path_parameters["match_id"] = match.pk
        return path_parameters

    failures: list[str] = []
    details: list[str] = []
    cases = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            nonlocal cases
            cases += 1
            try:
                case.call_and_validate(headers=headers, cookies=cookies)
            except FailureGroup as group:  # every check's failures, reported together below
                for failure in group.exceptions:
                    failures.append(f"{case.method} {operation.path}: {failure.title}")
                    # What was sent and answered, so a rare case can be reproduced.
                    details.append(f"{failure.title}: {case.body!r} -> {failure.message}")

        check()
    print(f"\nschemathesis: {cases} cases, {len(failures)} failures")
    distinct = sorted(set(failures))
    print("\n".join(distinct))
    print("\n".join(details))
    assert distinct == []


def test_stateful_sequences_pass_every_check(request, alice_mentee, bob_mentor, northwind):
    """schemathesis' state machine: links between operations (inferred from the schema, e.g.
    a booked session's id fed to reschedule, cancel, mark-done) are followed in sequences,
    with every check on every response."""
    from django.core import signals
    from django.core.wsgi import get_wsgi_application
    from django.db import close_old_connections
    from hypothesis import HealthCheck
    from hypothesis import settings as hypothesis_settings

    traveller = time_machine.travel(NOW, tick=False)
    traveller.start()
    request.addfinalizer(traveller.stop)
    program = factories.one_to_one_program(northwind, name="Stateful")
    match = program_services.match_create(program=program, mentee=alice_mentee, mentor=bob_mentor)
    client = Client()
    client.force_login(alice_mentee)
    client.get(reverse("home"))
    cookies = {
        "sessionid": client.cookies["sessionid"].value,
        "csrftoken": client.cookies["csrftoken"].value,
    }
    headers = {"X-CSRFToken": cookies["csrftoken"]}
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    request.addfinalizer(lambda: signals.request_started.connect(close_old_connections))
    request.addfinalizer(lambda: signals.request_finished.connect(close_old_connections))
    schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
    schema = schema.include(path_regex=r"^/api/(matches|groups|sessions)/")
    _documented_refusals_are_valid_answers(schema)

    @schema.hook("map_path_parameters")
    def real_ids(context, path_parameters):
        # Mostly Alice's real match, so sequences reach bookings and follow their links.
        if path_parameters and "match_id" in path_parameters:
            path_parameters["match_id"] = match.pk
        return path_parameters

    @schema.auth()
    class SessionCookie:
        # Alice's session, as schemathesis' auth: its ignored-auth check then removes or
        # spoils it on purpose and expects a refusal.
        def get(self, case, context):
            return cookies["sessionid"]

        def set(self, case, data, context):
            case.cookies = {**(case.cookies or {}), "sessionid": data}

    Machine = schema.as_state_machine()
    steps = []

    class SignedIn(Machine):
        def get_call_kwargs(self, case):
            return {
                "headers": headers,
                "cookies": {**(case.cookies or {}), "csrftoken": cookies["csrftoken"]},
            }

        def after_call(self, response, case):
            steps.append(f"{case.method} {case.operation.path} {response.status_code}")

    SignedIn.run(
        settings=hypothesis_settings(
            max_examples=15,
            stateful_step_count=6,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    print(f"\nschemathesis stateful: {len(steps)} calls")
    print("\n".join(sorted(set(steps))))
    assert steps
