"""How a report's people are shown, given anonymous sharing."""

from __future__ import annotations

from typing import Any

from vrisac.sharing.policy import can_see_source

from .models import Comment


def comment_author_visible(comment: Comment, user: Any) -> bool:
    """A comment by the anonymous source's organisation would reveal the source: it is shown
    as "the source" to those who may not know it."""
    report = comment.report
    if not report.anonymous or comment.organisation_id != report.organisation_id:
        return True
    return can_see_source(user, report)
