"""Where providers push: answer fast, prove the sender, hand the work to Celery.

Google waits for the answer and retries 500/502/503/504 with backoff, so the view only
checks the channel and its token and enqueues the read (calendars.push); the read itself
runs in a worker.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from calendars import push


@csrf_exempt  # Google posts no CSRF token; the channel token authenticates the message
@require_POST
def google_push(request: HttpRequest) -> HttpResponse:
    status = push.google_message_receive(
        channel_id=request.headers.get("X-Goog-Channel-ID", ""),
        token=request.headers.get("X-Goog-Channel-Token", ""),
        resource_id=request.headers.get("X-Goog-Resource-ID", ""),
        state=request.headers.get("X-Goog-Resource-State", ""),
        number=request.headers.get("X-Goog-Message-Number", ""),
    )
    return HttpResponse(status=status)


def _graph(request: HttpRequest, receive) -> HttpResponse:
    # The validation handshake: Graph POSTs ?validationToken=… and needs the token back as
    # text/plain with 200 within 10 seconds before it accepts a subscription
    # (https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks).
    token = request.GET.get("validationToken")
    if token is not None:
        return HttpResponse(token, content_type="text/plain; charset=utf-8")
    try:
        items = json.loads(request.body or b"{}").get("value")
    except (ValueError, AttributeError):
        return HttpResponse(status=400)
    if not isinstance(items, list):
        return HttpResponse(status=400)
    # 202 at once, the read in a worker: Graph wants a 2xx within 3 seconds or it throttles
    # and drops notifications (same page).
    return HttpResponse(status=receive(items=items))


@csrf_exempt  # Graph posts no CSRF token; each notification's clientState authenticates it
@require_POST
def microsoft_push(request: HttpRequest) -> HttpResponse:
    return _graph(request, push.microsoft_notifications_receive)


@csrf_exempt
@require_POST
def microsoft_lifecycle(request: HttpRequest) -> HttpResponse:
    return _graph(request, push.microsoft_lifecycle_receive)
