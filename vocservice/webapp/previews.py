"""Previews of what a respondent sees (``/app/surveys/<id>/preview``): the hosted form and the
invitation email in each of the survey's languages, rendered by the same templates and code as
the real ones (``form.html``, :func:`surveys.invitation.mail.compose`) with a sample recipient.

Nothing is stored or sent. The form and the email's HTML are served as separate documents shown
in sandboxed frames: their own CSP forbids scripts and form submission (``form-action 'none'``),
so pressing a score in the preview records nothing, and the customer's branding and the PM's
text stay inside the frame.
"""

from flask import abort, g, render_template, request, url_for

from surveys.core.db import db
from surveys.invitation import mail
from surveys.invitation.settings import Links
from surveys.survey import i18n, service
from surveys.survey.models import Survey
from surveys.survey.scales import SCALES
from vocservice.webapp import bp

SAMPLE_NAME = "Alex Example"
SAMPLE_EMAIL = "alex@example.com"
SAMPLE_TOKEN = "preview"  # noqa: S105 - a sample link token, not a secret
FRAME_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; form-action 'none'; "
    "base-uri 'none'; frame-ancestors 'self'; sandbox allow-same-origin"
)


def _survey_and_locale(survey_id: str, lang: str | None) -> tuple[Survey, str, list[str]]:
    survey = service.get_survey(db.session, workspace_id=g.workspace.id, survey_id=survey_id)
    locales = [survey.locale or i18n.DEFAULT_LOCALE, *sorted(k for k in survey.translations or {} if k)]
    locales = list(dict.fromkeys(locales))
    locale = lang or locales[0]
    if locale not in locales:
        abort(404, "This survey has no text in that language.")
    return survey, locale, locales


def _framed(html: str):
    # Only these two documents may be framed, and only by our own pages.
    return (
        html,
        200,
        {
            "Content-Security-Policy": FRAME_CSP,
            "X-Frame-Options": "SAMEORIGIN",
            "Content-Type": "text/html; charset=utf-8",
        },
    )


def _email(survey: Survey, locale: str, *, reminder: bool):
    # The links open the form preview (in the frame), never a real survey link.
    form_preview = url_for("webapp.preview_form", survey_id=survey.id, lang=locale, _external=True)
    links = Links(
        survey=form_preview,
        unsubscribe=url_for("webapp.preview_unsubscribe", survey_id=survey.id, lang=locale, _external=True),
    )
    return mail.compose(
        survey=survey,
        workspace=g.workspace,
        contact_name=SAMPLE_NAME,
        contact_email=SAMPLE_EMAIL,
        locale=locale,
        token=SAMPLE_TOKEN,
        message_id="preview",
        links=links,
        reminder=reminder,
    )


def _part(message, subtype: str) -> str:
    return message.get_body(preferencelist=(subtype,)).get_content()


@bp.get("/surveys/<survey_id>/preview")
def preview(survey_id: str):
    survey, locale, locales = _survey_and_locale(survey_id, request.args.get("lang"))
    reminder = request.args.get("reminder") == "1"
    message = _email(survey, locale, reminder=reminder)
    return render_template(
        "app/preview.html",
        survey=survey,
        locale=locale,
        locales=locales,
        reminder=reminder,
        subject=message["Subject"],
        to=message["To"],
        text_part=_part(message, "plain"),
    )


@bp.get("/surveys/<survey_id>/preview/<lang>/form")
def preview_form(survey_id: str, lang: str):
    survey, locale, _ = _survey_and_locale(survey_id, lang)
    low, high = SCALES[survey.kind]
    low_label, high_label = i18n.scale_labels(survey.kind, locale)
    raw = request.args.get("score", "")
    selected = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 3 else None
    selected = selected if selected is not None and low <= selected <= high else None
    page = render_template(
        "form.html",
        lang=locale,
        t=i18n.strings(locale),
        brand=i18n.branding(g.workspace),
        text=i18n.survey_text(survey, locale),
        scores=range(low, high + 1),
        selected=selected,
        low_label=low_label,
        high_label=high_label,
        comment="",
        via="email" if selected is not None else None,
        error=None,
        saved=False,
        action=request.path,
    )
    return _framed(page)


@bp.get("/surveys/<survey_id>/preview/<lang>/email")
def preview_email(survey_id: str, lang: str):
    survey, locale, _ = _survey_and_locale(survey_id, lang)
    message = _email(survey, locale, reminder=request.args.get("reminder") == "1")
    return _framed(_part(message, "html"))


@bp.get("/surveys/<survey_id>/preview/<lang>/unsubscribe")
def preview_unsubscribe(survey_id: str, lang: str):
    _, locale, _ = _survey_and_locale(survey_id, lang)
    brand = i18n.branding(g.workspace)
    page = render_template(
        "unsubscribe.html",
        lang=locale,
        t=i18n.strings(locale),
        brand=brand,
        name=brand["name"] or "us",
        done=False,
        action=request.path,
    )
    return _framed(page)
