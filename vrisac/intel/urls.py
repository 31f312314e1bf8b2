from django.urls import URLPattern

app_name = "intel"

urlpatterns: list[URLPattern] = []
