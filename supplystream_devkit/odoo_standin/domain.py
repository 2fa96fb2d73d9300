"""Odoo search domains as plain functions: normalisation and evaluation against one record.

A domain is a list in Polish (prefix) notation of the operators ``'&'``, ``'|'``, ``'!'`` and
leaves ``(field_path, operator, value)``; consecutive terms are joined by an implicit ``'&'``
(odoo/osv/expression.py, ``normalize_domain``).

Evaluation does not know about models: the caller passes a ``resolve(path)`` callable returning a
:class:`Resolved` for the record being tested, so this module stays free of storage concerns.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from supplystream_devkit.odoo_standin.errors import ValidationError

AND, OR, NOT = "&", "|", "!"
TERM_OPERATORS = (
    "=",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "in",
    "not in",
    "like",
    "not like",
    "ilike",
    "not ilike",
    "=like",
    "=ilike",
    "child_of",
    "parent_of",
)
NEGATIVE_OPERATORS = ("!=", "not in", "not like", "not ilike")


@dataclass(frozen=True)
class Resolved:
    """The value(s) of a field path on one record.

    ``values`` holds one item for a scalar or a set many2one, several for an x2many (or a path
    crossing one) and none for an empty relation. ``relational`` says whether the items are record
    ids; ``names`` then holds their display names, used when the operand is a string.
    """

    values: list[Any]
    relational: bool = False
    names: list[str] = field(default_factory=list)


Resolver = Callable[[str], Resolved]


def _is_leaf(term: Any) -> bool:
    return isinstance(term, (list, tuple)) and len(term) == 3 and isinstance(term[0], str)


def _check_leaf(term: Sequence[Any]) -> None:
    if term[1] not in TERM_OPERATORS:
        raise ValidationError(f"Invalid leaf {list(term)!r}: unknown operator {term[1]!r}")


def normalize(domain: Sequence[Any] | None) -> list[Any]:
    """Return ``domain`` with every implicit ``'&'`` made explicit (as Odoo's ``normalize_domain``)."""
    if not domain:
        return []
    result: list[Any] = []
    expected = 1  # how many terms are still expected to close the expression
    for term in domain:
        if expected == 0:
            result.insert(0, AND)
            expected = 1
        if isinstance(term, str) and term in (AND, OR):
            expected += 1
        elif isinstance(term, str) and term == NOT:
            pass
        elif _is_leaf(term) or term in (True, False, 1, 0) or _is_true_false_leaf(term):
            if _is_leaf(term):
                _check_leaf(term)
            expected -= 1
        else:
            raise ValidationError(f"Invalid domain term {term!r}")
        result.append(term)
    if expected != 0:
        raise ValidationError(f"Invalid domain {list(domain)!r}: missing operand(s)")
    return result


def _is_true_false_leaf(term: Any) -> bool:
    return isinstance(term, (list, tuple)) and tuple(term) in ((1, "=", 1), (0, "=", 1))


def fields_in(domain: Sequence[Any] | None) -> set[str]:
    """The first path component of every leaf (to detect e.g. an explicit ``active`` leaf)."""
    return {term[0].split(".", 1)[0] for term in normalize(domain) if _is_leaf(term)}


def evaluate(domain: Sequence[Any] | None, resolve: Resolver) -> bool:
    """Whether the record behind ``resolve`` matches ``domain``."""
    terms = normalize(domain)
    if not terms:
        return True
    position, result = _evaluate_at(terms, 0, resolve)
    if position != len(terms):  # pragma: no cover - normalize() guarantees a single expression
        raise ValidationError(f"Invalid domain {terms!r}")
    return result


def _evaluate_at(terms: list[Any], index: int, resolve: Resolver) -> tuple[int, bool]:
    term = terms[index]
    if isinstance(term, str) and term == NOT:
        end, value = _evaluate_at(terms, index + 1, resolve)
        return end, not value
    if isinstance(term, str) and term in (AND, OR):
        end, left = _evaluate_at(terms, index + 1, resolve)
        end, right = _evaluate_at(terms, end, resolve)
        return end, (left and right) if term == AND else (left or right)
    if term in (True, 1) or (_is_true_false_leaf(term) and term[0] == 1):
        return index + 1, True
    if term in (False, 0) or _is_true_false_leaf(term):
        return index + 1, False
    path, operator, operand = term
    return index + 1, match_leaf(resolve(path), operator, operand)


def _like_regex(pattern: str, *, wrap: bool, ignore_case: bool) -> re.Pattern[str]:
    if wrap:
        regex = ".*" + re.escape(pattern) + ".*"
    else:  # SQL LIKE pattern: % any run, _ one character
        regex = "".join(".*" if char == "%" else "." if char == "_" else re.escape(char) for char in pattern)
    return re.compile(regex, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _compare(value: Any, operator: str, operand: Any) -> bool:  # noqa: PLR0911 - one return per operator
    """A positive operator on one non-empty scalar value (SQL semantics: NULL never compares)."""
    if value is None:
        return False
    try:
        if operator == "=":
            return bool(value == operand)
        if operator == "<":
            return bool(value < operand)
        if operator == "<=":
            return bool(value <= operand)
        if operator == ">":
            return bool(value > operand)
        if operator == ">=":
            return bool(value >= operand)
    except TypeError:
        return False
    if operator in ("in", "child_of", "parent_of"):
        return value in _as_list(operand)
    if operator in ("like", "ilike", "=like", "=ilike"):
        if not isinstance(value, str):
            value = str(value)
        regex = _like_regex(
            str(operand), wrap=not operator.startswith("="), ignore_case=operator.endswith("ilike")
        )
        return regex.fullmatch(value) is not None
    raise ValidationError(f"Invalid operator {operator!r}")  # pragma: no cover


def _as_list(operand: Any) -> list[Any]:
    if isinstance(operand, (list, tuple, set)):
        return list(operand)
    return [operand]


def _positive(operator: str) -> str:
    return {"!=": "=", "not in": "in", "not like": "like", "not ilike": "ilike"}[operator]


def match_leaf(resolved: Resolved, operator: str, operand: Any) -> bool:  # noqa: PLR0911
    """Evaluate one leaf. Negative operators are the negation of their positive form, so an
    empty value matches ``!=`` / ``not in`` (Odoo 17 adds ``OR field IS NULL`` for them)."""
    if operator in NEGATIVE_OPERATORS:
        return not match_leaf(resolved, _positive(operator), operand)
    values = resolved.values
    if operand is False or operand is None:
        if operator == "=":
            return all(v is None or v is False for v in values)
        if operator == "in":
            return not values
    if (
        operator == "in"
        and isinstance(operand, (list, tuple))
        and any(o is False for o in operand)
        and not values
    ):
        return True
    if resolved.relational:
        if isinstance(operand, str) or (
            isinstance(operand, (list, tuple)) and operand and all(isinstance(o, str) for o in operand)
        ):
            # a name given for a relational field compares against the display names
            return any(_compare(name, operator, operand) for name in resolved.names)
        if operator in ("=", "in", "child_of", "parent_of"):
            wanted = set(_as_list(operand))
            return any(v in wanted for v in values)
    if operator == "=" and operand is True:
        return any(v is True for v in values)
    if not values:
        return False
    return any(_compare(v, operator, operand) for v in values)
