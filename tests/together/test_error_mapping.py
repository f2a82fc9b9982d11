"""Domain errors become responses in one place (together/errors.py), for the pages and the API."""

from zoneinfo import ZoneInfo

import pytest
from django.http import Http404, HttpResponse
from django.test import RequestFactory
from django.utils import timezone
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from programs.errors import Conflict, NotFound, Refused
from scheduling.engine import SchedulingError
from together.errors import refusals_shown


def _page(error):
    @refusals_shown()
    def view(request):
        raise error

    return view


@pytest.mark.parametrize(
    "error, status",
    [
        (Refused("Outside the hours Ben can be booked.", field="start"), 422),
        (Conflict("Just taken."), 409),
    ],
)
def test_a_page_shows_a_refusal_with_its_status_and_sentence(alice_mentee, error, status):
    request = RequestFactory().post("/somewhere/")
    request.user = alice_mentee
    # As the viewing-zone middleware would: the page renders on Alice's clock.
    with timezone.override(ZoneInfo(alice_mentee.time_zone)):
        response = _page(error)(request)
    assert response.status_code == status
    assert error.message in response.content.decode()
    assert "Nothing was changed" in response.content.decode()


def test_a_page_answers_not_found_as_a_404(alice_mentee):
    request = RequestFactory().get("/somewhere/")
    request.user = alice_mentee
    with pytest.raises(Http404):
        _page(NotFound("No such match."))(request)


def test_a_page_that_works_is_left_alone(alice_mentee):
    request = RequestFactory().get("/")
    request.user = alice_mentee
    assert refusals_shown()(lambda r: HttpResponse("fine"))(request).content == b"fine"


class _Raises(APIView):
    error: Exception

    def get(self, request):
        raise self.error


@pytest.mark.parametrize(
    "error, status, code, field",
    [
        (Refused("Outside the hours Ben can be booked.", field="start"), 422, "refused", "start"),
        (Conflict("Just taken."), 409, "conflict", None),
        (NotFound("No such match."), 404, "not_found", None),
        (SchedulingError("Ask for at most 62 days."), 422, "refused", None),
    ],
)
def test_the_api_answers_every_domain_error_with_the_documented_body(
    alice_mentee, error, status, code, field
):
    request = APIRequestFactory().get("/api/x/")
    request.user = alice_mentee
    attributes = {"error": error, "authentication_classes": [], "permission_classes": []}
    view = type("V", (_Raises,), attributes).as_view()
    response = view(request)
    assert response.status_code == status
    assert response.data == {
        "detail": str(error),
        "code": code,
        "field": field,
        "errors": {field: [str(error)]} if field else {},
    }
