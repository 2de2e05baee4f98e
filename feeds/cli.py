"""The ``feeds`` command (also ``python -m feeds``).

Exit codes (DESIGN.md contract): 0 done (source failures are recorded, not fatal); 1 an operational
error feeds could not get past; 2 usage or config error; 75 another run holds the lock. A user's
mistake prints one line naming the file/key and the reason, never a traceback.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from feeds import __version__
from feeds.errors import ConfigError, FeedsError, LockHeld, NotFound, StoreError
from feeds.lock import lock_path_for, store_lock
from feeds.logs import setup_logging

# Each command imports what it uses, when it runs: `feeds --help` or `feeds sources` must not pay
# for the pipeline, the fetcher or the sanitizer (see tests/test_cli.py's import-cost test).
if TYPE_CHECKING:
    from feeds import pipeline
    from feeds.config import Config
    from feeds.model import StoredEntry
    from feeds.store import Store

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_LOCKED = 0, 1, 2, 75
F = TypeVar("F", bound=Callable[..., Any])


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    default="config.yaml",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Config file; relative paths in it are relative to its folder.",
)
@click.option("-v", "--verbose", count=True, help="More logging (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.version_option(__version__, prog_name="feeds")
@click.pass_context
def cli(ctx: click.Context, config_path: Path, verbose: int, quiet: bool, log_format: str) -> None:
    """Aggregate local posts and remote feeds; republish per-category Atom, RSS and JSON Feed."""
    setup_logging(verbose=verbose, quiet=quiet, fmt=log_format)
    ctx.obj = config_path


def load_config(ctx: click.Context) -> Config:
    path: Path = ctx.find_root().obj
    from feeds import config as config_module

    return config_module.load(path)


@contextmanager
def open_store(config: Config) -> Iterator[Store]:
    """The store for one command. A database failure anywhere in the command (a full disk, a
    corrupt page found mid-run) becomes the one-line StoreError naming the file and the cause."""
    from feeds.store import Store

    store = Store.open(config.store_location)
    try:
        yield store
    except sqlite3.Error as exc:
        raise store.error(exc) from exc
    finally:
        store.close()


@contextmanager
def locked(config: Config) -> Iterator[None]:
    """Hold the store's run lock; a lock file that cannot be created (a read-only store folder) is a
    StoreError naming it, not a traceback."""
    with ExitStack() as stack:
        try:
            stack.enter_context(store_lock(config.store_location))
        except OSError as exc:
            path = lock_path_for(config.store_path)
            raise StoreError(str(path), f"cannot create the run lock: {_os_reason(path, exc)}") from None
        yield


def _os_reason(path: Path, exc: OSError) -> str:
    """Why a file could not be made, in words: a read-only folder says so (EACCES alone does not)."""
    reason = exc.strerror or str(exc)
    if isinstance(exc, PermissionError) and not os.access(path.parent, os.W_OK):
        return f"its folder is read-only ({reason})"
    return reason


@cli.command()
@click.option(
    "--once", is_flag=True, help="Run one cycle and exit (for cron). This is the only mode of `run`."
)
@click.option(
    "--all", "force_all", is_flag=True, help="Fetch every remote source now, not just the due ones."
)
@click.pass_context
def run(ctx: click.Context, once: bool, force_all: bool) -> None:
    """One cycle: scan posts, fetch due feeds, store, rebuild changed feeds, deliver webhooks."""
    from feeds import pipeline

    config = load_config(ctx)
    with locked(config), open_store(config) as store, _progress_counter() as progress:
        result = pipeline.run_cycle(config, store, force_all=force_all, progress=progress)
    click.echo(result.summary.line())
    if result.delivery is not None:
        click.echo(result.delivery.line())


@cli.command()
@click.pass_context
def daemon(ctx: click.Context) -> None:
    """Run the cycle on a schedule until SIGTERM/SIGINT (exit 0); SIGHUP reloads the config.

    On a PostgreSQL store, this is ``feeds worker``: it fetches, scans, builds and delivers, sharing
    the work with any other workers."""
    config = load_config(ctx)
    if config.store_is_postgres:
        from feeds.worker import run_worker

        run_worker(config)
        return
    from feeds.daemon import run_daemon  # APScheduler loads only for this command

    run_daemon(config)


@cli.command()
@click.pass_context
def worker(ctx: click.Context) -> None:
    """Share the polling of a PostgreSQL store with any other workers, until SIGTERM/SIGINT (exit 0).

    Claims due sources (leased for scheduler.lease), fetches and stores them, keeping fetch.per_host
    across all workers; also scans local posts, rebuilds dirty feeds and delivers webhooks, each by
    one process at a time. Restart workers to apply a config change."""
    from feeds.worker import run_worker

    run_worker(load_config(ctx))


@cli.command()
@click.pass_context
def build(ctx: click.Context) -> None:
    """Rewrite every output feed from the store (files whose bytes are unchanged are left alone).

    Exits 1 when an output could not be written (each was logged as it failed): unlike ``run``,
    rebuilding is all this command does, so a failure to do it is its result.
    """
    from feeds import pipeline

    config = load_config(ctx)
    with open_store(config) as store, store.exclusive("build"):  # workers' builders wait, on PostgreSQL
        result = pipeline.build(config, store)
    click.echo(
        f"{len(result.written)} files written, {result.categories} feeds checked in {config.output_path}"
    )
    if result.failed:
        ctx.exit(EXIT_ERROR)


@cli.command()
@click.option("--category", help="Only entries in this category slug.")
@click.option("--key", help="Only the entry with this news-item key (an infoCode, guid:…, url:…).")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most this many entries.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line, with each source's copy.")
@click.pass_context
def entries(
    ctx: click.Context, category: str | None, key: str | None, limit: int | None, as_json: bool
) -> None:
    """Stored entries, newest first."""
    from feeds import pipeline

    config = load_config(ctx)
    with open_store(config) as store:
        policy = pipeline.merge_policy(pipeline.expand_lists(config, store))  # listed sources' priorities
        found = _one_entry(store, key) if key is not None else store.entries.recent(category, limit)
        for entry in found:
            if as_json:
                _echo_json(store.entries.to_json(entry, policy))
            else:
                click.echo(
                    f"{entry.published:%Y-%m-%d %H:%M}  {','.join(entry.categories):<22} {entry.title}"
                )


@cli.command()
@click.argument("key")
@click.pass_context
def explain(ctx: click.Context, key: str) -> None:
    """Why entry KEY shows the copy it shows, and what each source's copy adds."""
    from feeds import merge, pipeline

    config = load_config(ctx)
    with open_store(config) as store:
        config = pipeline.expand_lists(config, store)  # listed sources rank as configured ones
        (entry,) = _one_entry(store, key)
        copies = store.entries.copies(key, dropped=True, originals=True)
        kept = [copy for copy in copies if copy.dropped_by is None]
        lines = [] if entry.hidden else merge.explain(entry, kept, config.priorities)
        for line in lines + merge.explain_rules(entry, copies):
            click.echo(line)


