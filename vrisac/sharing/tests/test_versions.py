"""The policy's rules for writing versions of exchanged objects: who may write a version of
an id of a given owner, and whom an object may name as its creator."""

from __future__ import annotations

import pytest

from vrisac.sharing.policy import (
    ANONYMOUS,
    NO_OWNER,
    Owner,
    Viewer,
    may_claim_source,
    may_write_version,
)

UTRECHT, HAAGLANDEN = 1, 2
participant = Viewer(user_id=10, organisation_ids=frozenset({UTRECHT}),
                     roles=frozenset({"participant"}))
partner = Viewer(user_id=11, organisation_ids=frozenset({HAAGLANDEN}),
                 roles=frozenset({"partner"}))
observer = Viewer(user_id=12, organisation_ids=frozenset({UTRECHT}),
                  roles=frozenset({"observer"}))

OWN, OTHERS = Owner(UTRECHT), Owner(HAAGLANDEN)
OWN_PLATFORM, PLATFORM = Owner(UTRECHT, platform=True), Owner(platform=True)


@pytest.mark.parametrize(("viewer", "owner", "allowed"), [
    (participant, NO_OWNER, True), (participant, OWN, True), (participant, OTHERS, False),
    (participant, OWN_PLATFORM, False), (participant, PLATFORM, False),
    (partner, NO_OWNER, True), (partner, OTHERS, True), (partner, OWN, False),
    (observer, NO_OWNER, False), (observer, OWN, False), (ANONYMOUS, NO_OWNER, False),
])
def test_who_may_write_a_version(viewer: Viewer, owner: Owner, allowed: bool) -> None:
    assert may_write_version(viewer, owner) is allowed


@pytest.mark.parametrize(("viewer", "identity", "allowed"), [
    (participant, NO_OWNER, True), (participant, OWN, True), (participant, OWN_PLATFORM, True),
    (participant, OTHERS, False), (participant, Owner(HAAGLANDEN, platform=True), False),
    (participant, PLATFORM, False), (partner, OTHERS, True), (partner, OWN, False),
    (observer, OWN, False), (ANONYMOUS, NO_OWNER, False),
])
def test_whom_an_object_may_name_as_its_creator(viewer: Viewer, identity: Owner,
                                                allowed: bool) -> None:
    assert may_claim_source(viewer, identity) is allowed
