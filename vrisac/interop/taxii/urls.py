from django.urls import path

from . import views

app_name = "taxii"

_COLLECTION = "api/collections/<str:collection>/"

urlpatterns = [
    path("", views.discovery, name="discovery"),
    path("api/", views.api_root, name="api_root"),
    path("api/status/<uuid:status_id>/", views.status, name="status"),
    path("api/collections/", views.collections, name="collections"),
    path(_COLLECTION, views.collection, name="collection"),
    path(_COLLECTION + "objects/", views.objects, name="objects"),
    path(_COLLECTION + "objects/<str:object_id>/", views.single, name="object"),
    path(_COLLECTION + "objects/<str:object_id>/versions/", views.versions, name="versions"),
    path(_COLLECTION + "manifest/", views.manifest, name="manifest"),
]