@cli.group()
def rules() -> None:
    """Content rules (the config's `rules:`)."""


@rules.command("test")
@click.option("--source", help="Only copies from this source.")
@click.option("--category", help="Only copies in this category slug.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most this many copies.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line (totals go to stderr).")
@click.pass_context
def rules_test(
    ctx: click.Context, source: str | None, category: str | None, limit: int | None, as_json: bool
) -> None:
    """Dry run: what the config's rules do to each stored copy (kept, dropped or changed, by which
    rule). Writes nothing: check a rule here before the next run applies it."""
    from feeds import rules as rules_module

    config = load_config(ctx)
    ruleset = rules_module.from_config(config)
    tally = rules_module.TrialTally()
    with open_store(config) as store:
        for stored in store.entries.stored_texts(source, category, limit):
            trial = rules_module.trial(ruleset, stored.key, stored.source, stored.item_id, stored.text)
            tally.add(trial)
            if as_json:
                _echo_json(trial.to_json())
            else:
                for line in trial.lines():
                    click.echo(line)
    for line in tally.lines(ruleset):
        click.echo(line, err=as_json)


def _one_entry(store: Store, key: str) -> list[StoredEntry]:
    entry = store.entries.get(key)
    if entry is None:
        raise NotFound(key, "no stored entry has this key (see `feeds entries --json` for keys)")
    return [entry]


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line.")
@click.pass_context
def failures(ctx: click.Context, as_json: bool) -> None:
    """Posts and feeds that were rejected, with the reason (cleared when they next succeed)."""
    config = load_config(ctx)
    with open_store(config) as store:
        for failure in store.entries.failures():
            if as_json:
                record = {"source": failure.source, "location": failure.location, "line": failure.line}
                _echo_json({**record, "reason": failure.reason})
            else:
                click.echo(str(failure))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line.")
