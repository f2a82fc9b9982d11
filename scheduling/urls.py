from django.urls import include, path

from scheduling import my_availability, views

urlpatterns = [
    path("matches/<int:match_id>/book/", views.match_book, name="match_book"),
    path("matches/<int:match_id>/book/confirm/", views.match_confirm, name="match_confirm"),
    path("matches/<int:match_id>/done/", views.match_mark_done, name="match_mark_done"),
    path("groups/<int:group_id>/book/", views.group_book, name="group_book"),
    path("groups/<int:group_id>/book/confirm/", views.group_confirm, name="group_confirm"),
    path(
        "groups/<int:group_id>/optional/",
        my_availability.group_member_optional,
        name="group_member_optional",
    ),
    path("sessions/", views.session_list, name="session_list"),
    path("sessions/<int:session_id>/", views.session_detail, name="session_detail"),
    path("sessions/<int:session_id>/cancel/", views.session_cancel, name="session_cancel"),
    path("sessions/<int:session_id>/done/", views.session_mark_done, name="session_mark_done"),
    path("sessions/<int:session_id>/retry/", views.invite_retry, name="invite_retry"),
    path("availability/", my_availability.my_availability, name="my_availability"),
    path("availability/week/", my_availability.weekly_hours, name="my_availability_week"),
    path("availability/date/", my_availability.date_override, name="my_availability_date"),
    path("availability/time-off/", my_availability.time_off, name="my_availability_time_off"),
    path("api/", include("scheduling.api_urls")),
]
