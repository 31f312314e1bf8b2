from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "vrisac.reports"
    label = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (attachment key checks)
