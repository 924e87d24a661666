"""`bugport serve | migrate | token | version` (and, from later features, worker and mcp)."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path
from typing import Annotated

import jwt
import typer
from rich.console import Console

from bugport import __version__
from bugport.config import API_VERSION, Settings

app = typer.Typer(
    help="BugPort: the bug-reporting API.", no_args_is_help=True, add_completion=False
)
console = Console(stderr=True)


async def _migrate(settings: Settings) -> None:
    from bugport.db import make_engine
    from bugport.migrate import upgrade

    engine = make_engine(settings.resolved_database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


async def _seed_dev_user(settings: Settings, email: str, name: str | None) -> str:
    """Mint a token for the local dev user and sync their profile (personal workspace + project)."""
    from bugport.account.service import sync_profile
    from bugport.auth.credentials import user_from_claims
    from bugport.auth.jwt import mint_dev_token
    from bugport.auth.principal import Principal
    from bugport.db import make_engine, make_sessionmaker

    token = mint_dev_token(settings, email, name)
    claims = jwt.decode(token, options={"verify_signature": False})
    engine = make_engine(settings.resolved_database_url)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            user = await user_from_claims(session, claims)
            if user.synced_at is None:
                await sync_profile(session, Principal(kind="user", user=user, claims=claims))
    finally:
        await engine.dispose()
    return token


def _this_command() -> str:
    """The command that runs this CLI as it was started (`.venv/bin/bugport` under `./dev serve`,
    where `bugport` is not on PATH), so the hint the banner prints runs as written."""
    argv0 = Path(sys.argv[0])
    if not argv0.exists() or shutil.which(argv0.name) == str(argv0.resolve()):
        return argv0.name
    try:
        return str(argv0.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(argv0.resolve())


def _served_url(host: str, port: int) -> str:
    """The URL a browser on this machine reaches `bugport serve --host H --port P` at."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    if ":" in shown:  # an IPv6 literal
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def _base_url_given() -> bool:
    return "public_base_url" in Settings().model_fields_set


def _settings_served_at(host: str, port: int) -> Settings:
    """Settings whose public base URL is the address actually served, unless one was given.

    Every URL the API hands out (signed uploads, token issuer, MCP config, share and checkout
    links) is built from `public_base_url`; with its default of port 8000, `serve --port 8801`
    would point them all at a port nobody listens on. The environment is the one place the
    uvicorn workers (separate processes importing bugport.server) read their settings from.
    """
    if not _base_url_given():
        os.environ["BUGPORT_PUBLIC_BASE_URL"] = _served_url(host, port)
    return Settings()


def _print_signin_link(settings: Settings) -> None:
    """The dashboard URL that signs the local dev user in: a one-time code in the fragment
    (bugport/dashboard/signin.py), exchanged by the page through POST /v1/auth/local-signin."""
    from bugport.dashboard import serving, signin

    # Only a built dashboard can redeem the link; without one the banner's token is the way in.
    if (
        not signin.enabled(settings)
        or not ((settings.dashboard_dir or serving.DEFAULT_DIR) / "index.html").is_file()
    ):
        return
    code = signin.issue(settings, settings.embedded_dev_user_email, "Dev User")
    minutes = settings.signin_link_ttl_seconds // 60
    link = f"{settings.public_base_url.rstrip('/')}/signin#code={code}"
    console.print(f"\n  dashboard (signs you in once, valid {minutes} min):")
    console.print(f"  {link}\n", soft_wrap=True, highlight=False)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    migrate: Annotated[
        bool, typer.Option("--migrate/--no-migrate", help="Apply migrations first.")
    ] = True,
    workers: Annotated[int, typer.Option(help="API processes (share limits through Redis).")] = 1,
) -> None:
    """Run the API server (migrating the database first)."""
    import uvicorn

    from bugport.kit.logging import configure

    settings = _settings_served_at(host, port)
    configure(settings.log_json, settings.log_level)
    if migrate:
        asyncio.run(_migrate(settings))
    base = _served_url(host, port)
    console.print(f"[bold]BugPort {__version__}[/bold] (API {API_VERSION}) on {base}/v1")
    console.print(f"  database: {settings.resolved_database_url.split('@')[-1]}")
    console.print(f"  API docs: {base}/v1/docs")
    if settings.jwt_secret and not settings.supabase_url:
        token = asyncio.run(_seed_dev_user(settings, settings.embedded_dev_user_email, "Dev User"))
        console.print(f"  sign in as {settings.embedded_dev_user_email}: use this bearer token")
        console.print(f"\nexport BUGPORT_TOKEN={token}\n", soft_wrap=True, highlight=False)
        hint = f'  try: curl -H "Authorization: Bearer $BUGPORT_TOKEN" {base}/v1/auth/me'
        console.print(hint, soft_wrap=True, highlight=False)
        console.print(f"  (a new token any time: {_this_command()} token --email you@example.com)")
        _print_signin_link(settings)
    uvicorn.run(
        "bugport.server:app",
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        timeout_graceful_shutdown=20,
        log_level="warning",
        factory=False,
    )


