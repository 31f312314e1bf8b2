from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "vrisac.ops"
    label = "ops"
    verbose_name = "Operations"
