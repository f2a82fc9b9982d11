"""Domain errors and bad input mapped to responses, once, for the JSON API and the pages.

- The API (DRF's EXCEPTION_HANDLER) answers every refusal with one documented body,
  ``ErrorSerializer``: ``{"detail": sentence, "code": kind, "field": name or null,
  "errors": {field: [sentences]}}``.
- Pages wrap a view in ``@refusals_shown``: a refusal becomes the page's own 4xx response
  with the sentence, never a 500 and never a half-done write.
"""

from __future__ import annotations

import functools

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import render
from rest_framework import exceptions as drf_exceptions
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from programs.errors import DomainError
from scheduling.engine import SchedulingError

# 422 for a rule's refusal of well-formed input, so 400 always means the request itself was
# malformed (what a client can fix by reading the schema).
STATUS_BY_KIND = {
    "invalid": 400,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "refused": 422,
}


class ErrorSerializer(serializers.Serializer):
    """What every API error response holds (4xx)."""

    detail = serializers.CharField(help_text="What went wrong, in a sentence.")
    code = serializers.CharField(
        help_text="invalid (400), refused (422: the rules say no), not_authenticated, "
        "forbidden, not_found, conflict (409), method_not_allowed, unsupported_media_type, "
        "parse_error or throttled."
    )
    field = serializers.CharField(
        allow_null=True, help_text="The input to blame, where there is one."
    )
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Every input's problems, by input name (empty when none is to blame).",
    )


def error_body(detail: str, code: str, field: str | None = None, errors=None) -> dict:
    return {"detail": detail, "code": code, "field": field, "errors": errors or {}}


def _flatten(detail) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        out = {}
        for name, value in detail.items():
            values = value if isinstance(value, list) else [value]
            out[str(name)] = [
                " ".join(_flatten(v).get("non_field_errors", [])) if isinstance(v, dict) else str(v)
                for v in values
            ]
        return out
    values = detail if isinstance(detail, list) else [detail]
    return {"non_field_errors": [str(v) for v in values]}


def api_exception_handler(exc, context):
    if isinstance(exc, DomainError):
        errors = {exc.field: [exc.message]} if exc.field else {}
        return Response(
            error_body(exc.message, exc.kind, exc.field, errors),
            status=STATUS_BY_KIND[exc.kind],
        )
    if isinstance(exc, SchedulingError):
        # The pure engine's refusal (a range it will not compute): a rule, not a bad request.
        return Response(error_body(str(exc), "refused"), status=STATUS_BY_KIND["refused"])
    if isinstance(exc, DjangoValidationError):
        exc = drf_exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )
    if isinstance(exc, drf_exceptions.ValidationError):
        errors = _flatten(exc.detail)
        field, messages = next(iter(errors.items()), ("non_field_errors", ["Invalid input."]))
        named = None if field == "non_field_errors" else field
        detail = f"{named}: {messages[0]}" if named else messages[0]
        return Response(error_body(detail, "invalid", named, errors), status=400)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
    code = getattr(detail, "code", None) or {404: "not_found", 403: "forbidden"}.get(
        response.status_code, "error"
    )
    response.data = error_body(str(detail), str(code))
    return response


def api_not_found(request, *args, **kwargs):
    """Any /api/ path no route matches (e.g. a non-integer id): the API's JSON 404."""
    return JsonResponse(error_body("Not found.", "not_found"), status=404)


def refusals_shown(template: str = "errors/refused.html"):
    """For page views: a domain refusal is shown on a page with its status (400/404/409),
    a Django ValidationError as a 400. The view's writes are inside its service's transaction,
    so nothing of a refused write remains."""

    def decorate(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            try:
                return view(request, *args, **kwargs)
            except DomainError as exc:
                if exc.kind == "not_found":
                    raise Http404(exc.message) from None
                if exc.kind == "forbidden":
                    raise PermissionDenied(exc.message) from None
                status = STATUS_BY_KIND[exc.kind]
                return render(
                    request, template, {"message": exc.message, "field": exc.field}, status=status
                )
            except SchedulingError as exc:
                return render(request, template, {"message": str(exc), "field": None}, status=422)
            except DjangoValidationError as exc:
                message = " ".join(exc.messages)
                return render(request, template, {"message": message, "field": None}, status=400)

        return wrapped

    return decorate
