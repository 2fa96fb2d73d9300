"""Units of measure as Odoo keeps them: pure arithmetic, no I/O.

Follows Odoo's own ``_compute_quantity`` and ``float_round`` exactly, in `Decimal` and `Fraction`, never
binary floats (`UnitOfMeasure.factor` has Odoo 11-17's meaning, as an exact fraction). The platform's
quantities are in the product's stock unit; the Odoo sink converts and checks what it writes with
`to_unit` / `representable` ("Units of measure" in sinks/odoo/README.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from supplystream.errors import SupplyStreamError

RoundingMethod = Literal["HALF-UP", "UP", "DOWN"]


class UnitOfMeasureError(SupplyStreamError):
    """A quantity cannot be expressed in a unit of measure (another category, finer than its rounding)."""


class UnitCategoryError(UnitOfMeasureError):
    """Two units of different categories: no conversion exists (kg into Units)."""


class UnitRoundingError(UnitOfMeasureError):
    """A quantity is finer than its unit's rounding (0.0004 kg where kg rounds to 0.001)."""


def _fraction(value: Decimal | Fraction | int | str) -> Fraction:
    return (
        value
        if isinstance(value, Fraction)
        else Fraction(Decimal(value) if isinstance(value, str) else value)
    )


def odoo_number(value: float | int | str | Decimal) -> Decimal:
    """A number as Odoo sent it (a JSON float) as the decimal it was written as: ``0.1`` -> ``0.1``,
    not the binary float's 0.1000000000000000055…"""
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value))


@dataclass(frozen=True)
class UnitOfMeasure:
    """One unit of measure.

    ``factor``: how many of this unit make one reference unit of its category (Odoo 11-17's
    ``factor``: kg 1, g 1000, Dozen(s) 1/12), exact. ``rounding``: the step of a quantity in this
    unit (``rounding`` of the UoM; positive). ``category``: the name of its category (Odoo 19: of
    its reference unit).
    """

    name: str
    category: str
    factor: Fraction
    rounding: Decimal

    def __post_init__(self) -> None:
        if self.factor <= 0:
            raise UnitOfMeasureError(f"unit of measure {self.name!r}: factor {self.factor} is not positive")
        if self.rounding <= 0:
            raise UnitOfMeasureError(
                f"unit of measure {self.name!r}: rounding {self.rounding} is not positive"
            )

    @classmethod
    def of(
        cls, name: str, category: str, factor: Decimal | Fraction | int | str, rounding: Decimal | int | str
    ) -> UnitOfMeasure:
        """A unit from plain numbers (``factor`` as Odoo 11-17 defines it)."""
        return cls(name, category, _fraction(factor), Decimal(rounding))

    @classmethod
    def bigger(
        cls, name: str, category: str, size: Decimal | Fraction | int | str, rounding: Decimal | int | str
    ) -> UnitOfMeasure:
        """A unit worth ``size`` reference units (Odoo's ``factor_inv``, Odoo 19's ``factor``: a
        Dozen is 12 Units)."""
        return cls(name, category, 1 / _fraction(size), Decimal(rounding))

    @property
    def size(self) -> Fraction:
        """Reference units in one of this unit (Odoo's ``factor_inv``; Odoo 19's ``factor``)."""
        return 1 / self.factor

    def describe(self) -> str:
        """``kg (rounding 0.001)``: how an operator finds the unit in Odoo."""
        return f"{self.name} (rounding {self.rounding.normalize():f})"


def float_round(value: Decimal | Fraction, rounding: Decimal, method: RoundingMethod = "HALF-UP") -> Decimal:
    """``value`` rounded to a multiple of ``rounding`` as Odoo's ``float_round(value,
    precision_rounding=rounding, rounding_method=method)`` does, exactly: ``HALF-UP`` half away from
    zero, ``UP`` away from zero, ``DOWN`` towards zero. The result has the exponent of ``rounding``
    (0.125 at 0.001, 3 at 1)."""
    if rounding <= 0:
        raise UnitOfMeasureError(f"a rounding must be positive, not {rounding}")
    steps = _fraction(value) / _fraction(rounding)
    magnitude = abs(steps)
    whole, part = divmod(magnitude.numerator, magnitude.denominator)
    if (method == "HALF-UP" and 2 * part >= magnitude.denominator) or (method == "UP" and part):
        whole += 1
    result = Decimal(-whole if steps < 0 else whole) * rounding
    exponent = rounding.as_tuple().exponent
    return result.quantize(rounding) if isinstance(exponent, int) and exponent < 0 else result


def representable(quantity: Decimal, unit: UnitOfMeasure) -> bool:
    """Whether ``quantity`` is a whole number of ``unit.rounding`` steps (Odoo keeps it unchanged)."""
    return (quantity / unit.rounding) % 1 == 0


