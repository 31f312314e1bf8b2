from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from vrisac.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("", include("vrisac.core.urls")),
    path("accounts/", include("vrisac.accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("invite/", include("vrisac.organisations.invite_urls")),
    path("members/", include("vrisac.organisations.urls")),
    path("reports/", include("vrisac.reports.urls")),
    path("notifications/", include("vrisac.notifications.urls")),
    path("intel/", include("vrisac.intel.urls")),
    path("advisories/", include("vrisac.advisories.urls")),
    path("inventory/", include("vrisac.assets.urls")),
    path("warnings/", include("vrisac.alerts.urls")),
    path("resilience/", include("vrisac.resilience.urls")),
    path("knowledge/", include("vrisac.knowledge.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    # The public site (Digitale weerbaarheid at /, English under /en/) and the contact form.
    path("", include("vrisac.knowledge.public_urls")),
    path("api/v1/", include("vrisac.api.urls")),
    path("django-admin/", admin.site.urls),
]
