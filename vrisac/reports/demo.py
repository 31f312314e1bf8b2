"""Demo reports: every kind, every TLP label and every audience, with replies."""

from __future__ import annotations

from django.db import transaction

from vrisac.core.demo import DemoContext, demo_step
from vrisac.organisations.models import Organisation

from .models import Report
from .services import comment_create, report_create, report_retract

# (key, author, kind, tlp, audience, extra, title, summary, body)
REPORTS: list[dict] = [
    {
        "key": "ransomware",
        "author": "vnog",
        "kind": "incident",
        "tlp": "TLP:AMBER",
        "audience": "participants",
        "title": "Ransomware op de kantoorautomatisering: de eerste 72 uur",
        "summary": "Versleuteling van fileservers en de VDI-omgeving; meldkamer en GMS bleven "
                   "operationeel via de gescheiden netwerkzone. Wat werkte en wat niet.",
        "body": "## Tijdlijn\n\n* **Dag 0, 03:12** — EDR-meldingen op twee fileservers, "
                "gevolgd door massale hernoemingen (`.lockbit`).\n"
                "* **03:40** — piketfunctionaris schakelt de ISP-koppeling van de kantoorzone "
                "uit.\n* **07:00** — crisisteam bijeen; meldkamer draait door op de "
                "gescheiden zone.\n\n## Wat werkte\n\n1. Netwerksegmentatie tussen meldkamer "
                "en kantoor.\n2. Offline back-ups (immutable) van de afgelopen 14 dagen.\n\n"
                "## Wat niet werkte\n\n* Het draaiboek stond op de versleutelde fileserver.\n"
                "* Contactgegevens van leveranciers waren alleen digitaal beschikbaar.\n\n"
                "> Advies: houd een papieren versie van het cyberdraaiboek bij de hand.",
        "tags": ["ransomware", "lockbit", "bedrijfscontinuiteit"],
    },
    {
        "key": "phishing",
        "author": "ncsc",
        "kind": "threat",
        "tlp": "TLP:GREEN",
        "audience": "partners",
        "title": "Phishingcampagne gericht op medewerkers van meldkamers",
        "summary": "Sinds maandag ontvangen medewerkers van meerdere meldkamers e-mails die "
                   "lijken op roosterwijzigingen, met een link naar een nagemaakte inlogpagina.",
        "body": "De e-mails komen van wisselende domeinen die lijken op die van roosterpakketten. "
                "De inlogpagina vraagt om gebruikersnaam, wachtwoord **en** de MFA-code "
                "(adversary-in-the-middle).\n\n### Handelingsperspectief\n\n* Waarschuw "
                "medewerkers van de meldkamer en de roosterafdeling.\n* Blokkeer de domeinen uit "
                "de bijlage op de mailgateway.\n* Overweeg phishing-bestendige MFA (FIDO2) voor "
                "roosterapplicaties.",
        "tags": ["phishing", "meldkamer", "aitm"],
    },
    {
        "key": "citrix",
        "author": "utrecht",
        "kind": "vulnerability",
        "tlp": "TLP:CLEAR",
        "audience": "public",
        "title": "Kritieke kwetsbaarheid in Citrix NetScaler ADC en Gateway",
        "summary": "Een kwetsbaarheid laat een aanvaller zonder inloggegevens sessietokens "
                   "uitlezen (CVE-2023-4966). Patchen alleen is niet genoeg: beëindig ook alle "
                   "sessies.",
        "body": "Getroffen versies: NetScaler ADC en Gateway 14.1 vóór 14.1-8.50, 13.1 vóór "
                "13.1-49.15 en 13.0 vóór 13.0-92.19.\n\n**Maatregelen**\n\n1. Installeer de "
                "update.\n2. Beëindig alle actieve en persistente sessies:\n\n"
                "```\nkill aaa session -all\nkill icaconnection -all\n```\n",
        "tags": ["citrix", "cve-2023-4966"],
    },
    {
        "key": "mfa-advice",
        "author": "coordinator",
        "kind": "advice",
        "tlp": "TLP:GREEN",
        "audience": "participants",
        "title": "Advies: MFA op alle beheeraccounts vóór 1 januari",
        "summary": "Gebaseerd op de incidenten van dit jaar adviseert VR-ISAC om "
                   "multifactorauthenticatie af te dwingen op alle beheer- en serviceaccounts "
                   "met interactieve login.",
        "body": "Dit advies sluit aan bij NIS2 artikel 21, lid 2, onder j.\n\n| Maatregel | "
                "Prioriteit |\n|---|---|\n| MFA op beheeraccounts | hoog |\n| MFA op VPN | "
                "hoog |\n| Phishing-bestendige MFA voor meldkamer | middel |\n",
        "tags": ["mfa", "nis2"],
    },
    {
        "key": "ivanti-warning",
        "author": "coordinator",
        "kind": "warning",
        "tlp": "TLP:AMBER",
        "audience": "participants",
        "title": "ISAC-waarschuwing: actief misbruik van Ivanti Connect Secure",
        "summary": "Meerdere organisaties in Nederland zien misbruik van een keten van "
                   "kwetsbaarheden in Ivanti Connect Secure. Controleer uw VPN-appliances "
                   "vandaag.",
        "body": "Voer de integriteitscontrole (ICT) van de leverancier uit en controleer de "
                "logbestanden op onverwachte configuratiewijzigingen. Meld bevindingen via "
                "dit platform, desgewenst anoniem.",
        "tags": ["ivanti", "vpn"],
    },
    {
        "key": "gms-red",
        "author": "rotterdam",
        "kind": "incident",
        "tlp": "TLP:RED",
        "audience": "people",
        "people": ["coordinator", "utrecht"],
        "title": "Verdachte toegang tot de koppeling met het meldkamersysteem",
        "summary": "Een serviceaccount van een leverancier logde buiten het "
                   "onderhoudsvenster in op de koppelserver. Onderzoek loopt.",
        "body": "Alleen voor de genoemde ontvangers. Niet verder delen.",
        "tags": ["meldkamer", "leverancier"],
    },
    {
        "key": "regional-threat",
        "author": "vnog",
        "kind": "threat",
        "tlp": "TLP:AMBER",
        "audience": "organisations",
        "organisations": ["utrecht", "haaglanden"],
        "title": "Scans op de portalen van drie regio's vanaf hetzelfde netblok",
        "summary": "Onze logging toont gerichte scans op de webportalen; mogelijk ziet u "
                   "hetzelfde.",
        "body": "Het netblok en de tijdstippen staan in de bijlage.",
        "tags": ["scanning"],
    },
    {
        "key": "internal-strict",
        "author": "utrecht",
        "kind": "incident",
        "tlp": "TLP:AMBER+STRICT",
        "audience": "organisation",
        "title": "Intern: verloren laptop van een piketfunctionaris",
        "summary": "Laptop met volledige schijfversleuteling; account geblokkeerd.",
        "body": "Alleen voor onze eigen organisatie.",
        "tags": ["laptop"],
    },
    {
        "key": "anonymous",
        "author": "haaglanden",
        "kind": "incident",
        "tlp": "TLP:AMBER+STRICT",
        "audience": "participants",
        "anonymous": True,
        "title": "Misbruik van een oud VPN-account van een vertrokken medewerker",
        "summary": "Een account dat na uitdiensttreding niet was ingetrokken werd gebruikt om "
                   "in te loggen. Gedeeld zodat anderen hun offboarding kunnen controleren.",
        "body": "Controleer of uw offboardingproces ook lokale VPN-accounts en "
                "tokens intrekt.",
        "tags": ["offboarding", "vpn"],
    },
    {
        "key": "draft",
        "author": "utrecht",
        "kind": "vulnerability",
        "tlp": "TLP:GREEN",
        "audience": "participants",
        "publish": False,
        "title": "Concept: kwetsbaarheid in het roosterpakket",
        "summary": "Nog te verifiëren met de leverancier.",
        "body": "",
        "tags": [],
    },
    {
        "key": "retracted",
        "author": "haaglanden",
        "kind": "threat",
        "tlp": "TLP:GREEN",
        "audience": "participants",
        "retract": "De indicatorenlijst bleek van een testomgeving te komen.",
        "title": "IOC-lijst van een vermeende campagne tegen gemeenten",
        "summary": "Teruggetrokken.",
        "body": "Zie de reden van terugtrekking.",
        "tags": ["ioc"],
    },
]

