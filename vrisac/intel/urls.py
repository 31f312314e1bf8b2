from django.urls import path

from . import views

app_name = "intel"

urlpatterns = [
    path("", views.index, name="index"),
    path("indicators/<int:pk>/", views.indicator_detail, name="indicator"),
    path("indicators/<int:pk>/edit/", views.indicator_edit, name="indicator_edit"),
    path("indicators/<int:pk>/remove/", views.indicator_remove, name="indicator_remove"),
    path("indicators/<int:pk>/sighting/", views.sighting_add, name="sighting"),
    path("extract/", views.extract_page, name="extract"),
    path("extract/add/", views.extract_add, name="extract_add"),
    path("search/", views.search_page, name="search"),
    path("export/", views.export_page, name="export"),
    path("feeds/", views.feed_list, name="feeds"),
    path("feeds/new/", views.feed_edit, name="feed_new"),
    path("feeds/<int:pk>/", views.feed_detail, name="feed"),
    path("feeds/<int:pk>/edit/", views.feed_edit, name="feed_edit"),
    path("feeds/<int:pk>/fetch/", views.feed_fetch, name="feed_fetch"),
    path("warninglists/", views.warninglist_list, name="warninglists"),
    path("warninglists/new/", views.warninglist_edit, name="warninglist_new"),
    path("warninglists/<int:pk>/", views.warninglist_edit, name="warninglist"),
    path("warninglists/<int:pk>/toggle/", views.warninglist_toggle, name="warninglist_toggle"),
    path("correlation/", views.correlation_page, name="correlation"),
    path("correlation/exclusions/<int:pk>/remove/", views.exclusion_remove,
         name="exclusion_remove"),
]
