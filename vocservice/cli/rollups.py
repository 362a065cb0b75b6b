"""``vocservice rollups rebuild``: back-fill or repair the daily and theme rollups from the raw
responses, the roadmap impact rollups from the links and the case loop's rescue facts from the
answers and cases, e.g. after a bulk load that bypassed
the ORM or a bulk delete; ``vocservice rollups add-attribute``: keep rollups of one more snapshot
attribute, so grouping metrics by it stops reading raw rows."""

import json
import time

import click
from flask.cli import with_appcontext

from surveys.core.db import db


@click.group()
def rollups() -> None:
    """Pre-aggregated metrics."""


@rollups.command("rebuild")
@click.option("--workspace", "slug", default=None, help="Only this workspace (slug).")
@click.option("--survey", "survey_id", default=None, help="Only this survey (id).")
@with_appcontext
def rebuild(slug: str | None, survey_id: str | None) -> None:
    """Recompute rollups from the stored responses; prints what was built as JSON."""
    from sqlalchemy import select

    from surveys.case import rescue
    from surveys.metrics import rollups as daily
    from surveys.metrics import theme_rollups
    from surveys.roadmap import rollups as roadmap_rollups
    from surveys.workspace.models import Workspace

    workspace_id = None
    if slug:
        workspace_id = db.session.execute(
            select(Workspace.id).where(Workspace.slug == slug)
        ).scalar_one_or_none()
        if workspace_id is None:
            raise click.ClickException(f"No workspace {slug!r}.")
    started = time.perf_counter()
    rows = daily.rebuild(db.session, workspace_id=workspace_id, survey_id=survey_id)
    # Theme rollups are rebuilt whole (per survey when asked): their mark is global.
    theme_rows = theme_rollups.rebuild_themes(db.session, survey_id=survey_id)
    # Roadmap facts span surveys: rebuilt per workspace (or all), whatever --survey says.
    roadmap_facts = roadmap_rollups.rebuild(db.session, workspace_id=workspace_id)
    # A customer's answers to one survey decide its rescue facts: rebuilt per workspace too.
    rescue_facts = rescue.rebuild(db.session, workspace_id=workspace_id)
    db.session.commit()
    click.echo(
        json.dumps(
            {
                "daily_rollup_rows": rows,
                "theme_rollup_rows": theme_rows,
                "roadmap_link_facts": roadmap_facts,
                "rescue_facts": rescue_facts,
                "seconds": round(time.perf_counter() - started, 2),
            }
        )
    )


@rollups.command("add-attribute")
@click.option("--workspace", "slug", required=True, help="The workspace (slug).")
@click.argument("name")
@with_appcontext
def add_attribute(slug: str, name: str) -> None:
    """Build and keep daily rollups of the snapshot attribute NAME (e.g. industry)."""
    from sqlalchemy import select

    from surveys.core.errors import Invalid
    from surveys.metrics import dims
    from surveys.workspace.models import Workspace

    workspace_id = db.session.execute(select(Workspace.id).where(Workspace.slug == slug)).scalar_one_or_none()
    if workspace_id is None:
        raise click.ClickException(f"No workspace {slug!r}.")
    started = time.perf_counter()
    try:
        added = dims.add_attribute(db.session, workspace_id=workspace_id, name=name)
    except Invalid as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(
        json.dumps(
            {
                "attribute": name,
                "added": added,
                "kept": dims.attributes(db.session, workspace_id=workspace_id),
                "seconds": round(time.perf_counter() - started, 2),
            }
        )
    )


def init_app(app) -> None:
    app.cli.add_command(rollups)
