from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from programs import selectors, zones


@login_required
def home(request):
    user = request.user
    return render(
        request,
        "programs/home.html",
        {
            "matches": selectors.matches_for(user),
            "groups": selectors.groups_for(user),
            "upcoming": selectors.upcoming_sessions_for(user),
            "todos": selectors.todos_for(user),
        },
    )


@login_required
def zone_search(request):
    """The time-zone picker's suggestions for what was typed (``tz``): an htmx partial."""
    now = timezone.now()
    query = request.GET.get("tz", "")[:64]
    result = zones.search_zones(query, at=now)
    return render(
        request,
        "programs/_tz_options.html",
        {
            "query": query,
            "options": [(zone.name, zone.label(now)) for zone in result.zones],
            "more": result.total - len(result.zones),
        },
    )
