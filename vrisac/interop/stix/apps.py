from django.apps import AppConfig


class StixConfig(AppConfig):
    name = "vrisac.interop.stix"
    label = "stix"
    verbose_name = "STIX 2.1"
