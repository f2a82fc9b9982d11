from django.urls import path

from calendars import views, webhooks

app_name = "calendars"

urlpatterns = [
    path("", views.my_calendar, name="my_calendar"),
    path("connect/<str:provider>/", views.connect, name="connect"),
    path("callback/<str:provider>/", views.oauth_callback, name="oauth_callback"),
    path("caldav/", views.caldav_connect, name="caldav_connect"),
    path("choose/", views.choose_calendars, name="choose"),
    path("connections/<int:connection_id>/refresh/", views.refresh, name="refresh"),
    path("connections/<int:connection_id>/disconnect/", views.disconnect, name="disconnect"),
    path("organization/", views.org_integration, name="org_integration"),
    path("organization/google/key/", views.org_google_key, name="org_google_key"),
    path("organization/google/verify/", views.org_google_verify, name="org_google_verify"),
    path(
        "organization/microsoft/consent/", views.org_microsoft_consent, name="org_microsoft_consent"
    ),
    path(
        "organization/microsoft/callback/",
        views.org_microsoft_callback,
        name="org_microsoft_callback",
    ),
    path("organization/disconnect/", views.org_disconnect, name="org_disconnect"),
    path("push/google/", webhooks.google_push, name="push_google"),
    path("push/microsoft/", webhooks.microsoft_push, name="push_microsoft"),
    path(
        "push/microsoft/lifecycle/",
        webhooks.microsoft_lifecycle,
        name="push_microsoft_lifecycle",
    ),
]
