from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "vrisac.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (audit of logins and MFA changes)
