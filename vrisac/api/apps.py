from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "vrisac.api"
    label = "api"
    verbose_name = "REST API"

    def ready(self) -> None:
        # Every path under /api/ answers the API's JSON error, never an HTML page.
        from django.http import JsonResponse

        from vrisac.core.errors import register_error_answer

        register_error_answer("/api/", lambda request, status, message:
                              JsonResponse({"detail": message}, status=status))
