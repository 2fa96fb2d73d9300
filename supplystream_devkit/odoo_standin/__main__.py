"""``python -m supplystream_devkit.odoo_standin --port 8069 --data DIR [--seed] [--odoo-version 17|19]``: run
the Odoo stand-in, presenting itself as Odoo 17 (JSON-RPC) or 19 (JSON-2 and the deprecated JSON-RPC)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path
from types import FrameType

from supplystream_devkit.odoo_standin import release
from supplystream_devkit.odoo_standin.seed import seed
from supplystream_devkit.odoo_standin.server import StandinServer
from supplystream_devkit.odoo_standin.store import Store

DATABASE_FILE = "standin.sqlite3"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m supplystream_devkit.odoo_standin",
        description="A STAND-IN for an Odoo 17 or 19 server, for tests and demos. Not Odoo.",
    )
    parser.add_argument("--port", type=int, default=8069, help="TCP port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--data", type=Path, required=True, help="directory holding the SQLite database")
    parser.add_argument("--seed", action="store_true", help="load the demo data into an empty database")
    parser.add_argument("--db-name", default="odoo", help="database name reported by db.list")
    parser.add_argument(
        "--odoo-version",
        type=int,
        choices=release.SUPPORTED,
        default=release.DEFAULT,
        help="the Odoo it presents itself as: 17 (JSON-RPC) or 19 (JSON-2 too)",
    )
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)

    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s odoo-standin: %(message)s",
        stream=sys.stderr,
    )
    odoo = release.present_as(args.odoo_version)
    store = Store(args.data / DATABASE_FILE)
    problem = release.check_data(store.meta.get(release.META_KEY), odoo, empty=store.is_empty)
    if problem is not None:
        print(f"odoo-standin: {problem}", file=sys.stderr, flush=True)
        store.close()
        return 2
    if store.meta.get(release.META_KEY) != odoo.major:
        with store.transaction():
            store.meta[release.META_KEY] = odoo.major
    if args.seed:
        seed(store)
    server = StandinServer(args.port, store, db_name=args.db_name)

    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    host, port = str(server.server_address[0]), int(server.server_address[1])
    logging.getLogger("supplystream_devkit.odoo_standin").info(
        "Odoo %s stand-in (not Odoo) listening on http://%s:%s, data in %s",
        odoo.version,
        host,
        port,
        store.path,
    )
    print(f"listening on http://{host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
