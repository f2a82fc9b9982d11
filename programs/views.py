from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import views as auth_views
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


class PasswordResetConfirm(auth_views.PasswordResetConfirmView):
    """Django's reset page; a new password also lifts a sign-in lock on the account.

    The lock (django-axes, after repeated wrong passwords) keeps guessers out; the person
    who can read the account's email is the real one, and gets back in at once. Attempts
    from the address stay counted, so a guesser resetting an account they own gains nothing
    for the others.
    """

    def form_valid(self, form):
        response = super().form_valid(form)
        axes_reset(username=form.user.get_username())
        return response


def sign_in_paused(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out sign-in (AXES_LOCKOUT_CALLABLE): says why, for
    how long, and the way back (a password reset), with 429 Too Many Requests."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)