def check_representable(quantity: Decimal, unit: UnitOfMeasure, what: str = "a quantity") -> Decimal:
    """``quantity`` at ``unit``'s rounding (exponent of the rounding), or `UnitRoundingError` naming
    ``what`` (the SKU, say), the quantity, the unit and its rounding."""
    if not representable(quantity, unit):
        raise UnitRoundingError(
            f"{what}: {quantity.normalize():f} {unit.name} is finer than the unit's rounding "
            f"{unit.rounding.normalize():f} (Odoo would round it to "
            f"{float_round(quantity, unit.rounding).normalize():f}); send a multiple of "
            f"{unit.rounding.normalize():f} {unit.name}, or make the unit's rounding finer in Odoo "
            "(Inventory > Configuration > Units of Measure)"
        )
    return float_round(quantity, unit.rounding)


def convert_exact(quantity: Decimal, source: UnitOfMeasure, target: UnitOfMeasure) -> Fraction:
    """``quantity`` in ``source`` as an exact number of ``target`` (no rounding);
    `UnitCategoryError` between categories."""
    if source == target:
        return Fraction(quantity)
    if source.category != target.category:
        raise UnitCategoryError(
            f"{source.name} ({source.category}) cannot be converted into {target.name} "
            f"({target.category}): units of different categories"
        )
    return Fraction(quantity) / source.factor * target.factor


def to_unit(
    quantity: Decimal,
    source: UnitOfMeasure,
    target: UnitOfMeasure,
    method: RoundingMethod = "UP",
) -> Decimal:
    """Odoo's ``source._compute_quantity(quantity, target, rounding_method=method)``: converted and
    rounded to ``target.rounding`` (``UP`` by default, as Odoo's; ``stock.move.product_qty`` uses
    ``HALF-UP``). A conversion into the same unit is only rounded."""
    exact = convert_exact(quantity, source, target)
    return float_round(exact, target.rounding, method)


def to_unit_exact(quantity: Decimal, source: UnitOfMeasure, target: UnitOfMeasure, what: str) -> Decimal:
    """``quantity`` in ``source`` converted into ``target`` with nothing lost: `UnitCategoryError`
    between categories, `UnitRoundingError` when the result is finer than ``target``'s rounding."""
    try:
        exact = convert_exact(quantity, source, target)
    except UnitCategoryError as exc:
        raise UnitCategoryError(f"{what}: {quantity.normalize():f} {exc}") from exc
    steps = exact / _fraction(target.rounding)
    if steps.denominator != 1:
        approximate = float_round(exact, target.rounding * Decimal("0.000001"))
        detail = f" ({quantity.normalize():f} {source.name})" if source != target else ""
        raise UnitRoundingError(
            f"{what}: {approximate.normalize():f}{'' if exact == Fraction(approximate) else '...'} "
            f"{target.name}{detail} is finer than {target.name}'s rounding {target.rounding.normalize():f}; "
            f"send a multiple of {target.rounding.normalize():f} {target.name}, or make the unit's "
            "rounding finer in Odoo (Inventory > Configuration > Units of Measure)"
        )
    return (Decimal(steps.numerator) * target.rounding).quantize(target.rounding)


def same_quantity(a: Decimal, b: Decimal, unit: UnitOfMeasure) -> bool:
    """Whether two quantities in ``unit`` are equal at its rounding (Odoo's ``float_compare == 0``:
    both rounded HALF-UP to the rounding)."""
    return float_round(a, unit.rounding) == float_round(b, unit.rounding)


@dataclass(frozen=True)
class ProductUnits:
    """The units of measure Odoo has (by id) and each product's stock unit (product id -> unit id),
    as `supplystream.odoo.operations.read_units` / ``product_units`` read them."""

    units: Mapping[int, UnitOfMeasure]
    stock_units: Mapping[int, int]

    def stock_unit(self, product_id: int) -> UnitOfMeasure | None:
        """The unit the product is stocked in (its ``uom_id``), None when unknown."""
        return self.units.get(self.stock_units.get(product_id, 0))

    def in_stock_unit(self, product_id: int, quantity: Decimal, unit_id: int | None) -> tuple[Decimal, str]:
        """``quantity`` in unit ``unit_id`` (None: the product's) as (quantity in the product's stock
        unit, that unit's name), rounded HALF-UP to its rounding as Odoo's ``product_qty`` is.
        Unknown units leave the quantity as it is (name ``Units``)."""
        stock = self.stock_unit(product_id)
        if stock is None:
            source = self.units.get(unit_id or 0)
            return quantity, source.name if source is not None else "Units"
        source = self.units.get(unit_id or 0, stock)
        if source == stock:
            return quantity, stock.name
        return to_unit(quantity, source, stock, "HALF-UP"), stock.name


def unit_key(name: str) -> str:
    """A unit's name compared loosely: ``Units``, ``Unit(s)`` and ``unit`` are one unit, ``kg`` and
    ``KG`` too (Odoo 11 names ``Unit(s)`` and ``Dozen(s)`` what Odoo 17 names ``Units`` and ``Dozens``)."""
    key = name.strip().lower().replace("(s)", "")
    return key[:-1] if key.endswith("s") and len(key) > 3 else key
