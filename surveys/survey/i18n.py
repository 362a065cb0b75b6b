"""What respondents read: the interface strings of the hosted form, the widget and the invitation
email in English, German, French, Spanish and Dutch; the choice of language for one person; the
survey's own text in that language; and the workspace's branding made safe to put in CSS.

One page speaks one language: a locale is only picked if the survey has its question in it.
"""

import re
from collections.abc import Iterable

from surveys.survey.models import Survey
from surveys.workspace.models import Workspace

DEFAULT_LOCALE = "en"

_EN = {
    "submit": "Send",
    "close": "Close",
    "optional": "optional",
    "comment_label": "Anything you would like to add?",
    "choose_score": "Please choose a score.",
    "score_saved": "Score saved. You can still change it.",
    "selected": "selected",
    "thanks_title": "Thank you!",
    "thanks_body": "Your answer has been recorded. It helps us improve.",
    "already_title": "Already answered",
    "already_body": "You have already answered this survey. Thank you!",
    "expired_title": "This link has expired",
    "expired_body": "This survey is no longer open.",
    "not_found_title": "Survey not found",
    "not_found_body": "There is no survey at this address. Please check the link.",
    "error_title": "Something went wrong",
    "error_body": "Please try again in a moment.",
    "unsubscribe_title": "Unsubscribe",
    "unsubscribe_body": "Stop receiving survey emails from {name}?",
    "unsubscribe_button": "Unsubscribe",
    "unsubscribed_title": "You are unsubscribed",
    "unsubscribed_body": "You will not receive survey emails from {name} any more.",
    "unsubscribe_link": "Unsubscribe from these emails",
    "email_subject": "A quick question from {name}",
    "reminder_subject": "Reminder: a quick question from {name}",
    "email_greeting": "Hello {name},",
    "email_greeting_anonymous": "Hello,",
    "email_hint": "Click a number to answer. It takes one click.",
    "email_open": "Open the survey",
    "email_why": "You receive this email as a customer of {name}.",
    "email_shipped": "You told us what you needed. It is here now: {title}. Has it made a difference?",
    "nps_low": "Not at all likely",
    "nps_high": "Extremely likely",
    "csat_low": "Very dissatisfied",
    "csat_high": "Very satisfied",
    "ces_low": "Very difficult",
    "ces_high": "Very easy",
}

