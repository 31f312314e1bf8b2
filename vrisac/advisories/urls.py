from django.urls import path

from . import views

app_name = "advisories"

urlpatterns = [
    path("", views.advisory_list, name="list"),
    path("<int:pk>/", views.advisory_detail, name="detail"),
    path("vulnerabilities/<str:cve_id>/", views.vulnerability_detail, name="vulnerability"),
    path("aliases/", views.aliases, name="aliases"),
    path("aliases/<int:pk>/remove/", views.alias_remove, name="alias_remove"),
]
