from django.apps import AppConfig


class TaxiiConfig(AppConfig):
    name = "vrisac.interop.taxii"
    label = "taxii"
    verbose_name = "TAXII 2.1"

    def ready(self) -> None:
        # Every path under /taxii2/ answers TAXII's error object, never an HTML page.
        from vrisac.core.errors import register_error_answer

        from .views import error_response

        register_error_answer("/taxii2/", lambda request, status, message:
                              error_response(status, message))
