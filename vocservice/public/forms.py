"""The hosted survey form (``/s/<token>``) and the unsubscribe page (``/u/<token>``).

Plain HTML forms that work without JavaScript: each score is a submit button that saves a
partial answer and re-renders the page with it selected; "Send" finishes. A GET never writes,
so mail scanners that follow every link cannot answer for the customer. One small inline script
(allowed by its hash, nothing else runs) tells ``POST /s/<token>/opened`` that a person has the
page open, on load when it is visible or on the first interaction: the invitation counts as
opened and a score clicked in the email is saved at once (:mod:`surveys.response.one_click`).
Problems are shown as small localised HTML pages with the right status (404 unknown, 409
answered, 410 expired).
"""

import base64
import hashlib
import re

from flask import Blueprint, Flask, render_template, request, url_for
from sqlalchemy import select

from surveys.core.db import db, utcnow
from surveys.core.errors import Conflict, DomainError, Gone, Invalid, NotFound
from surveys.invitation import mail
from surveys.invitation.models import Invitation
from surveys.response.one_click import record_open
from surveys.response.service import (
    open_invitation,
    open_invitation_with_answer,
    response_for_invitation,
    submit_form,
)
from surveys.survey import i18n
from surveys.survey.scales import SCALES
from surveys.workspace.models import Workspace
from vocservice.errors import problem, problem_type, status_of

bp = Blueprint("forms", __name__)

