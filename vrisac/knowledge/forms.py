from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vrisac.reports.forms import ReportForm

from .embeds import PROVIDER_NAMES
from .models import KnowledgeItem, MediaItem

# ------------------------------------------------------------------------------ contact form


class ContactForm(forms.Form):
    """The visitor's question. Limits here are the service's, so the browser says them first;
    the robot checks (the hidden ``validatie`` field, the form token) are read by the view."""

    name = forms.CharField(label=_("Name"), max_length=100,
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))
    email = forms.EmailField(label=_("E-mail address"), max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    organisation = forms.CharField(
        label=_("Organisation"), max_length=150, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}))
    subject = forms.CharField(label=_("Subject"), max_length=150)
    question = forms.CharField(label=_("Question"), max_length=5000,
                               widget=forms.Textarea(attrs={"rows": 8}),
                               help_text=_("At most 5,000 characters."))


# ------------------------------------------------------------------------------ coordinators


class PublicPageForm(forms.Form):
    title_nl = forms.CharField(label=_("Title"), max_length=150)
    summary_nl = forms.CharField(label=_("Summary"), max_length=300, required=False,
                                 help_text=_("One or two sentences, shown under the title "
                                             "and to search engines."))
    body_nl = forms.CharField(label=_("Text"), max_length=100_000, required=False,
                              widget=forms.Textarea(attrs={"class": "tall", "rows": 18}),
                              help_text=_("Markdown: ## headings, **bold**, lists, links."))
    title_en = forms.CharField(label=_("Title"), max_length=150)
    summary_en = forms.CharField(label=_("Summary"), max_length=300, required=False)
    body_en = forms.CharField(label=_("Text"), max_length=100_000, required=False,
                              widget=forms.Textarea(attrs={"class": "tall", "rows": 18}))
    note = forms.CharField(label=_("What changed (for the history)"), max_length=200,
                           required=False)


_DURATION = re.compile(r"^(?:(\d{1,2}):)?(\d{1,2}):(\d{2})$")


class DurationField(forms.Field):
    """A duration typed as ``m:ss`` or ``h:mm:ss``; cleaned to seconds (or None)."""

    widget = forms.TextInput(attrs={"maxlength": "8", "inputmode": "numeric"})

    def to_python(self, value: Any) -> Any:
        text = str(value or "").strip()
        if not text:
            return None
        match = _DURATION.match(text)
        if not match or int(match.group(3)) > 59 or (match.group(1) and int(match.group(2)) > 59):
            raise forms.ValidationError(_("Write the duration as minutes:seconds (12:30) or "
                                          "hours:minutes:seconds (1:05:00)."))
        hours, minutes, seconds = (int(match.group(i) or 0) for i in (1, 2, 3))
        return hours * 3600 + minutes * 60 + seconds


class MediaItemForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=MediaItem.Kind.choices)
    title_nl = forms.CharField(label=_("Title (Dutch)"), max_length=200)
    title_en = forms.CharField(label=_("Title (English)"), max_length=200)
    description_nl = forms.CharField(label=_("Description (Dutch)"), max_length=2000,
                                     required=False, widget=forms.Textarea(attrs={"rows": 3}))
    description_en = forms.CharField(label=_("Description (English)"), max_length=2000,
                                     required=False, widget=forms.Textarea(attrs={"rows": 3}))
    duration = DurationField(label=_("Duration"), required=False,
                             help_text=_("minutes:seconds, e.g. 24:30"))
    url = forms.URLField(label=_("Link"), max_length=500, assume_scheme="https")
    embed = forms.BooleanField(
        label=_("Show a player on the page (loads only after the visitor agrees)"),
        required=False,
        help_text=_("Possible for links of %(providers)s.") % {
            "providers": ", ".join(PROVIDER_NAMES)})
    position = forms.IntegerField(label=_("Position"), min_value=0, max_value=999, initial=0)
    published = forms.BooleanField(label=_("Shown on the site"), required=False, initial=True)


class ReplyForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(label=_("Your answer"), max_length=20_000,
                           widget=forms.Textarea(attrs={"rows": 10}))


# ------------------------------------------------------------------------------ knowledge base


class KnowledgeItemForm(ReportForm):
    """A knowledge item's fields; the sharing fields (label, audience, tags) are the reports'."""

    kind = forms.ChoiceField(label=_("Kind"), choices=KnowledgeItem.Kind.choices,
                             widget=forms.RadioSelect, initial=KnowledgeItem.Kind.DOCUMENT)
    summary = None  # type: ignore[assignment]
    body = None  # type: ignore[assignment]
    anonymous = None  # type: ignore[assignment]
    description = forms.CharField(
        label=_("Description"), required=False, max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Markdown: **bold**, *italic*, lists and links."))
    url = forms.URLField(label=_("Link"), required=False, max_length=1000,
                         assume_scheme="https", help_text=_("For a link: the web address."))
    file = forms.FileField(label=_("File"), required=False,
                           help_text=_("For a document: PDF, office document, image or text "
                                       "file."))
    note = forms.CharField(label=_("What changed (for the history)"), max_length=200,
                           required=False)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["kind"]
        else:
            # The reports' form narrows its own kinds; a knowledge item has these.
            self.fields["kind"].choices = KnowledgeItem.Kind.choices  # type: ignore[attr-defined]
            del self.fields["note"]
