from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import get_object_or_404, render

from programs.models import Group, Match


@login_required
def match_book(request, match_id: int):
    # Only the two people in a match may open its booking page; others get a 404.
    match = get_object_or_404(
        Match.objects.select_related("mentee", "mentor", "program"),
        Q(mentee=request.user) | Q(mentor=request.user),
        pk=match_id,
    )
    return render(
        request,
        "scheduling/book_match.html",
        {"match": match, "partner": match.partner_of(request.user)},
    )


@login_required
def group_book(request, group_id: int):
    group = get_object_or_404(
        Group.objects.select_related("program"), pk=group_id, members=request.user
    )
    return render(request, "scheduling/book_group.html", {"group": group})
