from django.urls import URLPattern

app_name = "resilience"

urlpatterns: list[URLPattern] = []
