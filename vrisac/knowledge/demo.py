"""Demo knowledge: documents and links under several labels and audiences, and questions in
the contact inbox. The public pages themselves come with the data migration."""

from __future__ import annotations

import io
import secrets

from vrisac.core.demo import DemoContext, demo_step
from vrisac.organisations.models import Organisation

from .models import ContactMessage, KnowledgeItem
from .services import contact_message_create, contact_message_set_state, knowledge_item_create

CHECKLIST = """# Checklist cyberdraaiboek veiligheidsregio

1. Staat er een papieren versie van het draaiboek bij de piketfunctionaris?
2. Zijn de contactgegevens van leveranciers offline beschikbaar?
3. Is de meldkamerzone gescheiden van de kantoorautomatisering?
4. Zijn de back-ups onveranderbaar (immutable) en getest in de afgelopen drie maanden?
5. Weet iedereen wie het VR-ISAC inschakelt?
"""

ITEMS: list[dict] = [
    {
        "author": "coordinator", "kind": "document", "tlp": "TLP:GREEN",
        "audience": "participants",
        "title": "Checklist cyberdraaiboek voor veiligheidsregio's",
        "description": "Vijf vragen om het cyberdraaiboek van uw regio te toetsen, opgesteld "
                       "na de ransomware-oefeningen van dit jaar.",
        "filename": "checklist-cyberdraaiboek.md", "content": CHECKLIST,
        "tags": ["draaiboek", "ransomware", "bedrijfscontinuiteit"],
    },
    {
        "author": "coordinator", "kind": "link", "tlp": "TLP:CLEAR", "audience": "participants",
        "title": "NIS2-richtlijn (EU) 2022/2555 op EUR-Lex",
        "description": "De volledige tekst van de richtlijn, met artikel 21 (maatregelen) en "
                       "artikel 23 (meldplicht).",
        "url": "https://eur-lex.europa.eu/eli/dir/2022/2555/oj",
        "tags": ["nis2"],
    },
    {
        "author": "vnog", "kind": "document", "tlp": "TLP:AMBER", "audience": "participants",
        "title": "Lessen uit de herstelfase na ransomware",
        "description": "Wat wij anders zouden doen bij het herstellen van de VDI-omgeving.",
        "filename": "lessen-herstelfase.txt",
        "content": "Herstel de identiteitsomgeving eerst.\nTest de images vóór uitrol.\n",
        "tags": ["ransomware", "herstel"],
    },
    {
        "author": "utrecht", "kind": "link", "tlp": "TLP:AMBER", "audience": "organisations",
        "organisations": ["haaglanden"],
        "title": "Gedeelde inkoopeisen voor meldkamerleveranciers",
        "description": "Het conceptdocument dat Utrecht en Haaglanden samen bijhouden.",
        "url": "https://docs.utrecht.vrisac.example/inkoopeisen",
        "tags": ["leveranciers", "inkoop"],
    },
]

QUESTIONS = [
    {"name": "Anne de Jong", "email": "anne.dejong@gemeente.example", "organisation":
     "Gemeente Voorbeeld", "subject": "Deelname van gemeenten aan het VR-ISAC",
     "question": "Kunnen gemeenten ook deelnemen aan het VR-ISAC, of loopt dat via de "
                 "veiligheidsregio?", "state": "new"},
    {"name": "Mark Peters", "email": "m.peters@student.example", "organisation": "",
     "subject": "Afstudeeronderzoek digitale ontwrichting",
     "question": "Ik doe onderzoek naar de voorbereiding van veiligheidsregio's op digitale "
                 "ontwrichting. Mag ik iemand van het VR-ISAC interviewen?",
     "state": "in_progress"},
]


@demo_step(order=40)
def knowledge(ctx: DemoContext) -> None:
    made = 0
    for spec in ITEMS:
        author = ctx.people[spec["author"]]
        if KnowledgeItem.objects.filter(title=spec["title"], author=author).exists():
            continue
        content = spec.get("content")
        knowledge_item_create(
            author=author, kind=spec["kind"], title=spec["title"],
            description=spec["description"], url=spec.get("url", ""),
            stream=io.BytesIO(content.encode()) if content else None,
            filename=spec.get("filename", ""), tlp=spec["tlp"], audience=spec["audience"],
            audience_organisations=list(Organisation.objects.filter(
                slug__in=spec.get("organisations", []))),
            tags=spec["tags"], publish=True)
        made += 1
    asked = 0
    for question in QUESTIONS:
        if ContactMessage.objects.filter(email=question["email"],
                                         subject=question["subject"]).exists():
            continue
        message = contact_message_create(
            nonce=secrets.token_hex(8), language="nl", name=question["name"],
            email=question["email"], organisation=question["organisation"],
            subject=question["subject"], question=question["question"])
        if message is not None and question["state"] != "new":
            contact_message_set_state(message=message, state=question["state"],
                                      acting_user=ctx.people["coordinator"])
        asked += 1
    ctx.log(f"demo knowledge: {made} new items, {asked} new contact questions")
