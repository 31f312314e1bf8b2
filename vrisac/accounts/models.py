from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person with an account: a participant, coordinator, observer, partner or admin."""

    class NotifyMode(models.TextChoices):
        IMMEDIATE = "immediate", _("at once")
        DIGEST = "digest", _("daily digest")
        NONE = "none", _("not by e-mail")

    email = models.EmailField(_("e-mail address"), unique=True)
    name = models.CharField(_("name"), max_length=150)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    is_demo = models.BooleanField(
        default=False, help_text="Demo data: `vrisac totp` may print this account's code."
    )
    date_joined = models.DateTimeField(default=timezone.now)
    notify_mode = models.CharField(
        _("e-mail notifications"), max_length=16, choices=NotifyMode.choices,
        default=NotifyMode.IMMEDIATE,
    )
    # Raised to end every session of this person at once (removal, seat hand-over).
    session_epoch = models.PositiveIntegerField(default=0)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name or self.email

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.name.split(" ")[0] if self.name else self.email

    def get_session_auth_hash(self) -> str:
        """Sessions carry this hash; changing the password or the epoch ends them all."""
        key_salt = "vrisac.accounts.User.get_session_auth_hash"
        return salted_hmac(
            key_salt, f"{self.password}:{self.session_epoch}", algorithm="sha256"
        ).hexdigest()

    @property
    def primary_organisation_id(self) -> int | None:
        from vrisac.sharing.policy import viewer_for

        return viewer_for(self).organisation_id


class ApiToken(models.Model):
    """A key for the machine faces (REST, TAXII, MISP). Only its hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=16, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @property
    def is_usable(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class AccountChangeRequest(models.Model):
    """A change of a person's account that an administrator asked for: nothing changes until
    the person confirms it through the link e-mailed to them (only its hash is stored)."""

    class Kind(models.TextChoices):
        MFA_RESET = "mfa_reset", _("second-factor reset")
        EMAIL_CHANGE = "email_change", _("e-mail address change")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="change_requests")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    new_email = models.EmailField(blank=True)
    requested_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.user})"

    @property
    def is_open(self) -> bool:
        return (self.confirmed_at is None and self.cancelled_at is None
                and self.expires_at > timezone.now())


class LoginThrottle(models.Model):
    """Failed logins against one account, from every address: the back-off that the login
    applies to unknown devices, and what the coordinators see as a locked account."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="login_throttle")
    failures = models.PositiveIntegerField(default=0)
    first_failure_at = models.DateTimeField()
    last_failure_at = models.DateTimeField()
    locked_since = models.DateTimeField(null=True, blank=True)
    blocked_until = models.DateTimeField(null=True, blank=True)
    #: Keyed hashes of the addresses the failures came from (at most a hundred kept).
    addresses = models.JSONField(default=list)

    class Meta:
        ordering = ["-last_failure_at"]

    def __str__(self) -> str:
        return f"{self.user}: {self.failures}"
