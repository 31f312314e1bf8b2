from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "vrisac.api"
    label = "api"
    verbose_name = "REST API"