@click.option("--enable", "enable", metavar="NAME", help="Poll a source marked gone (410) again.")
@click.pass_context
def sources(ctx: click.Context, as_json: bool, enable: str | None) -> None:
    """Remote sources: current URL, last status, errors, next due."""
    config = load_config(ctx)
    with open_store(config) as store:
        _sync_sources(config, store)
        if enable:
            store.sources.set_gone(enable, False)
            click.echo(f"{enable}: enabled, due now")
            return
        for status in store.sources.statuses():
            if as_json:
                _echo_json(status.to_json())
                continue
            record = status.to_json()
            state = "gone" if status.gone else (status.status or "never fetched")
            origin = f"  [from {status.list}]" if status.list else ""
            origin = "  [OPML list]" if status.kind == "opml" else origin
            click.echo(
                f"{status.name:<20} {state:<12} errors={status.error_count} "
                f"last={record['last_fetch'] or '-'} next={record['next_due'] or '-'}  {status.url}{origin}"
                + (f"  ({status.last_error})" if status.last_error else "")
            )


def _sync_sources(config: Config, store: Store) -> None:
    """The sources table made to match the config, OPML lists expanded as last stored."""
    if config.lists:
        from feeds import lists

        lists.sync(config, store)
    else:
        store.sources.sync(config.remote)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--access-log", is_flag=True, help="Log every request.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, access_log: bool) -> None:
    """Serve output_dir over HTTP: ETag, Last-Modified, 304, gzip, feed content types."""
    from feeds.serve import serve as serve_forever  # uvicorn loads only for this command

    serve_forever(load_config(ctx), host, port, access_log)


@cli.group("store")
def store_group() -> None:
    """The store as a whole."""


@store_group.command("copy")
@click.option(
    "--to", "url", required=True, metavar="URL", help="An empty PostgreSQL database (postgresql://…)."
)
@click.pass_context
def store_copy(ctx: click.Context, url: str) -> None:
    """Copy the config's SQLite store into an empty PostgreSQL database, in one transaction: all of
    it or, on any failure, nothing. Then point `store` in the config at URL."""
    config = load_config(ctx)
    if config.store_is_postgres:
        raise ConfigError(
            config.path, "is a PostgreSQL database; `feeds store copy` copies a SQLite store", "store"
        )
    from feeds.config import is_postgres_url

    if not is_postgres_url(url):
        click.echo("feeds: store copy: --to takes a PostgreSQL URL (postgresql://…)", err=True)
        ctx.exit(EXIT_USAGE)
    if not config.store_path.is_file():
        raise NotFound(str(config.store_path), "no SQLite store to copy (check `store` in the config)")
    from feeds.store.copy import copy_store

    with locked(config), open_store(config) as source, store_lock(url):
        copied = copy_store(source, url)
    click.echo(copied.line())


@cli.group()
def webhooks() -> None:
    """Inspect and drive webhook delivery (Standard Webhooks, signed, retried)."""


@webhooks.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line.")
@click.pass_context
def webhooks_list(ctx: click.Context, as_json: bool) -> None:
    """Configured endpoints with their state and queue counts."""
    from feeds import notify

    config = load_config(ctx)
    with open_store(config) as store:
        for info in notify.list_endpoints(config, store):
            if as_json:
                _echo_json(info.to_json())
            else:
                click.echo(
                    f"{info.url}  {info.status}  pending={info.pending} delivered={info.delivered} "
                    f"dead={info.dead}" + (f"  last error: {info.last_error}" if info.last_error else "")
                )


