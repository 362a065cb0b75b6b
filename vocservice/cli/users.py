"""``vocservice user list|disable|enable|remove|reset-password|end-sessions``: look after the web
app's users from the command line (``user create`` lives in ``vocservice.cli``).

Each command names the user by ``--workspace SLUG --email E`` and prints one JSON object (a
JSON list for ``list``). Disabling, removing, a new password and ``end-sessions`` log the user
out everywhere at once. The last active admin of a workspace cannot be disabled or removed.
"""

import json
import sys

import click
from flask.cli import with_appcontext

from surveys.core.db import db, rfc3339
from vocservice.cli import domain_errors


def _user_options(command):
    command = click.option("--email", required=True, help="The user's email.")(command)
    return click.option("--workspace", "slug", required=True, help="Workspace slug.")(command)


def _find(slug: str, email: str):
    from surveys.workspace.service import find_user, get_workspace

    return find_user(db.session, workspace=get_workspace(db.session, slug), email=email)


def _echo(user, **extra) -> None:
    status = "disabled" if user.disabled_at else "active"
    click.echo(json.dumps({"id": user.id, "email": user.email, "role": user.role, "status": status, **extra}))


def _read_password() -> str:
    if sys.stdin.isatty():
        return click.prompt("New password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\n")


@click.command("list")
@click.option("--workspace", "slug", required=True, help="Workspace slug.")
@with_appcontext
@domain_errors
def list_command(slug: str) -> None:
    """Print the workspace's users as JSON: role, state and latest login."""
    from surveys.workspace.service import get_workspace, list_users

    members = list_users(db.session, workspace_id=get_workspace(db.session, slug).id)
    click.echo(
        json.dumps(
            [
                {
                    "id": m.id,
                    "email": m.email,
                    "role": m.role,
                    "status": m.status,
                    "created_at": rfc3339(m.created_at),
                    "last_login_at": rfc3339(m.last_login_at),
                }
                for m in members
            ]
        )
    )


@click.command("disable")
@_user_options
@with_appcontext
@domain_errors
def disable_command(slug: str, email: str) -> None:
    """Stop a user from logging in and end their sessions."""
    from surveys.workspace.service import disable_user

    user = _find(slug, email)
    ended = disable_user(db.session, user=user)
    db.session.commit()
    _echo(user, sessions_ended=ended)


@click.command("enable")
@_user_options
@with_appcontext
@domain_errors
def enable_command(slug: str, email: str) -> None:
    """Let a disabled user log in again."""
    from surveys.workspace.service import enable_user

    user = _find(slug, email)
    enable_user(db.session, user=user)
    db.session.commit()
    _echo(user)


@click.command("remove")
@_user_options
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
@domain_errors
def remove_command(slug: str, email: str, yes: bool) -> None:
    """Delete a user and their sessions (their tag corrections stay, without their name)."""
    from surveys.workspace.service import remove_user

    user = _find(slug, email)
    if not yes and sys.stdin.isatty():
        click.confirm(f"Remove {user.email} from {slug}?", abort=True)
    shown = {"id": user.id, "email": user.email, "role": user.role}
    ended = remove_user(db.session, user=user)
    db.session.commit()
    click.echo(json.dumps({**shown, "status": "removed", "sessions_ended": ended}))


@click.command("reset-password")
@_user_options
@with_appcontext
@domain_errors
def reset_password_command(slug: str, email: str) -> None:
    """Set a new password (read from stdin, or prompted for on a terminal); ends their sessions."""
    from surveys.workspace.service import reset_password

    user = _find(slug, email)
    ended = reset_password(db.session, user=user, password=_read_password())
    db.session.commit()
    _echo(user, sessions_ended=ended)


@click.command("end-sessions")
@_user_options
@with_appcontext
@domain_errors
def end_sessions_command(slug: str, email: str) -> None:
    """Log a user out everywhere (for a lost laptop) without changing anything else."""
    from surveys.workspace.sessions import end_user_sessions

    user = _find(slug, email)
    ended = end_user_sessions(db.session, user_id=user.id, reason="ended")
    db.session.commit()
    _echo(user, sessions_ended=ended)


COMMANDS = (
    list_command,
    disable_command,
    enable_command,
    remove_command,
    reset_password_command,
    end_sessions_command,
)
