from django.urls import URLPattern

app_name = "advisories"

urlpatterns: list[URLPattern] = []
