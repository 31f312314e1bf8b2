from django.apps import AppConfig


class TaxiiClientConfig(AppConfig):
    name = "vrisac.interop.taxii_client"
    label = "taxii_client"
    verbose_name = "TAXII client"
