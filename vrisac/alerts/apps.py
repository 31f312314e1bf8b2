from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "vrisac.alerts"
    label = "alerts"
    verbose_name = "Warnings"
