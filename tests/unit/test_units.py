"""Units of measure: Odoo's conversion and rounding, exactly (supplystream.units)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from supplystream.units import (
    ProductUnits,
    UnitCategoryError,
    UnitOfMeasure,
    UnitRoundingError,
    check_representable,
    float_round,
    representable,
    same_quantity,
    to_unit,
    to_unit_exact,
)

KG = UnitOfMeasure.of("kg", "Weight", 1, "0.001")
G = UnitOfMeasure.of("g", "Weight", 1000, "0.01")
UNITS = UnitOfMeasure.of("Units", "Unit", 1, "0.001")
DOZEN = UnitOfMeasure.bigger("Dozens", "Unit", 12, "0.01")
PIECE = UnitOfMeasure.of("Piece", "Unit", 1, "1")


@pytest.mark.parametrize(
    ("value", "rounding", "method", "expected"),
    [  # Odoo's float_round examples (odoo/tools/float_utils.py, its tests)
        ("2.5", "1", "HALF-UP", "3"),
        ("-2.5", "1", "HALF-UP", "-3"),
        ("1.0001", "0.001", "UP", "1.001"),
        ("-1.0001", "0.001", "UP", "-1.001"),
        ("1.0009", "0.001", "DOWN", "1.000"),
        ("0.0005", "0.001", "HALF-UP", "0.001"),
        ("0.00049", "0.001", "HALF-UP", "0.000"),
        ("1.15", "0.1", "HALF-UP", "1.2"),
        ("10", "0.5", "UP", "10.0"),
        ("10.1", "0.5", "UP", "10.5"),
    ],
)
def test_float_round_as_odoo(value: str, rounding: str, method: str, expected: str) -> None:
    assert float_round(Decimal(value), Decimal(rounding), method) == Decimal(expected)  # type: ignore[arg-type]


def test_conversions_within_a_category() -> None:
    assert to_unit(Decimal(1500), G, KG) == Decimal("1.500")
    assert to_unit(Decimal(2), DOZEN, UNITS) == Decimal("24.000")
    assert to_unit(Decimal(13), UNITS, DOZEN) == Decimal("1.09")  # UP, as _compute_quantity's default
    assert to_unit(Decimal(13), UNITS, DOZEN, "HALF-UP") == Decimal("1.08")
    assert to_unit_exact(Decimal("0.125"), KG, G, "SKU-KG-1") == Decimal("125.00")


@pytest.mark.parametrize("grams", ["0.01", "1", "999.99", "1500", "123456.78"])
def test_round_trip_g_kg_g_is_exact_at_g_rounding(grams: str) -> None:
    in_kg = to_unit(Decimal(grams), G, KG, "HALF-UP")
    back = to_unit(in_kg, KG, G, "HALF-UP")
    assert abs(back - Decimal(grams)) <= Decimal("0.5")  # kg keeps grams to 1 g
    kg = to_unit_exact(Decimal(grams).quantize(Decimal(1)), G, KG, "x")
    assert to_unit_exact(kg, KG, G, "x") == Decimal(grams).quantize(Decimal(1))


def test_another_category_and_finer_than_rounding_are_refused_with_the_details() -> None:
    with pytest.raises(UnitCategoryError, match="SKU-DZ-1: 1 kg"):
        to_unit_exact(Decimal(1), KG, UNITS, "SKU-DZ-1")
    with pytest.raises(UnitRoundingError, match=r"SKU-KG-1: 0.0004 kg .* rounding 0.001"):
        to_unit_exact(Decimal("0.0004"), KG, KG, "SKU-KG-1")
    with pytest.raises(UnitRoundingError, match=r"2.5 Piece .* rounding 1"):
        check_representable(Decimal("2.5"), PIECE, "SKU-P")
    assert representable(Decimal("0.125"), KG)
    assert not representable(Decimal("0.0004"), KG)
    assert same_quantity(Decimal("0.1250001"), Decimal("0.125"), KG)


def test_product_units_convert_into_the_stock_unit() -> None:
    catalog = ProductUnits({1: KG, 2: G, 3: UNITS, 4: DOZEN}, {10: 1, 11: 3})
    assert catalog.in_stock_unit(10, Decimal(1500), 2) == (Decimal("1.500"), "kg")
    assert catalog.in_stock_unit(11, Decimal(2), 4) == (Decimal("24.000"), "Units")
    assert catalog.in_stock_unit(99, Decimal(5), 2) == (Decimal(5), "g")
