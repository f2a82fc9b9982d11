from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from programs import views as program_views
from together.errors import api_not_found
from together.views import favicon, healthz

urlpatterns = [
    path("", program_views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("time-zones/", program_views.zone_search, name="zone_search"),
    # Before Django's own: the reset page that also lifts a sign-in lock.
    path(
        "accounts/reset/<uidb64>/<token>/",
        program_views.PasswordResetConfirm.as_view(),
        name="password_reset_confirm",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("", include("scheduling.urls")),
    path("calendar/", include("calendars.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # The split view loads its init code as a script file, not an inline <script> (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
    path("favicon.ico", favicon, name="favicon"),
    # Anything else under /api/ (a non-integer id, a typo): the API's JSON 404, not a page.
    re_path(r"^api/", api_not_found),
]
