from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularSwaggerSplitView

from unionportal.core import api as core_api
from unionportal.core import health, views as core_views
from unionportal.core.schema_view import HeldSchemaView

# Each app adds its API routes in <app>/api_urls.py and its pages in <app>/urls.py.
api_v1 = [
    path("auth/token/", core_api.TokenView.as_view(), name="auth-token"),
    path("auth/whoami/", core_api.WhoAmIView.as_view(), name="auth-whoami"),
    path("", include("members.api_urls")),
    path("", include("stations.api_urls")),
    path("", include("benefits.api_urls")),
    path("", include("convalescence.api_urls")),
]

urlpatterns = [
    # First: nearly every request is an API call, and Django tries the patterns in order.
    path("api/v1/", include(api_v1)),
    path("", core_views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("hello", core_views.hello, name="hello"),
    # Browsers ask for /favicon.ico on pages without an icon link (the admin's).
    path("favicon.ico", core_views.favicon),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/login/", core_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(next_page="home"), name="logout"),
    path("admin/", admin.site.urls),
    path("api/schema/", HeldSchemaView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("", include("members.urls")),
    path("", include("stations.urls")),
    path("", include("benefits.urls")),
    path("", include("convalescence.urls")),
]

handler404 = "unionportal.core.views.not_found"
