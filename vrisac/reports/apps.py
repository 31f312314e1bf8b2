from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "vrisac.reports"
    label = "reports"
    verbose_name = "Reports"
