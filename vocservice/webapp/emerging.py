"""One click from an emerging topic to a theme: ``POST /app/emerging/theme`` with the phrase and
its variants makes a theme named after the phrase, with them as keywords, validated as
``POST /api/v1/themes`` is, then the answers that mention them are re-analysed (what every theme
change triggers)."""

from flask import flash, g, redirect, request, url_for
from marshmallow import ValidationError

from surveys.analysis import themes as service
from surveys.analysis.schemas import ThemeCreateSchema
from surveys.core.db import db
from surveys.core.errors import Invalid
from vocservice.webapp import bp

_SCHEMA = ThemeCreateSchema()


@bp.post("/emerging/theme")
def emerging_to_theme():
    phrase = " ".join((request.form.get("phrase") or "").split())
    variants = [" ".join(v.split()) for v in request.form.getlist("variant")]
    keywords = [k for k in dict.fromkeys([phrase, *variants]) if k]
    try:
        data = _SCHEMA.load(
            {
                "name": phrase[:1].upper() + phrase[1:],
                "keywords": keywords,
                "description": "Made from an emerging topic on the dashboard.",
            }
        )
    except ValidationError as err:
        raise Invalid("This topic cannot become a theme.", errors=err.messages) from None
    theme = service.create_theme(db.session, workspace=g.workspace, data=data)
    db.session.commit()
    flash(
        f"Theme “{theme.name}” created with the keywords {', '.join(theme.keywords)}; "
        "the answers that mention them are being re-analysed.",
        "success",
    )
    back = request.form.get("next") or ""
    return redirect(back if back.startswith("/app") and "//" not in back else url_for("webapp.dashboard"))
