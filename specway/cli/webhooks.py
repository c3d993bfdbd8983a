"""``specway webhooks worker``: deliver webhooks in a separate process (scale out with more).

Workers share the database's outbox; on PostgreSQL any number of them can run side by side
(claims use ``FOR UPDATE SKIP LOCKED`` and leases). Stops cleanly on SIGINT/SIGTERM after the
batch in flight.
"""

from __future__ import annotations

import argparse
import asyncio
import logging.config
import signal

from specway.app import load_spec
from specway.cli.spec_option import add_spec_argument, settings_for
from specway.logs import configure
from specway.storage.database import Database


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("webhooks", help="webhook delivery")
    cmds = parser.add_subparsers(dest="webhooks_command", required=True)
    worker = cmds.add_parser("worker", help="run a webhook delivery worker until stopped")
    add_spec_argument(worker)
    worker.add_argument("--once", action="store_true", help="deliver one batch, then exit")
    worker.add_argument("--poll-interval", type=float, default=1.0, help="idle poll, seconds")
    worker.add_argument("--batch-size", type=int, default=20, help="deliveries per claim")
    worker.add_argument("--log-level", default="info")
    worker.set_defaults(func=run_worker)


def run_worker(args: argparse.Namespace) -> int:
    from specway.plugins.webhooks import EventCatalogue, WebhookService, WebhookWorker
    from specway.plugins.webhooks.outbox import attach

    settings = settings_for(args)
    logging.config.dictConfig(configure(args.log_level))
    model = load_spec(settings.spec_path)
    service = WebhookService(EventCatalogue(model), settings)

    async def main() -> None:
        database = Database(
            settings.database_url, pool_size=settings.db_pool_size, timeout=settings.db_timeout
        )
        attach(database, service)
        worker = WebhookWorker(
            database, service, poll_interval=args.poll_interval, batch_size=args.batch_size
        )
        try:
            await database.check()
            if settings.auto_migrate:
                await database.migrate(model)
            if args.once:
                await worker.run_once()
                return
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            logging.getLogger("specway.webhooks").info("webhook worker running")
            await worker.run(stop)
        finally:
            await worker.sender.aclose()
            await database.dispose()

    asyncio.run(main())
    return 0
