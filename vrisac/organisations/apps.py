from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "vrisac.organisations"
    label = "organisations"
    verbose_name = "Organisations"
