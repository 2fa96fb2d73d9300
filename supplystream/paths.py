"""Where things are: the checkout this package runs from, and the contracts (topics.yaml, schemas/).

The contracts are found like git finds its repository: the nearest directory at or above the
working directory that holds ``topics.yaml`` (with ``schemas/`` beside it). Only outside any such
project are the installed package's own contracts used: its checkout's, else the wheel's copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_CHECKOUT_ROOT = _PACKAGE_DIR.parent
_BUNDLED = _PACKAGE_DIR / "_contracts"

#: The file that marks a directory as holding contracts (``schemas/`` lives beside it).
TOPICS_FILE = "topics.yaml"
SCHEMAS_DIR = "schemas"


@dataclass(frozen=True)
class ContractsLocation:
    """The directory holding topics.yaml and schemas/, and whether it was found from ``start``."""

    directory: Path
    #: Where the search began (the working directory).
    start: Path
    #: True when found at or above ``start``; False for the installed package's own copy.
    discovered: bool

    def describe(self) -> str:
        """How the directory was chosen, for the line that names the files used."""
        if self.discovered:
            return f"found from {self.start}"
        return f"the installed package's copy: no {TOPICS_FILE} in {self.start} or above"


def project_root() -> Path:
    """The source checkout holding this package (deploy/ and the Maven projects live there)."""
    return _CHECKOUT_ROOT


def installed_contracts_dir() -> Path:
    """The installed package's own contracts: its checkout's, else the copy inside the wheel."""
    if (_CHECKOUT_ROOT / TOPICS_FILE).is_file():
        return _CHECKOUT_ROOT
    return _BUNDLED


def find_contracts(start: Path) -> Path | None:
    """The nearest directory at or above ``start`` holding topics.yaml; None outside any project."""
    start = start.resolve()
    return next((d for d in (start, *start.parents) if (d / TOPICS_FILE).is_file()), None)


def locate_contracts(start: Path | None = None) -> ContractsLocation:
    """The contracts in use from ``start`` (default: the working directory)."""
    origin = (start or Path.cwd()).resolve()
    found = find_contracts(origin)
    if found is None:
        return ContractsLocation(installed_contracts_dir(), origin, discovered=False)
    return ContractsLocation(found, origin, discovered=True)


def contracts_dir() -> Path:
    """The directory holding topics.yaml and schemas/: discovered from the working directory."""
    return locate_contracts().directory


def default_topics_file() -> Path:
    """The topic catalog in use when none is configured."""
    return contracts_dir() / TOPICS_FILE


def schemas_dir() -> Path:
    """The Avro contracts in use when no directory is given (one .avsc per event type)."""
    return contracts_dir() / SCHEMAS_DIR
