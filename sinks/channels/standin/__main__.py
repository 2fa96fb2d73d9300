"""``python -m sinks.channels.standin --port 8091 --data DIR``: run the sales-channel stand-in.

A STAND-IN for a Shopify store's Admin REST API (see README.md beside this file), for tests and demos.
The API secret is read from the environment variable named by ``--secret-env`` and never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from aiohttp import web

from sinks.channels.standin.server import AuthConfig, LeakyBucket, Standin, make_app
from sinks.channels.standin.shop import Shop

JOURNAL_FILE = "journal.jsonl"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sinks.channels.standin",
        description="A STAND-IN for a Shopify store's Admin REST API (a subset). Not Shopify.",
    )
    parser.add_argument("--port", type=int, default=8091, help="TCP port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--data", type=Path, help="directory for the journal (state survives restarts)")
    parser.add_argument("--api-version", default="2024-07")
    parser.add_argument("--auth", choices=["bearer", "hmac"], default="bearer")
    parser.add_argument(
        "--secret-env", default="CHANNEL_STANDIN_SECRET", help="variable holding the token/key"
    )
    parser.add_argument("--token-header", default="X-Shopify-Access-Token")
    parser.add_argument("--token-prefix", default="")
    parser.add_argument("--location", type=int, action="append", help="location id (repeatable)")
    parser.add_argument("--bucket-size", type=int, default=40, help="Shopify REST leaky bucket size")
    parser.add_argument("--leak-rate", type=float, default=2.0, help="requests per second the bucket leaks")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)

    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s channel-standin: %(message)s",
        stream=sys.stderr,
    )
    secret = os.environ.get(args.secret_env)
    if not secret:
        parser.error(f"set the API secret in the environment variable {args.secret_env}")
    journal = None
    if args.data is not None:
        args.data.mkdir(parents=True, exist_ok=True)
        journal = args.data / JOURNAL_FILE
    shop = Shop(locations=tuple(args.location or [655441491]))
    auth = AuthConfig(args.auth, secret, header=args.token_header, prefix=args.token_prefix)
    standin = Standin(shop, auth, LeakyBucket(args.bucket_size, args.leak_rate), args.api_version, journal)
    try:
        asyncio.run(_serve(standin, args.port))
    finally:
        standin.close()
    return 0


async def _serve(standin: Standin, port: int) -> None:
    runner = web.AppRunner(make_app(standin), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    bound = runner.addresses[0][1] if runner.addresses else port
    logging.getLogger("supplystream.channel_standin").info(
        "Shopify Admin API stand-in (not Shopify) listening on http://127.0.0.1:%s", bound
    )
    print(f"listening on http://127.0.0.1:{bound}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await runner.cleanup()


if __name__ == "__main__":
    sys.exit(main())
