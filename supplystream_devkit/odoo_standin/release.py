"""Which Odoo the stand-in presents itself as: 17 (the default) or 19 (``--odoo-version``).

One process presents one release, as one Odoo server runs one. The differences modelled (reported
version, JSON-2 from 19, products' ``type``/``is_storable`` from 18) are in the stand-in's README. A
data directory belongs to the release that created it: starting it as another is refused (`check_data`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from supplystream_devkit.odoo_standin import schema

#: The releases the stand-in can present.
SUPPORTED = (17, 19)
DEFAULT = 17
#: JSON-2 (addons/rpc) and ``/web/version`` exist from Odoo 19.
JSON2_SINCE = 19
#: ``product.template.is_storable`` replaced ``type = 'product'`` in Odoo 18.
IS_STORABLE_SINCE = 18
#: Odoo 19 rebuilt units of measure: no ``uom.category``, ``relative_factor``/``relative_uom_id``.
RELATIVE_UOM_SINCE = 19
#: The store's meta key recording the release that created the data.
META_KEY = "odoo_version"


@dataclass(frozen=True)
class Release:
    """An Odoo major version as odoo/release.py describes it (``version_info``, ``serie``)."""

    major: int

    @property
    def version(self) -> str:
        return f"{self.major}.0"

    @property
    def version_info(self) -> list[Any]:
        return [self.major, 0, 0, "final", 0, ""]

    def common_version(self) -> dict[str, Any]:
        """``common.version`` and ``/web/webclient/version_info`` (odoo/service/common.py)."""
        return {
            "server_version": self.version,
            "server_version_info": self.version_info,
            "server_serie": self.version,
            "protocol_version": 1,
        }

    def web_version(self) -> dict[str, Any]:
        """``GET /web/version`` (Odoo 19 addons/rpc/controllers)."""
        return {"version_info": self.version_info, "version": self.version}

    @property
    def has_json2(self) -> bool:
        return self.major >= JSON2_SINCE

    @property
    def storable_by_flag(self) -> bool:
        """Whether products are storable by ``is_storable`` (18+) rather than ``type = 'product'``."""
        return self.major >= IS_STORABLE_SINCE

    @property
    def relative_uom(self) -> bool:
        """Whether units are relative to each other (19+) rather than in categories."""
        return self.major >= RELATIVE_UOM_SINCE

    def storable_values(self) -> dict[str, Any]:
        """Values of a new storable product in this release."""
        return {"type": "consu", "is_storable": True} if self.storable_by_flag else {"type": "product"}


_current = Release(DEFAULT)


def current() -> Release:
    """The release this process presents."""
    return _current


def present_as(major: int) -> Release:
    """Present this process as Odoo ``major`` (before serving: the models follow the release)."""
    global _current  # noqa: PLW0603 - one release per process, as odoo.release
    if major not in SUPPORTED:
        raise ValueError(f"the stand-in presents Odoo {' or '.join(map(str, SUPPORTED))}, not {major}")
    _current = Release(major)
    schema.MODELS["product.product"] = schema.product_model(storable_by_flag=_current.storable_by_flag)
    schema.MODELS.pop("uom.category", None)
    schema.MODELS.update({m.name: m for m in schema.uom_models(relative=_current.relative_uom)})
    return _current


def check_data(recorded: Any, release: Release, *, empty: bool) -> str | None:
    """Why data created by the stand-in as Odoo ``recorded`` cannot be served as ``release``; None
    when it can: no data yet, the same release, or data from before releases were recorded (17)."""
    created = int(recorded) if recorded is not None else DEFAULT
    if empty or created == release.major:
        return None
    return (
        f"this data directory was created by the stand-in as Odoo {created}, not {release.major} (a "
        f"database belongs to one Odoo version): start it with --odoo-version {created}, or use another "
        "--data directory"
    )
