from django.apps import AppConfig


class MispConfig(AppConfig):
    name = "vrisac.interop.misp"
    label = "misp"
    verbose_name = "MISP"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The indicator feeds read a MISP feed through this app's importer.
        from vrisac.intel.feeds import register_format

        from .feedimport import misp_feed_import

        register_format("misp", misp_feed_import)
        # Every path under /misp/ answers MISP's JSON error, never an HTML page.
        from vrisac.core.errors import register_error_answer

        from .views import misp_error

        register_error_answer("/misp/", lambda request, status, message:
                              misp_error(request, message, status))
