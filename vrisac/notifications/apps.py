from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "vrisac.notifications"
    label = "notifications"
    verbose_name = "Notifications"
