"""Owner tags name a person whatever the case of their key, and only through the keys configured."""

from __future__ import annotations

from core.lifecycle.footprint import DEFAULT_OWNER_TAGS, Identity

TOMAS = Identity(
    "p1", frozenset({"tomas.lindqvist@agency.example.gov", "t.lindqvist@agency.example.gov", "e9023"})
)


def test_any_case_of_a_default_key_with_a_upn_email_or_employee_id_names_the_person() -> None:
    assert TOMAS.owns({"owner": "Tomas.Lindqvist@agency.example.gov"}, DEFAULT_OWNER_TAGS)
    assert TOMAS.owns({"OwNeR": " t.lindqvist@agency.example.gov "}, DEFAULT_OWNER_TAGS)
    assert TOMAS.owns({"employeeid": "E9023"}, DEFAULT_OWNER_TAGS)
    assert TOMAS.owns([{"Key": "OWNER", "Value": "e9023"}], DEFAULT_OWNER_TAGS)  # AWS's list shape


def test_other_keys_and_other_people_do_not() -> None:
    assert not TOMAS.owns({"CreatedBy": "tomas.lindqvist@agency.example.gov"}, DEFAULT_OWNER_TAGS)
    assert not TOMAS.owns({"Owner": "someone.else@agency.example.gov"}, DEFAULT_OWNER_TAGS)
    assert not TOMAS.owns({"Owner": ""}, DEFAULT_OWNER_TAGS)
    assert not TOMAS.owns(None, DEFAULT_OWNER_TAGS)


def test_a_playbook_can_name_its_own_keys() -> None:
    assert TOMAS.owns({"technical-contact": "E9023"}, ["Technical-Contact"])
    assert not TOMAS.owns({"owner": "E9023"}, ["Technical-Contact"])
