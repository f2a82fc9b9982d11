from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from programs import selectors


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
