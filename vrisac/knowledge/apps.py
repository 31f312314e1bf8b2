from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "vrisac.knowledge"
    label = "knowledge"
    verbose_name = "Knowledge and public pages"
