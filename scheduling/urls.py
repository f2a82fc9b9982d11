from django.urls import include, path

from scheduling import views

urlpatterns = [
    path("matches/<int:match_id>/book/", views.match_book, name="match_book"),
    path("matches/<int:match_id>/book/confirm/", views.match_confirm, name="match_confirm"),
    path("matches/<int:match_id>/done/", views.match_mark_done, name="match_mark_done"),
    path("groups/<int:group_id>/book/", views.group_book, name="group_book"),
    path("groups/<int:group_id>/book/confirm/", views.group_confirm, name="group_confirm"),
    path("sessions/", views.session_list, name="session_list"),
    path("sessions/<int:session_id>/", views.session_detail, name="session_detail"),
    path("sessions/<int:session_id>/cancel/", views.session_cancel, name="session_cancel"),
    path("sessions/<int:session_id>/done/", views.session_mark_done, name="session_mark_done"),
    path("sessions/<int:session_id>/retry/", views.invite_retry, name="invite_retry"),
    path("api/", include("scheduling.api_urls")),
]