STRINGS: dict[str, dict[str, str]] = {
    "en": _EN,
    "de": {
        "submit": "Senden",
        "close": "Schließen",
        "optional": "optional",
        "comment_label": "Möchten Sie noch etwas ergänzen?",
        "choose_score": "Bitte wählen Sie eine Bewertung.",
        "score_saved": "Bewertung gespeichert. Sie können sie noch ändern.",
        "selected": "ausgewählt",
        "thanks_title": "Vielen Dank!",
        "thanks_body": "Ihre Antwort wurde gespeichert. Sie hilft uns, besser zu werden.",
        "already_title": "Bereits beantwortet",
        "already_body": "Sie haben diese Umfrage bereits beantwortet. Vielen Dank!",
        "expired_title": "Dieser Link ist abgelaufen",
        "expired_body": "Diese Umfrage ist nicht mehr geöffnet.",
        "not_found_title": "Umfrage nicht gefunden",
        "not_found_body": "Unter dieser Adresse gibt es keine Umfrage. Bitte prüfen Sie den Link.",
        "error_title": "Etwas ist schiefgelaufen",
        "error_body": "Bitte versuchen Sie es gleich noch einmal.",
        "unsubscribe_title": "Abmelden",
        "unsubscribe_body": "Keine Umfrage-E-Mails mehr von {name} erhalten?",
        "unsubscribe_button": "Abmelden",
        "unsubscribed_title": "Sie sind abgemeldet",
        "unsubscribed_body": "Sie erhalten keine Umfrage-E-Mails mehr von {name}.",
        "unsubscribe_link": "Von diesen E-Mails abmelden",
        "email_subject": "Eine kurze Frage von {name}",
        "reminder_subject": "Erinnerung: eine kurze Frage von {name}",
        "email_greeting": "Hallo {name},",
        "email_greeting_anonymous": "Hallo,",
        "email_hint": "Klicken Sie auf eine Zahl, um zu antworten. Ein Klick genügt.",
        "email_open": "Umfrage öffnen",
        "email_why": "Sie erhalten diese E-Mail als Kunde von {name}.",
        "email_shipped": (
            "Sie haben uns gesagt, was Ihnen fehlt. Jetzt ist es da: {title}. Hat es etwas verändert?"
        ),
        "nps_low": "Überhaupt nicht wahrscheinlich",
        "nps_high": "Äußerst wahrscheinlich",
        "csat_low": "Sehr unzufrieden",
        "csat_high": "Sehr zufrieden",
        "ces_low": "Sehr schwierig",
        "ces_high": "Sehr einfach",
    },
    "fr": {
        "submit": "Envoyer",
        "close": "Fermer",
        "optional": "facultatif",
        "comment_label": "Souhaitez-vous ajouter quelque chose ?",
        "choose_score": "Veuillez choisir une note.",
        "score_saved": "Note enregistrée. Vous pouvez encore la modifier.",
        "selected": "sélectionné",
        "thanks_title": "Merci !",
        "thanks_body": "Votre réponse a été enregistrée. Elle nous aide à nous améliorer.",
        "already_title": "Déjà répondu",
        "already_body": "Vous avez déjà répondu à cette enquête. Merci !",
        "expired_title": "Ce lien a expiré",
        "expired_body": "Cette enquête n'est plus ouverte.",
        "not_found_title": "Enquête introuvable",
        "not_found_body": "Aucune enquête à cette adresse. Veuillez vérifier le lien.",
        "error_title": "Un problème est survenu",
        "error_body": "Veuillez réessayer dans un instant.",
        "unsubscribe_title": "Se désabonner",
        "unsubscribe_body": "Ne plus recevoir les e-mails d'enquête de {name} ?",
        "unsubscribe_button": "Se désabonner",
        "unsubscribed_title": "Vous êtes désabonné",
        "unsubscribed_body": "Vous ne recevrez plus d'e-mails d'enquête de {name}.",
        "unsubscribe_link": "Se désabonner de ces e-mails",
        "email_subject": "Une petite question de {name}",
        "reminder_subject": "Rappel : une petite question de {name}",
        "email_greeting": "Bonjour {name},",
        "email_greeting_anonymous": "Bonjour,",
        "email_hint": "Cliquez sur un chiffre pour répondre. Un seul clic suffit.",
        "email_open": "Ouvrir l'enquête",
        "email_why": "Vous recevez cet e-mail en tant que client de {name}.",
        "email_shipped": (
            "Vous nous avez dit ce qui vous manquait. C'est désormais disponible : {title}. "
            "Cela a-t-il changé quelque chose ?"
        ),
        "nps_low": "Pas du tout probable",
        "nps_high": "Très probable",
        "csat_low": "Très insatisfait",
        "csat_high": "Très satisfait",
        "ces_low": "Très difficile",
        "ces_high": "Très facile",
    },
    "es": {
        "submit": "Enviar",
        "close": "Cerrar",
        "optional": "opcional",
        "comment_label": "¿Quiere añadir algo más?",
        "choose_score": "Elija una puntuación, por favor.",
        "score_saved": "Puntuación guardada. Todavía puede cambiarla.",
        "selected": "seleccionado",
        "thanks_title": "¡Gracias!",
        "thanks_body": "Hemos registrado su respuesta. Nos ayuda a mejorar.",
        "already_title": "Ya respondida",
        "already_body": "Ya ha respondido a esta encuesta. ¡Gracias!",
        "expired_title": "Este enlace ha caducado",
        "expired_body": "Esta encuesta ya no está abierta.",
        "not_found_title": "Encuesta no encontrada",
        "not_found_body": "No hay ninguna encuesta en esta dirección. Compruebe el enlace.",
        "error_title": "Algo ha salido mal",
        "error_body": "Inténtelo de nuevo en un momento.",
        "unsubscribe_title": "Darse de baja",
        "unsubscribe_body": "¿Dejar de recibir encuestas por correo de {name}?",
        "unsubscribe_button": "Darse de baja",
        "unsubscribed_title": "Se ha dado de baja",
        "unsubscribed_body": "Ya no recibirá encuestas por correo de {name}.",
        "unsubscribe_link": "Darse de baja de estos correos",
        "email_subject": "Una pregunta rápida de {name}",
        "reminder_subject": "Recordatorio: una pregunta rápida de {name}",
        "email_greeting": "Hola, {name}:",
        "email_greeting_anonymous": "Hola:",
        "email_hint": "Haga clic en un número para responder. Basta con un clic.",
        "email_open": "Abrir la encuesta",
        "email_why": "Recibe este correo como cliente de {name}.",
        "email_shipped": "Nos dijo lo que necesitaba. Ya está disponible: {title}. ¿Ha notado la diferencia?",
        "nps_low": "Nada probable",
        "nps_high": "Muy probable",
        "csat_low": "Muy insatisfecho",
        "csat_high": "Muy satisfecho",
        "ces_low": "Muy difícil",
        "ces_high": "Muy fácil",
    },
    "nl": {
        "submit": "Versturen",
        "close": "Sluiten",
        "optional": "optioneel",
        "comment_label": "Wilt u nog iets toevoegen?",
        "choose_score": "Kies alstublieft een score.",
        "score_saved": "Score opgeslagen. U kunt hem nog wijzigen.",
        "selected": "geselecteerd",
        "thanks_title": "Dank u wel!",
        "thanks_body": "Uw antwoord is opgeslagen. Het helpt ons beter te worden.",
        "already_title": "Al beantwoord",
        "already_body": "U heeft deze enquête al beantwoord. Dank u wel!",
        "expired_title": "Deze link is verlopen",
        "expired_body": "Deze enquête is niet meer open.",
        "not_found_title": "Enquête niet gevonden",
        "not_found_body": "Op dit adres staat geen enquête. Controleer de link.",
        "error_title": "Er ging iets mis",
        "error_body": "Probeer het zo nog eens.",
        "unsubscribe_title": "Afmelden",
        "unsubscribe_body": "Geen enquête-e-mails meer ontvangen van {name}?",
        "unsubscribe_button": "Afmelden",
        "unsubscribed_title": "U bent afgemeld",
        "unsubscribed_body": "U ontvangt geen enquête-e-mails meer van {name}.",
        "unsubscribe_link": "Afmelden voor deze e-mails",
        "email_subject": "Een korte vraag van {name}",
        "reminder_subject": "Herinnering: een korte vraag van {name}",
        "email_greeting": "Beste {name},",
        "email_greeting_anonymous": "Beste klant,",
        "email_hint": "Klik op een cijfer om te antwoorden. Eén klik is genoeg.",
        "email_open": "Enquête openen",
        "email_why": "U ontvangt deze e-mail als klant van {name}.",
        "email_shipped": "U vertelde ons wat u nodig had. Het is er nu: {title}. Heeft het verschil gemaakt?",
        "nps_low": "Helemaal niet waarschijnlijk",
        "nps_high": "Zeer waarschijnlijk",
        "csat_low": "Zeer ontevreden",
        "csat_high": "Zeer tevreden",
        "ces_low": "Zeer moeilijk",
        "ces_high": "Zeer makkelijk",
    },
}


