from django.urls import path

from . import views

app_name = "taxii_client"

urlpatterns = [
    path("", views.remote_list, name="list"),
    path("new/", views.remote_edit, name="new"),
    path("<int:pk>/", views.remote_detail, name="detail"),
    path("<int:pk>/edit/", views.remote_edit, name="edit"),
    path("<int:pk>/pull/", views.remote_pull, name="pull"),
    path("<int:pk>/toggle/", views.remote_toggle, name="toggle"),
]
