"""The generic ORM over plain dicts: search, read, create, write, unlink, fields_get, name_search.

``Env`` is the per-call view of the data (user id, context, transaction timestamp). Business
modules (``stock.py``, ``sale.py``) register computed fields, display names and create/write/unlink
hooks in the registries below; this module knows nothing about stock or sales.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import cmp_to_key
from typing import Any

from supplystream_devkit.odoo_standin import domain as dom
from supplystream_devkit.odoo_standin.errors import (
    INT4_MAX,
    INT4_MIN,
    MissingError,
    RawError,
    UserError,
    ValidationError,
    integer_out_of_range,
)
from supplystream_devkit.odoo_standin.schema import MODELS, Field, fields_of
from supplystream_devkit.odoo_standin.store import Record, Store

Compute = Callable[["Env", Record], Any]
Hook = Callable[["Env", dict[str, Any]], None]
AfterHook = Callable[["Env", list[int], dict[str, Any]], None]
IdsHook = Callable[["Env", list[int]], None]

COMPUTES: dict[tuple[str, str], Compute] = {}
DISPLAY_NAMES: dict[str, Compute] = {}
PREPARE_CREATE: dict[str, Hook] = {}
CREATE_OVERRIDES: dict[str, Callable[[Env, dict[str, Any]], int]] = {}
AFTER_CREATE: dict[str, AfterHook] = {}
BEFORE_WRITE: dict[str, AfterHook] = {}
AFTER_WRITE: dict[str, AfterHook] = {}
BEFORE_UNLINK: dict[str, IdsHook] = {}


def computes(model: str, *names: str) -> Callable[[Compute], Compute]:
    """Register ``function(env, record)`` as the compute of ``model``'s fields ``names``."""

    def register(function: Compute) -> Compute:
        for name in names:
            COMPUTES[(model, name)] = function
        return function

    return register


def invalid_field(model: str, name: str) -> RawError:
    return RawError("builtins.ValueError", f"Invalid field {name!r} on model {model!r}")


