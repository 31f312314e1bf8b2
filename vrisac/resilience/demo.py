"""Demo resilience data: three quarters of self-assessments by six organisations (the
sharing policy's minimum group, so the benchmark shows) with a correction waiting for a
coordinator, improvement actions, advice with adoption, a tracked significant incident
with its picture, a question to all participants and a meeting with minutes."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from vrisac.core.demo import DemoContext, demo_step
from vrisac.sharing.tlp import TLP

from . import services
from .models import (
    Advice,
    Assessment,
    ImprovementAction,
    IncidentPicture,
    InformationRequest,
    Meeting,
    Nis2Incident,
)
from .periods import recent

#: person key -> a maturity per measure a..j, for the oldest quarter; later quarters improve.
PROFILES = {
    "utrecht": [3, 3, 2, 2, 3, 2, 3, 2, 3, 2],
    "haaglanden": [2, 3, 3, 1, 2, 1, 3, 3, 2, 3],
    "vnog": [2, 2, 1, 1, 2, 1, 2, 2, 2, 1],
    "rotterdam": [4, 3, 3, 2, 3, 3, 4, 3, 3, 4],
    "coordinator": [3, 4, 3, 2, 3, 2, 3, 3, 3, 3],
    "twente": [2, 2, 3, 2, 1, 2, 2, 3, 2, 2],
}
KEYS = "abcdefghij"


@demo_step(order=60)
@transaction.atomic
def assessments(ctx: DemoContext) -> None:
    quarters = recent(3)
    made = 0
    for step, quarter in enumerate(quarters):
        for who, levels in PROFILES.items():
            user = ctx.people[who]
            record = services.assessment_get_or_start(acting_user=user, period=quarter)
            if record.state == Assessment.State.SUBMITTED:
                continue
            scores = {key: (min(5, level + (1 if step and i % (4 - step) == 0 else 0)),
                            "Beleid vastgesteld door het DB; jaarlijkse toets." if level >= 3
                            else "")
                      for i, (key, level) in enumerate(zip(KEYS, levels, strict=True))}
            services.assessment_save(assessment=record, acting_user=user, scores=scores,
                                     submit=True)
            made += 1
    # A correction waiting for a coordinator: submitted scores are frozen for the quarter.
    haaglanden = ctx.people["haaglanden"]
    latest = services.assessment_get_or_start(acting_user=haaglanden, period=quarters[-1])
    if not latest.corrections.exists():
        score = latest.scores.get(measure__key="d")
        services.correction_request(
            assessment=latest, acting_user=haaglanden,
            scores={"d": (min(5, score.level + 1), score.evidence)},
            reason="Het leveranciersbeleid is na de indiening door het DB vastgesteld.")
    vnog = ctx.people["vnog"]
    record = services.assessment_get_or_start(acting_user=vnog, period=quarters[-1])
    if not ImprovementAction.objects.filter(assessment=record).exists():
        services.action_create(assessment=record, acting_user=vnog, measure_key="c",
                               title="Papieren cyberdraaiboek bij het crisisteam",
                               owner="Teamleider informatievoorziening",
                               due_date=timezone.localdate() + timedelta(days=45))
        services.action_create(assessment=record, acting_user=vnog, measure_key="j",
                               title="MFA op alle beheeraccounts", owner="CISO",
                               due_date=timezone.localdate() + timedelta(days=90))
    ctx.log(f"demo self-assessments: {made} submitted")


@demo_step(order=61)
@transaction.atomic
def advice(ctx: DemoContext) -> None:
    reports = ctx.objects.get("reports", {})
    report = reports.get("mfa-advice")
    if report is None:
        return
    coordinator = ctx.people["coordinator"]
    item = Advice.objects.filter(report=report).first() or services.advice_link(
        report=report, acting_user=coordinator, level=Advice.Level.TACTICAL,
        measure_keys=["j", "i"])
    for who, state in (("utrecht", "adopted"), ("haaglanden", "adopted"),
                       ("vnog", "planned"), ("rotterdam", "adopted"),
                       ("coordinator", "adopted"), ("twente", "not_adopted")):
        if not item.adoptions.filter(organisation_id=services.assessing_organisation(
                ctx.people[who]).pk).exists():
            services.adoption_record(advice=item, acting_user=ctx.people[who], state=state)
    ctx.log("demo advice linked to measures i and j, with adoption")


@demo_step(order=62)
@transaction.atomic
def incident(ctx: DemoContext) -> None:
    reports = ctx.objects.get("reports", {})
    report = reports.get("ransomware")
    if report is None:
        return
    vnog, coordinator = ctx.people["vnog"], ctx.people["coordinator"]
    if not Nis2Incident.objects.filter(report=report).exists():
        incident = services.nis2_start(report=report, acting_user=vnog,
                                       aware_at=timezone.now() - timedelta(hours=20))
        early = incident.stages.get(stage="early_warning")
        services.nis2_submit(stage=early, acting_user=vnog, content={
            "summary": "Versleuteling van fileservers en VDI; meldkamer operationeel.",
            "suspected_malicious": "yes", "cross_border": "no"})
    if not IncidentPicture.objects.filter(report=report).exists():
        picture = services.picture_start(report=report, acting_user=coordinator)
        services.picture_add_update(
            picture=picture, acting_user=vnog, at=timezone.now() - timedelta(hours=18),
            known="Ransomware (LockBit) op fileservers en de VDI-omgeving.",
            affected="Kantoorautomatisering; e-mail beperkt.",
            fallback="Meldkamer draait op de gescheiden zone; piket via telefoonlijsten.",
            actions="ISP-koppeling kantoorzone verbroken; crisisteam bijeen.")
        services.picture_add_update(
            picture=picture, acting_user=coordinator, at=timezone.now() - timedelta(hours=6),
            indicators="Hashes en IP-adressen staan in het incidentrapport.",
            advice="Controleer uw offline back-ups en de segmentatie tussen kantoor en "
                   "meldkamer.")
        services.picture_set_summary(
            picture=picture, acting_user=coordinator, state="contained",
            summary="Besmetting ingedamd; herstel uit back-ups loopt. Meldkamer niet geraakt.")
    ctx.log("demo significant incident with its picture")


@demo_step(order=63)
@transaction.atomic
def questions_and_meetings(ctx: DemoContext) -> None:
    title = "Ziet iemand ook mislukte logins op de Citrix-gateway vanuit één AS?"
    if not InformationRequest.objects.filter(title=title).exists():
        question = services.rfi_create(
            author=ctx.people["haaglanden"], title=title, anonymous=True, tlp=TLP.AMBER,
            body="Sinds gisteren duizenden pogingen per uur op bestaande accountnamen.")
        services.rfi_answer(request=question, author=ctx.people["utrecht"],
                            body="Ja, sinds dinsdag; we hebben geo-blocking aangezet.")
    meeting_title = "Kwartaaloverleg VR-ISAC"
    if not Meeting.objects.filter(title=meeting_title).exists():
        coordinator = ctx.people["coordinator"]
        meeting = services.meeting_create(
            author=coordinator, title=meeting_title, location="NIPV, Arnhem",
            starts_at=timezone.now() - timedelta(days=7),
            agenda="1. Opening\n2. Incidenten van het kwartaal\n3. NIS2-benchmark\n4. Rondvraag")
        services.attendance_record(meeting=meeting, acting_user=coordinator, entries={
            ctx.people["utrecht"].pk: "present", ctx.people["vnog"].pk: "present",
            coordinator.pk: "present", ctx.people["haaglanden"].pk: "excused"})
        services.minutes_item_add(meeting=meeting, acting_user=coordinator,
                                  heading="Incidenten van het kwartaal",
                                  body="Drie incidenten besproken; lessen over draaiboeken.")
        services.minutes_item_add(meeting=meeting, acting_user=coordinator, tlp=TLP.RED,
                                  heading="Lopend onderzoek bij een leverancier",
                                  body="Alleen voor de aanwezigen.")
        services.minutes_publish(meeting=meeting, acting_user=coordinator)
    ctx.log("demo question and meeting")
