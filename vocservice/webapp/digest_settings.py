"""The user's own digest setting (``POST /app/account/digest``): off, daily or weekly; shown on
the account page with the latest digests and what became of them (:mod:`surveys.digest`)."""

from flask import flash, g, redirect, request, url_for

from surveys.core.db import db
from surveys.digest.service import set_frequency
from vocservice.webapp import bp

SAID = {
    "off": "Digest email turned off.",
    "daily": "You will get a digest each morning (UTC) for the day before.",
    "weekly": "You will get a digest each Monday (UTC) for the week before.",
}


@bp.post("/account/digest")
def account_digest():
    frequency = request.form.get("digest") or ""
    set_frequency(db.session, user=g.user, frequency=frequency)
    db.session.commit()
    flash(SAID[frequency], "success")
    return redirect(url_for("webapp.account", _anchor="digest"))
