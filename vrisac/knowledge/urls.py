from django.urls import path

from . import views

app_name = "knowledge"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.item_create, name="create"),
    path("preview/", views.markdown_preview, name="preview"),
    path("items/<uuid:uuid>/", views.item_detail, name="item"),
    path("items/<uuid:uuid>/edit/", views.item_edit, name="item_edit"),
    path("items/<uuid:uuid>/publish/", views.item_publish, name="item_publish"),
    path("items/<uuid:uuid>/retract/", views.item_retract, name="item_retract"),
    path("items/<uuid:uuid>/history/", views.item_history, name="item_history"),
    path("items/<uuid:uuid>/file/", views.item_download, name="item_file"),
    path("items/<uuid:uuid>/file/<int:version>/", views.item_download, name="item_file_version"),
    path("pages/", views.pages, name="pages"),
    path("pages/<slug:slug>/", views.page_edit, name="page_edit"),
    path("pages/<slug:slug>/history/", views.page_history, name="page_history"),
    path("media/", views.media, name="media"),
    path("media/new/", views.media_form, name="media_create"),
    path("media/<int:pk>/", views.media_form, name="media_edit"),
    path("contact/", views.contact_inbox, name="contact_inbox"),
    path("contact/<int:pk>/", views.contact_detail, name="contact_detail"),
]
