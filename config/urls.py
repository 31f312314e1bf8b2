from allauth.account import views as allauth_views
from allauth.account.decorators import reauthentication_required
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.views.i18n import set_language

from vrisac.core import views as core_views
from vrisac.ops import views as ops_views

# The Django admin logs in through the platform's own login, with its second factor.
admin.site.login = login_required(admin.site.login)  # type: ignore[method-assign]

urlpatterns = [
    path("healthz", ops_views.healthz, name="healthz"),
    path("readyz", ops_views.readyz, name="readyz"),
    path("metrics", ops_views.metrics, name="metrics"),
    path("favicon.ico", core_views.favicon),
    path("", include("vrisac.core.urls")),
    path("accounts/", include("vrisac.accounts.urls")),
    # Changing the e-mail address or the password first asks for the password or the
    # second factor again (django-allauth's re-authentication).
    path("accounts/email/", reauthentication_required(allow_get=True)(allauth_views.email),
         name="account_email"),
    path("accounts/password/change/",
         reauthentication_required(allow_get=True)(allauth_views.password_change),
         name="account_change_password"),
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
    path("ops/", include("vrisac.ops.urls")),
    path("stix/", include("vrisac.interop.stix.urls")),
    path("exchange/taxii/", include("vrisac.interop.taxii_client.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    # The public site (Digitale weerbaarheid at /, English under /en/) and the contact form.
    path("", include("vrisac.knowledge.public_urls")),
    path("api/v1/", include("vrisac.api.urls")),
    path("taxii2/", include("vrisac.interop.taxii.urls")),
    path("misp/", include("vrisac.interop.misp.urls")),
    path("django-admin/", admin.site.urls),
]

# A machine face (REST API, TAXII, MISP) answers 404 and 500 in its own format.
handler400 = "vrisac.core.views.bad_request"
handler404 = "vrisac.core.views.not_found"
handler500 = "vrisac.core.views.server_error"
