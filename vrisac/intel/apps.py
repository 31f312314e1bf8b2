from django.apps import AppConfig


class IntelConfig(AppConfig):
    name = "vrisac.intel"
    label = "intel"
    verbose_name = "Threat intelligence"