def _base(locale: str) -> str:
    return locale.replace("_", "-").split("-")[0].lower()


def strings(locale: str | None) -> dict[str, str]:
    """All interface strings for ``locale``, English for anything not translated."""
    return {**_EN, **STRINGS.get(_base(locale or DEFAULT_LOCALE), {})}


def scale_labels(kind: str, locale: str | None) -> tuple[str, str]:
    text = strings(locale)
    return text[f"{kind}_low"], text[f"{kind}_high"]


def _candidates(accept_languages: Iterable) -> list[str]:
    out = []
    for item in accept_languages or ():
        # werkzeug's LanguageAccept yields (value, quality) pairs, best first.
        value = item[0] if isinstance(item, tuple) else item
        if isinstance(value, str) and value != "*":
            out.append(value)
    return out


def pick_locale(
    requested: str | None, contact_locale: str | None, accept_languages: Iterable, survey: Survey
) -> str:
    """The first wish (explicit ``?lang=``, the contact's locale, the browser's languages) that
    the survey has its text in; else the survey's own locale."""
    available = [survey.locale or DEFAULT_LOCALE, *(survey.translations or {})]
    wishes = [w for w in (requested, contact_locale) if w] + _candidates(accept_languages)
    for wish in wishes:
        wish = wish.strip().replace("_", "-")
        for key in available:
            if key.lower() == wish.lower():
                return key
        for key in available:
            if _base(key) == _base(wish):
                return key
    return survey.locale or DEFAULT_LOCALE


def survey_text(survey: Survey, locale: str) -> dict[str, str]:
    """``question`` and ``comment_prompt`` in ``locale``, falling back to the survey's own."""
    translation = (survey.translations or {}).get(locale) if locale != survey.locale else None
    if not translation or not translation.get("question"):
        own = survey.comment_prompt or strings(survey.locale)["comment_label"]
        return {"question": survey.question, "comment_prompt": own}
    # A translation without its own prompt gets the generic one in the same language rather than
    # the survey's prompt in another language.
    prompt = translation.get("comment_prompt") or strings(locale)["comment_label"]
    return {"question": translation["question"], "comment_prompt": prompt}


_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}\Z")
DEFAULT_COLOR = "#3730a3"


def _luminance(color: str) -> float:
    digits = color[1:]
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    channels = []
    for i in (0, 2, 4):
        c = int(digits[i : i + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4)
    return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def branding(workspace: Workspace | None) -> dict[str, str | None]:
    """Colour, text-on-colour, link colour, logo and name, every one safe to inline.

    Colours are validated (they go into CSS, where HTML escaping protects nothing) and paired so
    text keeps WCAG AA contrast whatever colour the customer chose.
    """
    raw = (workspace.branding or {}) if workspace is not None else {}
    color = raw.get("color") if isinstance(raw.get("color"), str) else None
    color = color if color and _HEX.match(color) else DEFAULT_COLOR
    on_color = "#ffffff" if contrast(color, "#ffffff") >= contrast(color, "#111111") else "#111111"
    ink = color if contrast(color, "#ffffff") >= 4.5 else "#1f2937"
    logo = raw.get("logo_url")
    logo = logo if isinstance(logo, str) and logo.startswith("https://") else None
    name = raw.get("name") or (workspace.name if workspace is not None else "") or ""
    return {"color": color, "on_color": on_color, "ink": ink, "logo_url": logo, "name": str(name)}