# The page's only script: a form-encoded POST (a CORS "simple" request, no credentials) to the
# form's data-opened address, with data-score when the page came from an email score link. Sent
# once, on load if the page is visible (not a prerender or a background tab) or else on the
# first sign of a person; sendBeacon survives the tab being closed right away.
OPENED_JS = (
    "(function(){var f=document.querySelector('form[data-opened]');if(!f)return;var sent=false;"
    "function send(){if(sent)return;sent=true;var b=new URLSearchParams();"
    "var s=f.getAttribute('data-score');if(s)b.append('score',s);"
    "b.append('lang',document.documentElement.lang);var u=f.getAttribute('data-opened');"
    "if(!(navigator.sendBeacon&&navigator.sendBeacon(u,b)))"
    "fetch(u,{method:'POST',body:b,credentials:'omit',keepalive:true});}"
    "['pointerdown','keydown','touchstart','focusin'].forEach(function(e){"
    "document.addEventListener(e,send,{capture:true,once:true});});"
    "if(document.visibilityState==='visible')send();"
    "else document.addEventListener('visibilitychange',function(){"
    "if(document.visibilityState==='visible')send();});})();"
)
_OPENED_HASH = base64.b64encode(hashlib.sha256(OPENED_JS.encode()).digest()).decode()
# No script but the one above (allowed by its hash); styles are inline; images only for the
# workspace logo; it may post only to this origin.
CSP = (
    f"default-src 'none'; script-src 'sha256-{_OPENED_HASH}'; connect-src 'self'; "
    "style-src 'unsafe-inline'; img-src https: data:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
_LOCALE = re.compile(r"(?=.{2,16}\Z)[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}")  # the column holds 16
_ERROR_KEYS = {NotFound: "not_found", Gone: "expired", Conflict: "already"}


@bp.after_request
def _private_headers(response):
    # The token in the URL is a secret: never cache the page, never leak it as a Referer.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _find(token: str) -> Invitation | None:
    return (
        db.session.execute(select(Invitation).where(Invitation.token == token)).unique().scalar_one_or_none()
    )


def _ui_locale(requested: str | None, contact_locale: str | None = None) -> str:
    for wish in (requested, contact_locale):
        if wish and wish.split("-")[0].lower() in i18n.STRINGS:
            return wish.split("-")[0].lower()
    return request.accept_languages.best_match(list(i18n.STRINGS)) or i18n.DEFAULT_LOCALE


def _brand(invitation: Invitation | None) -> dict:
    return i18n.branding(invitation.workspace if invitation else None)


def _error_page(error: DomainError, token: str):
    invitation = _find(token) if not isinstance(error, NotFound) else None
    requested = request.values.get("lang")
    if invitation is not None:
        lang = i18n.pick_locale(
            requested, invitation.contact.locale, request.accept_languages, invitation.survey
        )
    else:
        lang = _ui_locale(requested)
    text = i18n.strings(lang)
    key = _ERROR_KEYS.get(type(error), "error")
    status = status_of(error)
    return render_template(
        "error.html",
        status=status,
        title=text[f"{key}_title"],
        detail=text[f"{key}_body"],
        lang=lang,
        brand=_brand(invitation),
    ), status


def _lang_field() -> str | None:
    # Stored on the response, so only a well-formed locale tag gets through.
    value = request.form.get("lang") or ""
    return value if _LOCALE.fullmatch(value) else None


def _parse_score(raw: str | None) -> int | None:
    if raw is None or raw.strip() == "":
        return None
    try:
        return int(raw.strip())
    except ValueError:
        raise Invalid("The score must be a whole number.", errors={"score": ["not an integer"]}) from None


def _render_form(
    invitation: Invitation,
    *,
    selected: int | None,
    comment: str | None,
    via: str | None = None,
    error: str | None = None,
    saved: bool = False,
    status: int = 200,
    opened: bool = False,
    one_click: int | None = None,
):
    survey = invitation.survey
    lang = i18n.pick_locale(
        request.values.get("lang"), invitation.contact.locale, request.accept_languages, survey
    )
    low, high = SCALES[survey.kind]
    low_label, high_label = i18n.scale_labels(survey.kind, lang)
    page = render_template(
        "form.html",
        lang=lang,
        t=i18n.strings(lang),
        brand=_brand(invitation),
        text=i18n.survey_text(survey, lang),
        scores=range(low, high + 1),
        selected=selected,
        low_label=low_label,
        high_label=high_label,
        comment=comment or "",
        via=via,
        error=error,
        saved=saved,
        action=url_for("forms.submit", token=invitation.token),
        opened_action=url_for("forms.opened", token=invitation.token) if opened else None,
        one_click=one_click,
        script=OPENED_JS,
    )
    return page, status


@bp.get("/s/<token>")
def show(token: str):
    try:
        invitation, response = open_invitation_with_answer(db.session, token=token, now=utcnow())
    except DomainError as error:
        return _error_page(error, token)
    selected = response.score if response else None
    via = None
    low, high = SCALES[invitation.survey.kind]
    raw = request.args.get("score", "")
    # A one-click link from the email only preselects; an out-of-range value is ignored.
    if raw.isascii() and raw.isdigit() and len(raw) <= 3 and low <= int(raw) <= high:
        selected, via = int(raw), "email"
    return _render_form(
        invitation,
        selected=selected,
        via=via,
        comment=response.comment if response else None,
        opened=True,
        one_click=selected if via else None,
    )


@bp.post("/s/<token>/opened")
def opened(token: str):
    """The page's script: a person has the form open (and clicked ``score`` in the email)."""
    try:
        record_open(
            db.session, token=token, score=_parse_score(request.form.get("score")), locale=_lang_field()
        )
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        status, slug, title = problem_type(error)
        return problem(status, title, error.detail, slug=slug, errors=error.errors)
    return "", 204


@bp.post("/s/<token>")
def submit(token: str):
    action = request.form.get("action", "save")
    final = action == "submit"
    comment = request.form.get("comment")
    via = "email" if request.form.get("via") == "email" else None
    raw_score = request.form.get("score") or request.form.get("selected")
    try:
        score = _parse_score(raw_score)
        response = submit_form(
            db.session,
            token=token,
            score=score,
            comment=comment,
            final=final,
            now=utcnow(),
            source="email" if via else "form",
            locale=_lang_field(),
        )
        db.session.commit()
    except Invalid as error:
        db.session.rollback()
        try:
            invitation = open_invitation(db.session, token=token, now=utcnow())
        except DomainError as other:
            return _error_page(other, token)
        lang = i18n.pick_locale(
            request.form.get("lang"), invitation.contact.locale, request.accept_languages, invitation.survey
        )
        message = i18n.strings(lang)["choose_score"] if "score" in (error.errors or {}) else error.detail
        saved = response_for_invitation(db.session, invitation_id=invitation.id)
        return _render_form(
            invitation,
            selected=saved.score if saved else None,
            comment=comment,
            via=via,
            error=message,
            status=422,
        )
    except DomainError as error:
        db.session.rollback()
        return _error_page(error, token)
    invitation = db.session.get(Invitation, response.invitation_id)
    if final:
        lang = i18n.pick_locale(
            request.form.get("lang"), invitation.contact.locale, request.accept_languages, invitation.survey
        )
        return render_template("thanks.html", lang=lang, t=i18n.strings(lang), brand=_brand(invitation))
    return _render_form(invitation, selected=response.score, comment=response.comment, via=via, saved=True)


def _unsubscribe_page(contact, workspace, *, done: bool):
    lang = _ui_locale(request.values.get("lang"), contact.locale)
    brand = i18n.branding(workspace)
    return render_template(
        "unsubscribe.html",
        lang=lang,
        t=i18n.strings(lang),
        brand=brand,
        name=brand["name"] or "us",
        done=done,
        action=url_for("forms.unsubscribe_post", token=request.view_args["token"]),
    )


@bp.get("/u/<token>")
def unsubscribe_get(token: str):
    try:
        contact, workspace = mail.contact_for_token(db.session, token=token)
    except DomainError as error:
        return _error_page(error, token)
    return _unsubscribe_page(contact, workspace, done=contact.unsubscribed_at is not None)


@bp.post("/u/<token>")
def unsubscribe_post(token: str):
    # Also the RFC 8058 one-click POST (body "List-Unsubscribe=One-Click"): no CSRF token is
    # possible there, and knowing the secret link is what authorises it.
    try:
        contact = mail.unsubscribe(db.session, token=token, now=utcnow())
        workspace = db.session.get(Workspace, contact.workspace_id)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        return _error_page(error, token)
    return _unsubscribe_page(contact, workspace, done=True)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
