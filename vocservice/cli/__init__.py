"""The ``vocservice`` command: a Flask CLI group over ``create_app`` (DESIGN.md section 3).

``vocservice db ...`` comes from Flask-Migrate. Everything here prints JSON where another
program may read it and plain sentences where a person will.
"""

import functools
import json
import logging
import sys
import threading
import time
from datetime import timedelta

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from surveys.core.db import db
from surveys.core.errors import DomainError

log = logging.getLogger(__name__)


def domain_errors(command):
    """Show a domain error as a one-line CLI error (exit status 1), not a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except DomainError as exc:
            db.session.rollback()
            raise click.ClickException(exc.detail) from None

    return wrapper


def _create_app():
    from vocservice import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """vocservice: journey events in, surveys out, themed feedback back."""


@click.group()
def workspace() -> None:
    """Manage workspaces."""


@workspace.command("create")
@click.argument("name")
@click.option("--slug", default=None, help="URL name; derived from NAME when omitted.")
@with_appcontext
@domain_errors
def workspace_create(name: str, slug: str | None) -> None:
    """Create a workspace and print its admin API key and its secrets (shown once)."""
    from surveys.workspace.service import create_api_key, create_workspace

    ws = create_workspace(db.session, name=name, slug=slug)
    _, key = create_api_key(db.session, workspace=ws, role="admin", name="created by CLI")
    db.session.commit()
    secrets = {
        "webhook_secret": ws.webhook_secret,
        "outbound_webhook_secret": ws.outbound_webhook_secret,
        "widget_secret": ws.widget_secret,
    }
    click.echo(json.dumps({"workspace": ws.slug, "api_key": key, **secrets}))


@click.group()
def apikey() -> None:
    """Manage API keys."""


@apikey.command("create")
@click.option("--workspace", "slug", required=True)
@click.option("--role", type=click.Choice(["admin", "analyst", "ingest"]), required=True)
@click.option("--name", default="")
@with_appcontext
@domain_errors
def apikey_create(slug: str, role: str, name: str) -> None:
    """Create an API key and print it once."""
    from surveys.workspace.service import create_api_key, get_workspace

    _, key = create_api_key(db.session, workspace=get_workspace(db.session, slug), role=role, name=name)
    db.session.commit()
    click.echo(key)


@click.group()
def user() -> None:
    """Manage dashboard users."""


@user.command("create")
@click.option("--workspace", "slug", required=True)
@click.option("--email", required=True)
@click.option("--role", type=click.Choice(["admin", "analyst"]), required=True)
@with_appcontext
@domain_errors
def user_create(slug: str, email: str, role: str) -> None:
    """Create a user; the password is read from stdin (or prompted for on a terminal)."""
    from surveys.workspace.service import create_user, get_workspace

    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    created = create_user(
        db.session, workspace=get_workspace(db.session, slug), email=email, role=role, password=password
    )
    db.session.commit()
    click.echo(json.dumps({"id": created.id, "email": created.email, "role": created.role}))


@click.command()
@click.option("--responses", default=2000, show_default=True)
@with_appcontext
@domain_errors
def demo(responses: int) -> None:
    """Seed the demo workspace (if it does not exist yet) and print how to use it."""
    from surveys.demo.seed import seed_demo

    info = seed_demo(db.session, responses=responses, base_url=current_app.config["PUBLIC_BASE_URL"])
    db.session.commit()
    click.echo(info.describe())


@click.command()
@click.option("--taxonomy", default="saas", show_default=True, help="Built-in name or JSON file.")
def analyze(taxonomy: str) -> None:
    """Analyse JSON lines {"id", "text"} from stdin; write one JSON line per input (no database)."""
    from nlp.jsonl import run

    try:
        run(sys.stdin, sys.stdout, taxonomy=taxonomy)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


@click.command()
@click.option("--survey", "survey_id", default=None, help="Only this survey's responses.")
@click.option("--workspace", "slug", default=None, help="Only this workspace's responses.")
@click.option("--enqueue", is_flag=True, help="Put jobs on the queue instead of analysing here.")
@click.option(
    "--batch-size",
    default=200,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="Answers analysed per step when analysing here (jobs use the queue's own size).",
)
@with_appcontext
@domain_errors
def reanalyze(survey_id: str | None, slug: str | None, enqueue: bool, batch_size: int) -> None:
    """Analyse completed responses again (after a new analyser version or taxonomy change)."""
    from surveys.analysis.service import analyze_responses as analyse
    from surveys.analysis.service import mark_for_reanalysis
    from surveys.core import jobs
    from surveys.workspace.service import get_workspace

    session = db.session
    workspace_id = get_workspace(session, slug).id if slug else None
    ids = mark_for_reanalysis(session, workspace_id=workspace_id, survey_id=survey_id)
    if enqueue:
        jobs.defer_analysis(session, ids)
        session.commit()
        click.echo(
            f"{len(ids)} responses marked pending, {-(-len(ids) // jobs.ANALYSIS_BATCH)} jobs enqueued."
        )
        return
    # Committed first: if this process dies, the rows stay pending and the sweeper finishes.
    session.commit()
    started, done, failed = time.monotonic(), 0, 0

    def rate(_item) -> str:
        return f"{done / max(time.monotonic() - started, 1e-6):.0f} responses/s"

    with click.progressbar(
        length=len(ids), label="Analysing", show_pos=True, item_show_func=rate, file=sys.stderr
    ) as bar:
        for start in range(0, len(ids), batch_size):
            chunk = ids[start : start + batch_size]
            result = analyse(session, response_ids=chunk)
            done += result.done
            failed += result.failed
            bar.update(len(chunk), chunk[-1])
    elapsed = time.monotonic() - started
    click.echo(
        json.dumps(
            {
                "responses": len(ids),
                "done": done,
                "failed": failed,
                "seconds": round(elapsed, 2),
                "per_second": round(len(ids) / elapsed, 1) if elapsed else None,
            }
        )
    )


@click.group("import")
def import_group() -> None:
    """Import data collected elsewhere."""


@import_group.command("responses")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
@click.option("--survey", "survey_id", required=True, help="Survey the answers belong to.")
@with_appcontext
@domain_errors
def import_responses(file, survey_id: str) -> None:
    """Import answers from a CSV file (see surveys/importer.py for the columns)."""
    from surveys.response.importer import count_rows
    from surveys.response.importer import import_responses as run_import
    from surveys.survey.models import Survey
    from surveys.workspace.models import Workspace

    survey = db.session.get(Survey, survey_id)
    if survey is None:
        raise click.ClickException(f"No survey with id {survey_id!r}.")
    workspace = db.session.get(Workspace, survey.workspace_id)
    total = count_rows(file) if file.seekable() else None
    started, done = time.monotonic(), 0

    def rate(_item) -> str:
        return f"{done / max(time.monotonic() - started, 1e-6):,.0f} rows/s"

    # Redrawn after every committed chunk (1,000 rows) on a terminal; silent when piped.
    with click.progressbar(
        length=total, label="Importing", show_pos=True, item_show_func=rate, file=sys.stderr
    ) as bar:

        def progress(rows: int) -> None:
            nonlocal done
            done += rows
            bar.update(rows, done)

        report = run_import(
            db.session, workspace=workspace, survey_id=survey_id, stream=file, progress=progress
        )
    for error in report.errors[:50]:
        click.echo(f"line {error['line']}: {json.dumps(error['errors'])}", err=True)
    if len(report.errors) > 50:
        click.echo(f"... and {len(report.errors) - 50} more bad rows", err=True)
    click.echo(
        json.dumps(
            {
                "rows": report.rows,
                "created": report.created,
                "already_there": report.existing,
                "failed": len(report.errors),
            }
        )
    )
    if report.errors:
        sys.exit(1)


def _tick_once() -> dict:
    from surveys.tick import run_tick

    minutes = current_app.config.get("VOC_FINALISE_PARTIAL_AFTER_MINUTES", 60)
    return run_tick(
        db.session,
        finalise_after=timedelta(minutes=minutes),
        webhook_retention=timedelta(days=current_app.config.get("VOC_WEBHOOK_RETENTION_DAYS", 30)),
        public_base_url=current_app.config["PUBLIC_BASE_URL"],
    ).counts


@click.command()
@with_appcontext
def tick() -> None:
    """Run due work once: finalise inactive partial answers, expiry, stuck-send release, due sends
    and reminders, pruning."""
    click.echo(json.dumps(_tick_once()))


@click.command()
@click.option("--interval", default=15.0, show_default=True, help="Seconds between ticks.")
@with_appcontext
def scheduler(interval: float) -> None:
    """Run the tick forever (the Procfile's scheduler process)."""
    while True:
        try:
            counts = _tick_once()
            if any(counts.values()):
                log.info("tick %s", counts)
        except Exception:
            db.session.rollback()
            log.exception("tick failed; trying again next interval")
        finally:
            db.session.remove()
        time.sleep(interval)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@with_appcontext
def serve(host: str, port: int) -> None:
    """Serve the app for local use. Without REDIS_URL the tick and jobs run in this process."""
    app = current_app._get_current_object()
    if not app.config.get("REDIS_URL"):

        def ticker() -> None:
            while True:
                with app.app_context():
                    try:
                        _tick_once()
                    except Exception:
                        db.session.rollback()
                        log.exception("in-process tick failed")
                    finally:
                        db.session.remove()
                time.sleep(10)

        threading.Thread(target=ticker, name="voc-tick", daemon=True).start()
    click.echo(f"vocservice on http://{host}:{port}  (API docs: http://{host}:{port}/api/docs)")
    # app.run() refuses to start under the flask CLI; run_simple is what it would call.
    from werkzeug.serving import run_simple

    run_simple(host, port, app, threaded=True, use_reloader=False)


def init_app(app) -> None:
    from vocservice.cli.secrets import rotate_secret_command
    from vocservice.cli.users import COMMANDS as USER_COMMANDS

    workspace.add_command(rotate_secret_command)
    for command in USER_COMMANDS:
        user.add_command(command)
    for command in (workspace, apikey, user, demo, analyze, reanalyze, tick, scheduler, serve, import_group):
        app.cli.add_command(command)


if __name__ == "__main__":
    main()