COMMENTS = [
    ("ransomware", "utrecht", "Dank voor het delen. Hoe lang duurde het herstel van de "
                              "VDI-omgeving uit de back-ups?"),
    ("ransomware", "vnog", "Ongeveer 36 uur, vooral door het opnieuw uitrollen van de images."),
    ("ransomware", "coordinator", "We nemen de les over het papieren draaiboek op in het "
                                  "kwartaaladvies."),
    ("ivanti-warning", "rotterdam", "Bij ons schoon volgens de integriteitscontrole."),
    ("anonymous", "utrecht", "Goede tip; wij controleren dit nu ook."),
]


@demo_step(order=20)
@transaction.atomic
def reports(ctx: DemoContext) -> None:
    made = 0
    by_key: dict[str, Report] = {}
    for spec in REPORTS:
        author = ctx.people[spec["author"]]
        existing = Report.objects.filter(title=spec["title"], author=author).first()
        if existing is None:
            existing = report_create(
                author=author,
                kind=spec["kind"],
                title=spec["title"],
                summary=spec["summary"],
                body=spec["body"],
                tlp=spec["tlp"],
                audience=spec["audience"],
                audience_organisations=list(
                    Organisation.objects.filter(slug__in=spec.get("organisations", []))
                ),
                audience_people=[ctx.people[k] for k in spec.get("people", [])],
                anonymous=spec.get("anonymous", False),
                tags=spec["tags"],
                publish=spec.get("publish", True),
            )
            if spec.get("retract"):
                existing = report_retract(report=existing, acting_user=author,
                                          reason=spec["retract"])
            made += 1
        by_key[spec["key"]] = existing
    ctx.objects["reports"] = by_key
    for key, who, text in COMMENTS:
        report = by_key[key]
        if not report.comments.filter(body=text).exists():
            comment_create(report=report, author=ctx.people[who], body=text)
    ctx.log(f"demo reports: {made} new, {len(REPORTS) - made} already there")
