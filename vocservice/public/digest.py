"""The digest's one-click stop (``/digest/unsubscribe/<token>``), no login needed.

GET shows what the link will do and a button (mail scanners fetch every link, so a GET never
changes anything); POST turns the user's digest off. The POST is also the RFC 8058 one-click
request a mail client sends from ``List-Unsubscribe-Post``: no CSRF token is possible there, and
the signed link (:func:`surveys.digest.service.unsubscribe_token`) is what authorises it.
"""

from flask import Blueprint, Flask, current_app, render_template, url_for

from surveys.core.db import db
from surveys.digest import service as digests

bp = Blueprint("digest_public", __name__)
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


@bp.after_request
def _headers(response):
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _page(token: str, *, done: bool):
    user = digests.user_for_token(db.session, secret=current_app.config["SECRET_KEY"], token=token)
    if user is None:
        return render_template("digest_unsubscribe.html", user=None, done=False), 404
    if done:
        digests.unsubscribe(db.session, user=user)
        db.session.commit()
    return render_template(
        "digest_unsubscribe.html",
        user=user,
        done=done or user.digest_frequency == "off",
        action=url_for("digest_public.unsubscribe_post", token=token),
    )


@bp.get("/digest/unsubscribe/<token>")
def unsubscribe_get(token: str):
    return _page(token, done=False)


@bp.post("/digest/unsubscribe/<token>")
def unsubscribe_post(token: str):
    return _page(token, done=True)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
