from django.urls import path

from . import views

app_name = "assets"

urlpatterns = [
    path("", views.item_list, name="list"),
    path("new/", views.item_create, name="create"),
    path("<int:pk>/", views.item_edit, name="edit"),
    path("<int:pk>/delete/", views.item_delete, name="delete"),
    path("import/", views.inventory_import, name="import"),
    path("export.csv", views.inventory_export, name="export"),
    path("common/", views.common, name="common"),
]
