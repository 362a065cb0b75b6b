"""``vocservice workspace rotate-secret``: replace one of a workspace's secrets and print the new
one, once (secrets are never shown again; rotating is how an admin gets one to hand out).

Kinds: ``inbound`` (signs events and roadmap updates sent to us), ``outbound`` (signs our
webhook-channel deliveries), ``widget`` (keys the widget's contact tokens). The old secret keeps
working for ``--overlap-hours`` (default 24; 0 ends it at once), so senders can switch over.
"""

import json
from datetime import timedelta

import click
from flask.cli import with_appcontext

from surveys.core.db import db, rfc3339
from surveys.workspace.secrets import DEFAULT_OVERLAP, KINDS, MAX_OVERLAP, rotate_secret
from vocservice.cli import domain_errors

_MAX_HOURS = int(MAX_OVERLAP.total_seconds() // 3600)


@click.command("rotate-secret")
@click.option("--workspace", "slug", required=True, help="Workspace slug.")
@click.option("--kind", type=click.Choice(KINDS), required=True, help="Which secret to replace.")
@click.option(
    "--overlap-hours",
    type=click.IntRange(0, _MAX_HOURS),
    default=int(DEFAULT_OVERLAP.total_seconds() // 3600),
    show_default=True,
    help="Hours the previous secret keeps working (0: it stops now).",
)
@with_appcontext
@domain_errors
def rotate_secret_command(slug: str, kind: str, overlap_hours: int) -> None:
    """Rotate a workspace secret and print the new one as JSON (shown once)."""
    from surveys.workspace.service import get_workspace

    workspace = get_workspace(db.session, slug)
    rotation = rotate_secret(
        db.session, workspace=workspace, kind=kind, overlap=timedelta(hours=overlap_hours)
    )
    db.session.commit()
    click.echo(
        json.dumps(
            {
                "workspace": workspace.slug,
                "kind": rotation.kind,
                "secret": rotation.secret,
                "previous_expires_at": rfc3339(rotation.previous_expires_at),
            }
        )
    )
