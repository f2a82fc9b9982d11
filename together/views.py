from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect
from django.templatetags.static import static


def healthz(request):
    """Liveness for load balancers and docker-compose: the database and cache answer."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    cache.set("healthz", "ok", 5)
    return JsonResponse({"status": "ok", "cache": cache.get("healthz") == "ok"})


def favicon(request):
    """Browsers ask for /favicon.ico whatever a page links; send them to the static file
    (its URL carries a content hash in production, so it is looked up per request)."""
    return redirect(static("favicon.ico"))
