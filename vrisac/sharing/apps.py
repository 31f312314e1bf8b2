from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "vrisac.sharing"
    label = "sharing"
    verbose_name = "Sharing"
