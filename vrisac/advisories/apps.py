from django.apps import AppConfig


class AdvisoriesConfig(AppConfig):
    name = "vrisac.advisories"
    label = "advisories"
    verbose_name = "Advisories"
