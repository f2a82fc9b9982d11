from django.urls import path

from scheduling import api

urlpatterns = [
    path(
        "matches/<int:match_id>/availability/",
        api.MatchAvailabilityApi.as_view(),
        name="api_match_availability",
    ),
    path("matches/<int:match_id>/sessions/", api.MatchBookApi.as_view(), name="api_match_book"),
    path("matches/<int:match_id>/series/", api.MatchSeriesApi.as_view(), name="api_match_series"),
    path(
        "groups/<int:group_id>/heat-map/", api.GroupHeatMapApi.as_view(), name="api_group_heat_map"
    ),
    path("groups/<int:group_id>/sessions/", api.GroupBookApi.as_view(), name="api_group_book"),
    path("groups/<int:group_id>/series/", api.GroupSeriesApi.as_view(), name="api_group_series"),
    path("sessions/", api.SessionListApi.as_view(), name="api_sessions"),
    path("sessions/<int:session_id>/", api.SessionDetailApi.as_view(), name="api_session"),
    path(
        "sessions/<int:session_id>/reschedule/",
        api.SessionRescheduleApi.as_view(),
        name="api_session_reschedule",
    ),
    path(
        "sessions/<int:session_id>/cancel/",
        api.SessionCancelApi.as_view(),
        name="api_session_cancel",
    ),
    path(
        "sessions/<int:session_id>/mark-done/",
        api.SessionMarkDoneApi.as_view(),
        name="api_session_mark_done",
    ),
]
