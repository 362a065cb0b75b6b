"""``vocservice roadmap import FILE.csv --workspace SLUG``: roadmap items from a CSV file.

Same semantics as ``POST /api/v1/roadmap-items/import`` (upsert on external_ref, bad rows
reported and skipped, good rows stored) without its row limit, with a progress bar. Exit
status 1 if any row failed.
"""

import json
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from surveys.core.db import db
from vocservice.cli import domain_errors


@click.group()
def roadmap() -> None:
    """Manage the product roadmap."""


@roadmap.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--workspace", "slug", required=True)
@with_appcontext
@domain_errors
def import_command(path: Path, slug: str) -> None:
    """Create or update (by external_ref) roadmap items from a CSV file."""
    from surveys.roadmap.importer import import_rows, read_csv
    from surveys.workspace.service import get_workspace

    workspace = get_workspace(db.session, slug)
    header, rows = read_csv(path.read_bytes())
    with click.progressbar(length=len(rows), label="Importing", show_pos=True, file=sys.stderr) as bar:
        report = import_rows(db.session, workspace=workspace, header=header, rows=rows, progress=bar.update)
    db.session.commit()
    for result in report.results:
        if result["status"] == "failed":
            reasons = "; ".join(
                f"{field}: {', '.join(map(str, messages))}" for field, messages in result["errors"].items()
            )
            click.echo(
                f"line {result['line']}: {result['detail']}" + (f" ({reasons})" if reasons else ""), err=True
            )
    if report.ignored_columns:
        click.echo(f"ignored columns: {', '.join(report.ignored_columns)}", err=True)
    click.echo(json.dumps({"created": report.created, "updated": report.updated, "failed": report.failed}))
    if report.failed:
        sys.exit(1)
