from django.urls import path

from . import views

app_name = "stix"

urlpatterns = [
    path("reports/<int:pk>.json", views.report_download, name="report"),
]