@webhooks.command("deliveries")
@click.option("--failed", is_flag=True, help="Only dead, disabled and retrying deliveries.")
@click.option("--limit", type=click.IntRange(min=1), default=None)
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line.")
@click.pass_context
def webhooks_deliveries(ctx: click.Context, failed: bool, limit: int | None, as_json: bool) -> None:
    """Deliveries, newest first."""
    from feeds import notify

    config = load_config(ctx)
    with open_store(config) as store:
        for delivery in notify.list_deliveries(store, failed_only=failed, limit=limit):
            record = delivery.to_json()
            if as_json:
                _echo_json(record)
            else:
                click.echo("  ".join(f"{key}={value}" for key, value in record.items() if value is not None))


@webhooks.command("replay")
@click.argument("delivery_id")
@click.pass_context
def webhooks_replay(ctx: click.Context, delivery_id: str) -> None:
    """Requeue a delivery (its number) or every delivery of an event (its msg_… id); same webhook-id."""
    from feeds import notify

    config = load_config(ctx)
    with open_store(config) as store:
        result = notify.replay(store, delivery_id)
        click.echo(f"requeued {len(result.requeued)} deliveries of {result.ref}")
        try:
            with locked(config):  # one sender at a time, as the outbox assumes
                report = notify.deliver_pending_sync(config, store)
        except LockHeld:
            click.echo("another feeds run holds the lock; it will deliver them")
            return
    click.echo(report.line())


@webhooks.command("test")
@click.argument("url")
@click.option("--secret", help="whsec_ secret; defaults to the one configured for URL.")
@click.pass_context
def webhooks_test(ctx: click.Context, url: str, secret: str | None) -> None:
    """Send one signed `ping` event to URL (not stored, not retried)."""
    import asyncio

    from feeds import notify
    from feeds.netguard import NetGuard

    config = load_config(ctx)
    secret = secret or next((hook.secret for hook in config.webhooks if hook.url == url), None)
    if secret is None:
        raise click.UsageError(f"no webhook with url {url} in the config; pass --secret whsec_…")
    result = asyncio.run(notify.send_test_ping(url, secret, guard=NetGuard.for_config(config)))
    if not result.ok:
        raise FeedsError(f"{url}: ping failed: {result.error}")
    click.echo(f"{url}: {result.status} in {result.elapsed_ms} ms (webhook-id {result.webhook_id})")


def _echo_json(record: Mapping[str, object]) -> None:
    """One JSON object a line (``--json``): Chinese text as is, not as escapes."""
    click.echo(json.dumps(record, ensure_ascii=False))


@contextmanager
def _progress_counter() -> Iterator[pipeline.Progress | None]:
    """A running count of scanned posts on an interactive terminal, erased when done; cron and CI
    (no terminal) get none."""
    if not sys.stderr.isatty():
        yield None
        return
    seen = 0

    def tick(count: int) -> None:
        nonlocal seen
        seen += count
        if seen % 250 == 0:
            click.echo(f"\r{seen} posts scanned", err=True, nl=False)

    try:
        yield tick
    finally:
        if seen >= 250:
            click.echo("\r\x1b[K", err=True, nl=False)


def main() -> None:
    """Entry point: map our errors to one line and the contract's exit codes."""
    try:
        code = cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(EXIT_ERROR)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE if isinstance(exc, click.UsageError) else exc.exit_code)
    except ConfigError as exc:
        click.echo(f"feeds: config error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    except LockHeld as exc:
        click.echo(f"feeds: {exc}", err=True)
        sys.exit(EXIT_LOCKED)
    except FeedsError as exc:
        click.echo(f"feeds: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    except OSError as exc:  # the machine, not feeds: a folder it may not write, a full disk
        where = f"{exc.filename}: " if exc.filename else ""
        click.echo(f"feeds: {where}{exc.strerror or exc}", err=True)
        sys.exit(EXIT_ERROR)
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else EXIT_OK)
