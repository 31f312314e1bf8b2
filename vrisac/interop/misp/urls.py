"""``/misp/``: MISP's paths, with or without ``.json`` and CakePHP's named parameters."""

from django.urls import re_path

from . import views

app_name = "misp"

_END = r"(?:\.json)?(?P<named>(?:/[A-Za-z_]+:[^/]*)*)/?$"
_REF = r"(?P<ref>[0-9A-Za-z-]{1,64})"

urlpatterns = [
    re_path(r"^servers/getVersion(?:\.json)?/?$", views.get_version, name="version"),
    re_path(rf"^users/view/{_REF}{_END}", views.user_view, name="user"),
    re_path(r"^attributes/describeTypes(?:\.json)?/?$", views.describe, name="describe"),
    re_path(rf"^organisations/index{_END}", views.organisations_index, name="organisations"),
    re_path(rf"^events/index{_END}", views.events_index, name="events"),
    re_path(rf"^events/view/{_REF}{_END}", views.event_view, name="event"),
    re_path(rf"^events/add{_END}", views.event_add, name="event-add"),
    re_path(rf"^events/edit/{_REF}{_END}", views.event_edit, name="event-edit"),
    re_path(rf"^events/publish/{_REF}{_END}", views.event_publish, name="event-publish"),
    re_path(rf"^(?P<controller>events|attributes)/restSearch{_END}", views.rest_search,
            name="search"),
    re_path(rf"^attributes/add/{_REF}{_END}", views.attribute_add, name="attribute-add"),
    re_path(r"^tags/attachTagToObject(?:\.json)?/?$", views.tag_attach, name="tag"),
    re_path(r"^sightings/add(?:/(?P<ref>[0-9A-Za-z-]{1,64}))?(?:\.json)?/?$",
            views.sighting_add, name="sighting"),
    re_path(r"^feed/(?P<name>[^/]{1,100})$", views.feed_file, name="feed"),
]
