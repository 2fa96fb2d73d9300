"""Where the contracts (topics.yaml, schemas/) are: in the checkout, or inside the installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_CHECKOUT_ROOT = _PACKAGE_DIR.parent
_BUNDLED = _PACKAGE_DIR / "_contracts"


def project_root() -> Path:
    """The source checkout holding this package (deploy/ and the Maven projects live there)."""
    return _CHECKOUT_ROOT


def contracts_dir() -> Path:
    """The directory holding topics.yaml and schemas/: the checkout first, else the wheel's copy."""
    if (_CHECKOUT_ROOT / "topics.yaml").is_file():
        return _CHECKOUT_ROOT
    return _BUNDLED


def default_topics_file() -> Path:
    """The project's own topic catalog."""
    return contracts_dir() / "topics.yaml"


def schemas_dir() -> Path:
    """The project's Avro contracts (one .avsc per event type)."""
    return contracts_dir() / "schemas"