@app.command("migrate")
def migrate_cmd() -> None:
    """Apply database migrations."""
    settings = Settings()
    asyncio.run(_migrate(settings))
    from bugport.migrate import head_revision

    console.print(f"database at revision {head_revision()}")


@app.command()
def fingerprints(
    batch: Annotated[int, typer.Option(help="Bugs per transaction.")] = 1000,
    everything: Annotated[
        bool, typer.Option("--all", help="Compute every bug's again (after the rules change).")
    ] = False,
) -> None:
    """Give bugs filed before fingerprints existed theirs (after `bugport migrate`)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from bugport.db import make_engine, make_sessionmaker
    from bugport.similar import backfill

    settings = Settings()

    async def _main() -> tuple[int, int]:
        await _migrate(settings)
        engine = make_engine(settings.resolved_database_url)
        try:
            sessions = make_sessionmaker(engine)
            async with sessions() as session:
                total = await backfill.count_pending(session, everything)
            with Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=console,
            ) as bar:
                task = bar.add_task("fingerprinting", total=total)
                return await backfill.run(
                    sessions,
                    batch=batch,
                    everything=everything,
                    progress=lambda n, _: bar.advance(task, n),
                )
        finally:
            await engine.dispose()

    seen, filled = asyncio.run(_main())
    console.print(f"{seen} bugs with captures looked at, {filled} fingerprints written")


@app.command()
def token(
    email: Annotated[str, typer.Option(help="The user's email.")],
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    ttl: Annotated[int | None, typer.Option(help="Lifetime in seconds.")] = None,
) -> None:
    """Print an access token signed with the configured HS256 Supabase secret."""
    from bugport.auth.jwt import mint_dev_token

    settings = Settings()
    try:
        typer.echo(mint_dev_token(settings, email, name, ttl))
    except RuntimeError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc


@app.command()
def worker() -> None:
    """Run background jobs (thumbnails, sweeps, tracker pushes) from the Redis queue.

    Needs BUGPORT_REDIS_URL and the same database/storage settings as the API. Without Redis
    (embedded mode) the API runs jobs in-process and no worker is needed."""
    import signal

    from bugport.kit.jobs import run_worker
    from bugport.kit.logging import configure

    settings = Settings()
    configure(settings.log_json, settings.log_level)
    if not settings.redis_url:
        console.print(
            "[red]bugport worker needs BUGPORT_REDIS_URL[/red] (embedded mode runs jobs in the API)."
        )
        raise typer.Exit(2)

    async def _main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        console.print(f"[bold]bugport worker[/bold] consuming {settings.jobs_stream}")
        await run_worker(settings, stop)

    asyncio.run(_main())


@app.command()
def mcp(
    api_url: Annotated[
        str,
        typer.Option(
            envvar="BUGPORT_API_URL", help="The BugPort API, e.g. https://api.bugport.dev/v1."
        ),
    ] = "http://127.0.0.1:8000/v1",
    token: Annotated[
        str | None,
        typer.Option(
            envvar="BUGPORT_MCP_TOKEN",
            help="A bp_mcp_ token (prefer the environment variable: flags show up in `ps`).",
        ),
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", help="Log requests and protocol messages (stderr).")
    ] = False,
) -> None:
    """Run the MCP server on stdio for an AI assistant; tools call the API's MCP bridge."""
    import logging

    from bugport.kit.crypto import token_is_well_formed
    from bugport.mcp.server import preflight, stdio_server

    # stdout belongs to the MCP protocol: everything else goes to stderr, and little of it.
    level = logging.INFO if verbose else logging.WARNING
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    for name in ("httpx", "httpcore", "mcp"):
        logging.getLogger(name).setLevel(level)
    if not token or not token_is_well_formed(token, "bp_mcp_"):
        console.print("[red]Set BUGPORT_MCP_TOKEN to a bp_mcp_ token (see docs/mcp.md).[/red]")
        raise typer.Exit(2)
    problem = preflight(api_url, token)
    if problem:
        console.print(f"bugport mcp: {problem}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    stdio_server(api_url, token).run("stdio")


@app.command()
def version() -> None:
    """Print the package and API version."""
    typer.echo(f"bugport {__version__} (api {API_VERSION})")


if __name__ == "__main__":
    app()
