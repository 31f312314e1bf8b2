from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "vrisac.knowledge"
    label = "knowledge"
    verbose_name = "Knowledge and public pages"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the settings check)
