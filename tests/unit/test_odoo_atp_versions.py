"""How ATP versions are stored in Odoo's ``x_version`` (a char field of zero-padded digits), and how
an ATP model from an earlier SupplyStream (an integer ``x_version``) is brought up to date."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supplystream.odoo.operations import (
    MAX_VERSION,
    VERSION_DIGITS,
    atp_field_changes,
    version_of,
    version_text,
)

versions = st.integers(min_value=0, max_value=MAX_VERSION)


def test_clock_microsecond_versions_fit_exactly() -> None:
    """Versions are wall-clock microseconds (~1.7e15): beyond int4, and beyond 2**53 in a few centuries."""
    assert version_text(1_712_345_678_901_234) == "0001712345678901234"
    assert version_of("0001712345678901234") == 1_712_345_678_901_234
    assert version_of(version_text(2**53 + 1)) == 2**53 + 1  # a float would round it to 2**53
    assert version_text(MAX_VERSION) == str(MAX_VERSION)
    assert len(version_text(0)) == VERSION_DIGITS


@given(versions, versions)
def test_text_order_is_number_order(a: int, b: int) -> None:
    """What a domain (``x_version < '…'``) or an ORDER BY compares in PostgreSQL and in the stand-in."""
    assert (version_text(a) < version_text(b)) == (a < b)
    assert (version_text(a) == version_text(b)) == (a == b)
    assert version_of(version_text(a)) == a


def test_stored_values_read_back() -> None:
    assert version_of(False) == 0  # an empty char field, as Odoo reads it
    assert version_of("") == 0
    assert version_of(None) == 0
    assert version_of(41) == 41  # an integer x_version written before the change
    for foreign in ("12a", "-3", "1e9", " 7", True, 1.5):
        with pytest.raises(ValueError, match="is not an ATP version"):
            version_of(foreign)


@pytest.mark.parametrize("version", [-1, MAX_VERSION + 1])
def test_versions_outside_a_non_negative_long_are_refused(version: int) -> None:
    with pytest.raises(ValueError, match="must be between 0 and"):
        version_text(version)


def test_an_integer_version_field_is_dropped_and_created_again_as_char() -> None:
    current = {
        "x_name": "char",
        "x_sku": "char",
        "x_warehouse_code": "char",
        "x_on_hand": "float",
        "x_reserved": "float",
        "x_atp": "float",
        "x_version": "char",
        "x_event_id": "char",
    }
    assert atp_field_changes(current) == ([], [])
    assert atp_field_changes({**current, "x_version": "integer"}) == (["x_version"], ["x_version"])
    missing = {name: kind for name, kind in current.items() if name != "x_event_id"}
    assert atp_field_changes(missing) == ([], ["x_event_id"])
    # x_name is not ours to create: Odoo gives every custom model one (its record name).
    assert atp_field_changes({}) == ([], [name for name in current if name != "x_name"])
