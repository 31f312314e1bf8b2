from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import User
from .scopes import SCOPES


class PreferencesForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    notify_mode = forms.ChoiceField(label=_("E-mail about new items"),
                                    choices=User.NotifyMode.choices, widget=forms.RadioSelect)


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, required=False,
                           help_text=_("What the token is for, e.g. \"SIEM import\"."))
    scopes = forms.MultipleChoiceField(label=_("Scopes"), required=False,
                                       widget=forms.CheckboxSelectMultiple,
                                       help_text=_("None chosen: everything your role allows."))
    expires = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=3650,
                                 initial=90)

    def __init__(self, *args: Any, allowed: frozenset[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scopes"].choices = [  # type: ignore[attr-defined]
            (s, f"{s} — {SCOPES[s]}") for s in sorted(allowed)
        ]


class ConfirmWithPasswordForm(forms.Form):
    password = forms.CharField(label=_("Your password"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete":
                                                                 "current-password"}))


class EmailChangeRequestForm(forms.Form):
    email = forms.EmailField(label=_("New e-mail address"))
