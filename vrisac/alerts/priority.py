"""Priority: kritiek, hoog, middel or laag, with the reasons for it.

Points are added per signal, each with a sentence:

* severity, from CVSS v4 (else v3) computed with the ``cvss`` library from the vector:
  >= 9.0 four points, >= 7.0 three, >= 4.0 two, lower one; without a score, the advisory's
  own severity (critical/high/medium/low), and else two points, saying so;
* on CISA's KEV list (actively exploited): three; CISA's SSVC "active" without KEV: two,
  "poc": one;
* EPSS >= 0.5: two; >= 0.1: one;
* NCSC-NL rates the chance high: one;
* internet-facing: one; criticality high: one, low: minus one.

Seven or more is kritiek, four or more hoog, two or more middel, below that laag. An
actively exploited vulnerability in an internet-facing product is always kritiek.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from .models import PRIORITY_ORDER, Priority

_SEVERITY_WORDS = {
    "critical": 4, "kritiek": 4, "high": 3, "hoog": 3, "important": 3, "moderate": 2,
    "medium": 2, "middel": 2, "low": 1, "laag": 1,
}


@dataclass(frozen=True)
class Signals:
    cvss4_score: float | None = None
    cvss4_vector: str = ""
    cvss3_score: float | None = None
    cvss3_vector: str = ""
    advisory_severity: str = ""
    kev_added: Any = None
    kev_ransomware: bool = False
    ssvc_exploitation: str = ""
    epss: float | None = None
    epss_percentile: float | None = None
    ncsc_priority: str = ""
    internet_facing: bool = False
    criticality: str = "medium"


def _severity_points(score: float) -> int:
    if score >= 9.0:
        return 4
    if score >= 7.0:
        return 3
    if score >= 4.0:
        return 2
    return 1


def prioritise(s: Signals) -> tuple[str, int, list[str]]:
    """(priority, rank 0..3 with 0 the most urgent, reasons)."""
    points = 0
    reasons: list[str] = []
    if s.cvss4_score is not None:
        points += _severity_points(s.cvss4_score)
        reasons.append(_("CVSS v4 base score %(s).1f (%(v)s)") % {"s": s.cvss4_score,
                                                                  "v": s.cvss4_vector})
    elif s.cvss3_score is not None:
        points += _severity_points(s.cvss3_score)
        reasons.append(_("CVSS v3 base score %(s).1f (%(v)s)") % {"s": s.cvss3_score,
                                                                  "v": s.cvss3_vector})
    else:
        word = s.advisory_severity.strip().lower()
        if word in _SEVERITY_WORDS:
            points += _SEVERITY_WORDS[word]
            reasons.append(_("The advisory rates the severity %(s)s") % {
                "s": s.advisory_severity})
        else:
            points += 2
            reasons.append(_("No CVSS score or severity known yet: counted as medium"))
    exploited = False
    if s.kev_added:
        points += 3
        exploited = True
        reasons.append(_("Actively exploited: on CISA's Known Exploited Vulnerabilities list "
                         "since %(d)s") % {"d": s.kev_added})
        if s.kev_ransomware:
            reasons.append(_("Known to be used in ransomware campaigns"))
    elif s.ssvc_exploitation == "active":
        points += 2
        exploited = True
        reasons.append(_("CISA's assessment (SSVC): exploitation is active"))
    elif s.ssvc_exploitation == "poc":
        points += 1
        reasons.append(_("CISA's assessment (SSVC): a proof of concept is public"))
    if s.epss is not None:
        percent = (s.epss_percentile or 0) * 100
        if s.epss >= 0.5:
            points += 2
            reasons.append(_("EPSS %(e).2f (percentile %(p).0f): exploitation in the next 30 "
                             "days is likely") % {"e": s.epss, "p": percent})
        elif s.epss >= 0.1:
            points += 1
            reasons.append(_("EPSS %(e).2f (percentile %(p).0f): a real chance of "
                             "exploitation in the next 30 days") % {"e": s.epss, "p": percent})
    if s.ncsc_priority:
        chance, _sep, damage = s.ncsc_priority.partition("/")
        if chance == "high":
            points += 1
        reasons.append(_("NCSC-NL rates the chance %(c)s and the damage %(d)s") % {
            "c": chance, "d": damage})
    if s.internet_facing:
        points += 1
        reasons.append(_("The product is internet-facing"))
    if s.criticality == "high":
        points += 1
        reasons.append(_("High criticality for the region's operations"))
    elif s.criticality == "low":
        points -= 1
        reasons.append(_("Low criticality for the region's operations"))
    if points >= 7 or (exploited and s.internet_facing):
        priority = Priority.KRITIEK
    elif points >= 4:
        priority = Priority.HOOG
    elif points >= 2:
        priority = Priority.MIDDEL
    else:
        priority = Priority.LAAG
    return str(priority), PRIORITY_ORDER.index(priority), reasons
