"""Where providers push: answer fast, prove the sender, hand the work to Celery.

Google waits for the answer and retries 500/502/503/504 with backoff, so the view only
checks the channel and its token and enqueues the read (calendars.push); the read itself
runs in a worker.
"""

from __future__ import annotations

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
