from django.urls import path

from . import views

app_name = "alerts"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("lookup/", views.lookup, name="lookup"),
    path("preferences/", views.preferences, name="preferences"),
    path("overview/", views.overview, name="overview"),
    path("overview/<str:cve_id>/report/", views.isac_report, name="isac_report"),
]
