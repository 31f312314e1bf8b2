from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "vrisac.core"
    label = "core"
    verbose_name = "VR-ISAC"

    def ready(self) -> None:
        # Every app registers its jobs in its tasks module; load them so that the worker and
        # the commands know every job by name.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("tasks")