class Env:
    """What one RPC call sees: the store, the calling user, the context and one timestamp."""

    def __init__(self, store: Store, uid: int, context: dict[str, Any] | None = None) -> None:
        self.store = store
        self.uid = uid
        self.context: dict[str, Any] = dict(context or {})
        self._clock: list[str] = []  # shared with the envs derived by with_context()

    def with_context(self, **values: Any) -> Env:
        env = Env(self.store, self.uid, {**self.context, **values})
        env._clock = self._clock
        return env

    @property
    def now(self) -> str:
        """The transaction's timestamp, taken on first use (see ``Store.tick``)."""
        if not self._clock:
            self._clock.append(self.store.tick())
        return self._clock[0]

    # -- record access ---------------------------------------------------------------------
    def check_model(self, model: str) -> None:
        if model not in MODELS:
            raise UserError(f"Object {model} doesn't exist")

    def get(self, model: str, record_id: int) -> Record | None:
        return self.store.get(model, record_id)

    def records(self, model: str) -> Iterable[Record]:
        return list(self.store.table(model).values())

    def browse(self, model: str, ids: Iterable[int]) -> list[Record]:
        """The existing records among ``ids``, in order (missing ones are skipped)."""
        table = self.store.table(model)
        return [table[i] for i in ids if i in table]

    def ensure(self, model: str, ids: Sequence[int]) -> list[Record]:
        """The records ``ids``, or Odoo's MissingError for a field access on a deleted record."""
        records = self.browse(model, ids)
        if len(records) != len(ids):
            missing = [i for i in ids if self.get(model, i) is None]
            raise MissingError(
                "Record does not exist or has been deleted.\n"
                f"(Record: {model}({', '.join(str(i) for i in missing[:6])},), User: {self.uid})"
            )
        return records

    def value(self, model: str, record: Record, name: str) -> Any:
        """The raw value of a field: stored value, computed value, or x2many ids."""
        if name == "display_name":
            return self.display_name(model, record)
        compute = COMPUTES.get((model, name))
        if compute is not None:
            return compute(self, record)
        field = fields_of(model).get(name)
        if field is None:
            raise invalid_field(model, name)
        if field.type == "one2many":
            inverse = field.inverse or ""
            return sorted(
                r["id"]
                for r in self.store.table(field.relation or "").values()
                if r.get(inverse) == record["id"]
            )
        if field.type == "many2many":
            return list(record.get(name) or [])
        return record.get(name, False)

    def display_name(self, model: str, record: Record) -> str:
        custom = DISPLAY_NAMES.get(model)
        if custom is not None:
            return str(custom(self, record))
        rec_name = MODELS[model].rec_name
        value = record.get(rec_name)
        if rec_name == "id" or value in (None, False, ""):
            return f"{model},{record['id']}"
        return str(value)

    def name_of(self, model: str, record_id: Any) -> str:
        record = self.get(model, record_id) if isinstance(record_id, int) else None
        return self.display_name(model, record) if record else ""

    # -- domains ---------------------------------------------------------------------------
    def resolve(self, model: str, record: Record, path: str) -> dom.Resolved:
        name, _, rest = path.partition(".")
        field = fields_of(model).get(name)
        if field is None:
            raise RawError("builtins.ValueError", f"Invalid field {model}.{name} in leaf {path!r}")
        raw = self.value(model, record, name)
        if field.relational:
            relation = field.relation or ""
            ids = [raw] if isinstance(raw, int) and not isinstance(raw, bool) else list(raw or [])
            ids = [i for i in ids if self.get(relation, i) is not None]
            if not rest:
                names = [self.name_of(relation, i) for i in ids]
                return dom.Resolved(ids, relational=True, names=names)
            values: list[Any] = []
            names_out: list[str] = []
            relational = False
            for related in self.browse(relation, ids):
                sub = self.resolve(relation, related, rest)
                values.extend(sub.values)
                names_out.extend(sub.names)
                relational = sub.relational
            return dom.Resolved(values, relational=relational, names=names_out)
        if rest:
            raise RawError("builtins.ValueError", f"Invalid field {model}.{path} in leaf {path!r}")
        if field.type != "boolean" and (raw is None or raw is False):
            return dom.Resolved([])
        return dom.Resolved([raw])

    def matches(self, model: str, record: Record, domain: Sequence[Any] | None) -> bool:
        return dom.evaluate(domain, lambda path: self.resolve(model, record, path))

    def _with_active_test(self, model: str, domain: Sequence[Any] | None) -> list[Any]:
        terms = list(domain or [])
        if (
            "active" in MODELS[model].fields
            and self.context.get("active_test", True)
            and "active" not in dom.fields_in(terms)
        ):
            return [("active", "=", True), *dom.normalize(terms)] if terms else [("active", "=", True)]
        return terms

    # -- ORM methods -----------------------------------------------------------------------
    def search(
        self,
        model: str,
        domain: Sequence[Any] | None = None,
        offset: int = 0,
        limit: int | None = None,
        order: str | None = None,
    ) -> list[int]:
        self.check_model(model)
        full_domain = self._with_active_test(model, domain)
        dom.normalize(full_domain)  # validate even when there is nothing to match
        found = [r for r in self.records(model) if self.matches(model, r, full_domain)]
        found = self.sort(model, found, order)
        end = None if limit in (None, False) else offset + int(limit or 0)
        return [r["id"] for r in found[offset or 0 : end]]

    def search_count(self, model: str, domain: Sequence[Any] | None = None, limit: int | None = None) -> int:
        return len(self.search(model, domain, limit=limit))

    def sort(self, model: str, records: list[Record], order: str | None) -> list[Record]:
        spec = self._parse_order(model, order)
        if not spec:
            return sorted(records, key=lambda r: r["id"])

        def key_of(record: Record, name: str) -> Any:
            field = fields_of(model)[name]
            value = self.value(model, record, name)
            if field.type == "many2one":
                return self.name_of(field.relation or "", value) if value else None
            if field.type in ("one2many", "many2many"):
                return len(value) if value else None
            if value is False and field.type != "boolean":
                return None
            return value

        def compare(left: Record, right: Record) -> int:
            for name, descending in spec:
                a, b = key_of(left, name), key_of(right, name)
                if a == b:
                    continue
                # PostgreSQL: NULLs sort last ascending and first descending
                if a is None:
                    return 1 if not descending else -1
                if b is None:
                    return -1 if not descending else 1
                try:
                    result = -1 if a < b else 1
                except TypeError:
                    result = -1 if str(a) < str(b) else 1
                return -result if descending else result
            return 0

        return sorted(records, key=cmp_to_key(compare))

    def _parse_order(self, model: str, order: str | None) -> list[tuple[str, bool]]:
        explicit = bool(order)
        text = order or MODELS[model].order
        spec: list[tuple[str, bool]] = []
        known = fields_of(model)
        for part in text.split(","):
            words = part.strip().split()
            if not words:
                continue
            name = words[0].strip('"')
            descending = len(words) > 1 and words[1].lower() == "desc"
            if name not in known:
                if explicit:
                    raise RawError("builtins.ValueError", f"Invalid field {name!r} on model {model!r}")
                continue
            spec.append((name, descending))
        if explicit or spec:
            spec.append(("id", spec[-1][1] if spec and spec[-1][0] == "id" else False))
        return spec

    def read(
        self, model: str, ids: Sequence[int], fields: Sequence[str] | None = None, load: str = "_classic_read"
    ) -> list[dict[str, Any]]:
        """Odoo's ``read``: one dict per *existing* record; missing ids are silently left out
        (odoo/models.py ``_read_format`` drops records raising MissingError)."""
        self.check_model(model)
        known = fields_of(model)
        names = list(fields) if fields else [n for n in known if n != "id"]
        for name in names:
            if name not in known:
                raise invalid_field(model, name)
        result = []
        for record in self.browse(model, _ids(ids)):
            row: dict[str, Any] = {"id": record["id"]}
            for name in names:
                if name == "id":
                    continue
                row[name] = self.convert_to_read(model, record, name, load)
            result.append(row)
        return result

    def convert_to_read(  # noqa: PLR0911 - one return per field type
        self, model: str, record: Record, name: str, load: str = "_classic_read"
    ) -> Any:
        field = fields_of(model)[name]
        value = self.value(model, record, name)
        if field.type == "many2one":
            if not value or self.get(field.relation or "", value) is None:
                return False
            if load == "_classic_read":
                return [value, self.name_of(field.relation or "", value)]
            return value
        if field.type in ("one2many", "many2many"):
            return list(value or [])
        if field.type == "float":
            return float(value or 0.0)
        if field.type == "integer":
            return int(value or 0)
        if field.type == "boolean":
            return bool(value)
        return value if value not in (None, "") else False

    def search_read(  # noqa: PLR0917 - Odoo's positional signature
        self,
        model: str,
        domain: Sequence[Any] | None = None,
        fields: Sequence[str] | None = None,
        offset: int = 0,
        limit: int | None = None,
        order: str | None = None,
        load: str = "_classic_read",
    ) -> list[dict[str, Any]]:
        ids = self.search(model, domain, offset=offset, limit=limit, order=order)
        return self.read(model, ids, fields, load=load)

    def name_search(
        self,
        model: str,
        name: str = "",
        args: Sequence[Any] | None = None,
        operator: str = "ilike",
        limit: int = 100,
    ) -> list[list[Any]]:
        self.check_model(model)
        domain = list(args or [])
        records = [
            r for r in self.records(model) if self.matches(model, r, self._with_active_test(model, domain))
        ]
        if name:
            leaf = dom.Resolved([])
            hits = []
            for record in records:
                leaf = dom.Resolved([self.display_name(model, record)])
                if dom.match_leaf(leaf, operator, name):
                    hits.append(record)
            records = hits
        records = self.sort(model, records, None)[: limit or None]
        return [[r["id"], self.display_name(model, r)] for r in records]

    def fields_get(
        self, model: str, allfields: Sequence[str] | None = None, attributes: Sequence[str] | None = None
    ) -> dict[str, dict[str, Any]]:
        self.check_model(model)
        result: dict[str, dict[str, Any]] = {}
        for name, field in fields_of(model).items():
            if allfields and name not in allfields:
                continue
            description: dict[str, Any] = {
                "type": field.type,
                "string": field.string,
                "required": field.required,
                "readonly": field.readonly,
                "store": not field.compute,
                "searchable": True,
                "sortable": not field.compute and field.type not in ("one2many", "many2many"),
                "manual": MODELS[model].custom and name.startswith("x_"),
            }
            if field.relation:
                description["relation"] = field.relation
            if field.inverse:
                description["relation_field"] = field.inverse
            if field.selection:
                description["selection"] = [list(option) for option in field.selection]
            if attributes:
                description = {k: v for k, v in description.items() if k in attributes}
            result[name] = description
        return result

    def default_get(self, model: str, fields_list: Sequence[str]) -> dict[str, Any]:
        known = fields_of(model)
        return {n: known[n].default for n in fields_list if n in known and known[n].default is not None}

    # -- writing ---------------------------------------------------------------------------
    def _check_vals(self, model: str, vals: dict[str, Any]) -> None:
        if not isinstance(vals, dict):
            raise RawError(
                "builtins.TypeError", f"{model}: values must be a dictionary, not {type(vals).__name__}"
            )
        known = fields_of(model)
        for name in vals:
            if name not in known:
                raise invalid_field(model, name)

    def _convert(self, model: str, name: str, field: Field, value: Any) -> Any:  # noqa: PLR0911 - per type
        """A value as Odoo 17 stores it: converted by the field (odoo/fields.py ``convert_to_column``),
        then held to its PostgreSQL column (``int4`` for Integer and Many2one)."""
        if field.type == "many2one":
            if value in (None, False, 0):
                return False
            if isinstance(value, (list, tuple)) and value:
                value = value[0]
            if isinstance(value, int) and not INT4_MIN <= value <= INT4_MAX:
                raise integer_out_of_range()
            if not isinstance(value, int) or self.get(field.relation or "", value) is None:
                raise ValidationError(
                    "The operation cannot be completed: another model requires the record being deleted. "
                    "If possible, archive it instead.\n\n"
                    f"Model: {MODELS[model].description} ({model})\n"
                    f"Constraint: {model.replace('.', '_')}_{name}_fkey\n"
                )
            return value
        if field.type == "selection" and value not in (None, False, *(key for key, _ in field.selection)):
            raise RawError("builtins.ValueError", f"Wrong value for {model}.{name}: {value!r}")
        if field.type == "float" and value not in (None, False):
            return _number(float, value)
        if field.type == "integer" and value not in (None, False):
            number = _number(int, value)
            if not INT4_MIN <= number <= INT4_MAX:
                raise integer_out_of_range()
            return number
        if field.type in ("char", "text") and isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)  # Char/Text store text: pycompat.to_text(value)
        if field.type == "boolean":
            return bool(value)
        return value

    def create(self, model: str, vals_list: dict[str, Any] | list[dict[str, Any]]) -> int | list[int]:
        """Odoo 17 ``create``: a dict gives an id, a list of dicts gives a list of ids
        (odoo/api.py ``_call_kw_model_create``)."""
        self.check_model(model)
        if isinstance(vals_list, dict):
            return self.create_one(model, vals_list)
        return [self.create_one(model, vals) for vals in vals_list]

    def create_one(self, model: str, vals: dict[str, Any]) -> int:  # noqa: PLR0912
        self._check_vals(model, vals)
        override = CREATE_OVERRIDES.get(model)
        if override is not None and not self.context.get("_standin_raw_create"):
            return override(self, dict(vals))
        vals = dict(vals)
        prepare = PREPARE_CREATE.get(model)
        if prepare is not None:
            prepare(self, vals)
        known = fields_of(model)
        record: Record = {}
        for name, field in MODELS[model].fields.items():
            if field.compute or field.type in ("one2many", "many2many"):
                continue
            if field.default is not None:
                record[name] = field.default
            elif field.type == "boolean":
                record[name] = False
        x2many: dict[str, Any] = {}
        for name, value in vals.items():
            field = known[name]
            if name in ("id", "create_date", "write_date", "create_uid", "write_uid", "display_name"):
                continue
            if field.type in ("one2many", "many2many"):
                x2many[name] = value
            elif field.compute:
                continue
            else:
                record[name] = self._convert(model, name, field, value)
        for name, field in MODELS[model].fields.items():
            if field.required and not field.compute and record.get(name) in (None, False, ""):
                raise ValidationError(
                    "The operation cannot be completed:\n"
                    "- Create/update: a mandatory field is not set.\n"
                    "- Delete: another model requires the record being deleted."
                    " If possible, archive it instead.\n\n"
                    f"Model: {MODELS[model].description} ({model})\n"
                    f"Field: {field.string} ({name})\n"
                )
        now = self.now
        record.update(create_date=now, write_date=now, create_uid=self.uid, write_uid=self.uid)
        record_id = self.store.insert(model, record)
        for name, commands in x2many.items():
            self._apply_x2many(model, record_id, name, known[name], commands)
        after = AFTER_CREATE.get(model)
        if after is not None:
            after(self, [record_id], vals)
        return record_id

    def write(self, model: str, ids: Sequence[int], vals: dict[str, Any]) -> bool:
        self.check_model(model)
        ids = _ids(ids)
        self._check_vals(model, vals)
        missing = [i for i in ids if self.get(model, i) is None]
        if missing:
            raise MissingError(
                "One of the records you are trying to modify has already been deleted "
                f"(Document type: {MODELS[model].description}).\n\n"
                f"(Records: {missing[:6]}, User: {self.uid})"
            )
        before = BEFORE_WRITE.get(model)
        if before is not None:
            before(self, ids, vals)
        self.write_values(model, ids, vals)
        after = AFTER_WRITE.get(model)
        if after is not None:
            after(self, ids, vals)
        return True

    def write_values(self, model: str, ids: Sequence[int], vals: dict[str, Any]) -> None:
        """Store ``vals`` on ``ids`` and stamp write_date/write_uid, without business hooks."""
        known = fields_of(model)
        for record_id in ids:
            record = self.store.touch(model, record_id)
            for name, value in vals.items():
                field = known[name]
                if name in ("id", "create_date", "write_date", "create_uid", "write_uid", "display_name"):
                    continue
                if field.type in ("one2many", "many2many"):
                    self._apply_x2many(model, record_id, name, field, value)
                elif not field.compute:
                    record[name] = self._convert(model, name, field, value)
            record["write_date"] = self.now
            record["write_uid"] = self.uid

    def _apply_x2many(  # noqa: PLR0912 - one branch per x2many command
        self, model: str, record_id: int, name: str, field: Field, commands: Any
    ) -> None:
        relation = field.relation or ""
        if commands in (None, False):
            commands = [(5,)]
        if commands and all(isinstance(c, int) for c in commands):
            commands = [(6, 0, list(commands))]
        for command in commands:
            code = command[0]
            if field.type == "one2many":
                inverse = field.inverse or ""
                if code == 0:
                    self.create_one(relation, {**command[2], inverse: record_id})
                elif code == 1:
                    self.write(relation, [command[1]], command[2])
                elif code == 2:
                    self.unlink(relation, [command[1]])
                elif code in (3, 4):
                    self.write(relation, [command[1]], {inverse: record_id if code == 4 else False})
                elif code in (5, 6):
                    keep = set(command[2]) if code == 6 else set()
                    for child in self.value(model, self.store.table(model)[record_id], name):
                        if child not in keep:
                            self.write(relation, [child], {inverse: False})
                    for child in keep:
                        self.write(relation, [child], {inverse: record_id})
            else:
                record = self.store.touch(model, record_id)
                current: list[int] = list(record.get(name) or [])
                if code == 0:
                    current.append(self.create_one(relation, command[2]))
                elif code == 1:
                    self.write(relation, [command[1]], command[2])
                elif code in (2, 3):
                    current = [i for i in current if i != command[1]]
                    if code == 2:
                        self.unlink(relation, [command[1]])
                elif code == 4 and command[1] not in current:
                    current.append(command[1])
                elif code == 5:
                    current = []
                elif code == 6:
                    current = list(command[2])
                record[name] = current

    def unlink(self, model: str, ids: Sequence[int]) -> bool:
        self.check_model(model)
        ids = [i for i in _ids(ids) if self.get(model, i) is not None]
        before = BEFORE_UNLINK.get(model)
        if before is not None and ids:
            before(self, ids)
        for record_id in ids:
            for other, other_model in MODELS.items():
                for fname, field in other_model.fields.items():
                    if field.type != "many2one" or field.relation != model or field.compute:
                        continue
                    for child in list(self.store.table(other).values()):
                        if child.get(fname) == record_id:
                            if field.required:
                                self.unlink(other, [child["id"]])
                            else:
                                self.store.touch(other, child["id"])[fname] = False
            self.store.delete(model, record_id)
        return True


def _number(kind: type[int] | type[float], value: Any) -> Any:
    """``int(value)`` / ``float(value)`` as Odoo's Integer and Float fields do, failing as they do."""
    try:
        return kind(value)
    except (TypeError, ValueError) as exc:
        raise RawError(f"builtins.{type(exc).__name__}", str(exc)) from None


def _ids(ids: Any) -> list[int]:
    if isinstance(ids, bool) or ids is None:
        return []
    if isinstance(ids, int):
        return [ids]
    return [int(i) for i in ids]
