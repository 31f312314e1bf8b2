from django.apps import AppConfig


class ResilienceConfig(AppConfig):
    name = "vrisac.resilience"
    label = "resilience"
    verbose_name = "Resilience"
