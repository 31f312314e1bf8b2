
from django.http import HttpRequest
from ninja import Router, Schema

from vrisac.api.auth import require_scope

from .selectors import organisation_list_with_seats

router = Router(tags=["organisations"])


class OrganisationOut(Schema):
    slug: str
    name: str
    number: int | None
    kind: str
    seat_limit: int | None
    seats_taken: int


@router.get("", response=list[OrganisationOut])
def list_organisations(request: HttpRequest) -> list[OrganisationOut]:
    """The participating organisations with their kind and seats taken."""
    require_scope(request, "organisations:read")
    return [
        OrganisationOut(slug=o.slug, name=o.name, number=o.number, kind=o.kind,
                        seat_limit=o.seat_limit,
                        seats_taken=o.seats_taken)  # type: ignore[attr-defined]
        for o in organisation_list_with_seats()
    ]
