from django.apps import AppConfig


class AssetsConfig(AppConfig):
    name = "vrisac.assets"
    label = "assets"
    verbose_name = "Inventory"
