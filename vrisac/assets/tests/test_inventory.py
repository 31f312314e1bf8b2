"""Inventories: pages, CSV import and export, the API and the command, each only for the
organisation's own participants."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from vrisac.assets.models import InventoryItem
from vrisac.assets.services import inventory_import_csv, item_create
from vrisac.core.audit import verify_chain
from vrisac.core.errors import DomainError, NotFound
from vrisac.core.testing import api_client, client_for, make_person, organisation

pytestmark = pytest.mark.django_db

GOOD_CSV = (
    "vendor,product,version,cpe,purl,internet_facing,criticality\n"
    "Citrix,NetScaler ADC,13.1-49.13,cpe:2.3:a:citrix:netscaler_application_delivery_controller:"
    "13.1-49.13:*:*:*:*:*:*:*,,yes,high\n"
    "Microsoft,Exchange Server,15.2.1544.4,,,no,medium\n"
)


def _item(user: Any, **fields: Any) -> InventoryItem:
    data: dict[str, Any] = {"vendor": "Fortinet", "product": "FortiOS", "version": "7.2.4",
                            "internet_facing": True, "criticality": "high"}
    data.update(fields)
    return item_create(organisation=organisation("utrecht"), acting_user=user, **data)


def test_csv_import_keeps_good_rows_and_names_bad_ones(people: dict[str, Any]) -> None:
    bad = GOOD_CSV + (
        ",Nameless,1.0,,,no,low\n"                                  # line 4: vendor missing
        "Cisco,IOS XE,17.9.3,cpe:2.3:a:cisco,,no,high\n"            # line 5: broken CPE
        "Ivanti,Connect Secure,22.3R1,,,maybe,high\n"               # line 6: yes/no
        "Ivanti,Connect Secure,22.7R2,,pkg:nonsense,no,high\n"      # line 7: broken purl
        "Zyxel,USG,5.36,,,no,urgent\n"                              # line 8: criticality
        "Citrix,NetScaler ADC,13.1-49.13,,,no,low\n"                # line 9: duplicate of 2
        "only,three,columns\n"                                      # line 10
        "=cmd|'/c calc'!A1,Evil,1,,,no,low\n"                       # line 11: fine, stored as text
    )
    report = inventory_import_csv(organisation=organisation("utrecht"),
                                  acting_user=people["utrecht"],
                                  stream=io.BytesIO(bad.encode()), filename="regio.csv")
    assert (report.created, report.updated) == (3, 0)
    assert [(p["line"], p["field"]) for p in report.problems] == [
        (4, "vendor"), (5, "cpe"), (6, "internet_facing"), (7, "purl"), (8, "criticality"),
        (9, "version"), (10, "(row)")]
    assert all(p["file"] == "regio.csv" for p in report.problems)
    assert InventoryItem.objects.filter(organisation__slug="utrecht").count() == 3
    netscaler = InventoryItem.objects.get(product="NetScaler ADC")
    assert netscaler.internet_facing and netscaler.cpe_key.startswith("citrix:netscaler")
    # Again, with a changed row: updated in place, the rest unchanged.
    again = GOOD_CSV.replace("no,medium", "yes,medium")
    report = inventory_import_csv(organisation=organisation("utrecht"),
                                  acting_user=people["utrecht"],
                                  stream=io.BytesIO(again.encode()), filename="regio.csv")
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    assert not list(verify_chain())


def test_csv_whole_file_problems(people: dict[str, Any], settings: Any) -> None:
    user = people["utrecht"]
    org = organisation("utrecht")
    for content, message in [
        (b"vendor;product\nx;y\n", "lacks the column"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b"", "empty"),
    ]:
        with pytest.raises(DomainError, match=message):
            inventory_import_csv(organisation=org, acting_user=user, stream=io.BytesIO(content),
                                 filename="x.csv")
    settings.VRISAC_IMPORT_MAX_MB = {"csv": 1}
    with pytest.raises(DomainError, match="larger than 1 MB"):
        inventory_import_csv(organisation=org, acting_user=user,
                             stream=io.BytesIO(GOOD_CSV.encode() * 40_000), filename="big.csv")
    assert not InventoryItem.objects.exists()


def test_other_organisations_cannot_read_or_change(people: dict[str, Any]) -> None:
    item = _item(people["utrecht"])
    outsider = people["haaglanden"]
    for role in ("haaglanden", "coordinator", "partner", "observer", "admin"):
        client = client_for(people[role])
        assert client.get(reverse("assets:edit", args=[item.pk])).status_code == 404
        assert client.post(reverse("assets:delete", args=[item.pk])).status_code == 404
        listing = client.get(reverse("assets:list"))
        assert listing.status_code == 404 or b"FortiOS" not in listing.content
    with pytest.raises(NotFound):
        inventory_import_csv(organisation=organisation("utrecht"), acting_user=outsider,
                             stream=io.BytesIO(GOOD_CSV.encode()), filename="x.csv")
    api = api_client(outsider, ["inventory:read", "inventory:write"])
    assert api.get(f"/api/v1/inventory/{item.pk}").status_code == 404
    assert api.patch(f"/api/v1/inventory/{item.pk}", {"version": "1"},
                     content_type="application/json").status_code == 404
    assert api.get("/api/v1/inventory").json() == []
    assert b"FortiOS" not in client_for(outsider).get(reverse("assets:export")).content
    # The colleague of the same region sees and edits it.
    colleague = client_for(people["utrecht2"])
    assert colleague.get(reverse("assets:edit", args=[item.pk])).status_code == 200


def test_pages_list_edit_and_export(people: dict[str, Any], django_assert_max_num_queries: Any
                                    ) -> None:
    user = people["utrecht"]
    for n in range(30):
        _item(user, product=f"Product {n}", version=f"1.{n}")
    client = client_for(user)
    with django_assert_max_num_queries(20):
        page = client.get(reverse("assets:list"))
    assert page.status_code == 200 and b"Product 9" in page.content
    response = client.post(reverse("assets:create"), {
        "vendor": "Ivanti", "product": "Connect Secure", "version": "22.7R2.3", "cpe": "bad",
        "purl": "", "criticality": "high"})
    assert response.status_code == 200 and "cpe" in response.context["form"].errors
    response = client.post(reverse("assets:create"), {
        "vendor": "Ivanti", "product": "Connect Secure", "version": "22.7R2.3", "cpe": "",
        "purl": "", "criticality": "high", "internet_facing": "on"})
    assert response.status_code == 302
    export = client.get(reverse("assets:export"))
    lines = export.content.decode().splitlines()
    assert lines[0] == "vendor,product,version,cpe,purl,internet_facing,criticality,owner,notes"
    assert "Ivanti,Connect Secure,22.7R2.3,,,yes,high,," in lines


def test_api_crud_and_import(people: dict[str, Any], django_assert_max_num_queries: Any) -> None:
    api = api_client(people["utrecht"], ["inventory:read", "inventory:write"])
    created = api.post("/api/v1/inventory", {"vendor": "Zyxel", "product": "USG FLEX",
                                             "version": "5.36", "internet_facing": True},
                       content_type="application/json")
    assert created.status_code == 201, created.content
    item_id = created.json()["id"]
    bad = api.post("/api/v1/inventory", {"vendor": "Zyxel", "product": "USG FLEX",
                                         "version": "5.36"}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["field"] == "version"
    patched = api.patch(f"/api/v1/inventory/{item_id}", {"version": "5.37"},
                        content_type="application/json")
    assert patched.json()["version"] == "5.37"
    upload = io.BytesIO(GOOD_CSV.encode() + b"x,,1,,,no,low\n")
    upload.name = "inv.csv"
    result = api.post("/api/v1/inventory/import", {"file": upload})
    assert result.json()["created"] == 2
    assert result.json()["problems"][0]["field"] == "product"
    for n in range(20):
        _item(people["utrecht"], product=f"P{n}")
    with django_assert_max_num_queries(8):
        listing = api.get("/api/v1/inventory")
    assert len(listing.json()) == 23
    assert api.delete(f"/api/v1/inventory/{item_id}").status_code == 204


def test_common_products_are_counts_for_coordinators_only(people: dict[str, Any]) -> None:
    _item(people["utrecht"], version="7.2.4", owner="Team ICT Utrecht")
    item_create(organisation=organisation("haaglanden"), acting_user=people["haaglanden"],
                vendor="Fortinet Inc.", product="FortiOS", version="7.0.1", owner="secret")
    api = api_client(people["coordinator"], ["inventory:read"])
    # Two organisations, then five: fewer than the policy's minimum group, never shown.
    assert api.get("/api/v1/inventory/common").json() == []
    def runs_fortios(slug: str) -> None:
        item_create(organisation=organisation(slug), acting_user=make_person("participant", slug),
                    vendor="Fortinet", product="FortiOS", version="7.0.1")

    for slug in ("twente", "zeeland", "drenthe"):
        runs_fortios(slug)
    assert api.get("/api/v1/inventory/common").json() == []
    assert b"FortiOS" not in client_for(people["coordinator"]).get(
        reverse("assets:common")).content
    runs_fortios("flevoland")
    rows = api.get("/api/v1/inventory/common").json()
    assert rows == [{"vendor": "Fortinet", "product": "FortiOS", "organisations": 6}]
    page = client_for(people["coordinator"]).get(reverse("assets:common"))
    assert b"FortiOS" in page.content and b"7.2.4" not in page.content
    assert b"Team ICT" not in page.content
    assert api_client(people["utrecht"], ["inventory:read"]).get(
        "/api/v1/inventory/common").status_code == 404
    assert client_for(people["utrecht"]).get(reverse("assets:common")).status_code == 404


def test_import_inventory_command(people: dict[str, Any], tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "inv.csv"
    path.write_text(GOOD_CSV + "Cisco,,1,,,no,low\n")
    call_command("import_inventory", "--org", "haaglanden", str(path))
    out, err = capsys.readouterr()
    assert "haaglanden: 2 new" in out and "1 rejected" in out
    assert f"{path}: line 4: product: " in err
    assert InventoryItem.objects.filter(organisation__slug="haaglanden").count() == 2


def test_import_inventory_command_errors(tmp_path: Path) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no organisation"):
        call_command("import_inventory", "--org", "no-such-org", str(tmp_path / "x.csv"))
    with pytest.raises(CommandError, match="does not exist"):
        call_command("import_inventory", "--org", "utrecht", str(tmp_path / "x.csv"))
    (tmp_path / "x.csv").write_bytes(b"a;b\n")
    with pytest.raises(CommandError, match="lacks the column"):
        call_command("import_inventory", "--org", "utrecht", str(tmp_path / "x.csv"))
