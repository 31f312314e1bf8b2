from django.urls import URLPattern

app_name = "assets"

urlpatterns: list[URLPattern] = []
