"""Builders for the roadmap outcome tests (no tests here): a shipped item whose linked customers
complained before shipping and are happier after it, and other customers who answer alike."""

from datetime import timedelta

import numpy as np
from sqlalchemy import select

from surveys.analysis import service as analysis
from surveys.analysis.models import Theme
from surveys.contact.models import Contact
from surveys.core.db import db, utcnow
from surveys.response.models import Response
from surveys.roadmap.models import RoadmapItem, RoadmapItemTheme
from surveys.survey.models import Survey

LINKED_BEFORE = [2, 3, 5, 6, 7, 9]
LINKED_AFTER = [9, 10, 8, 9, 10, 6]
OTHERS = [3, 7, 9, 10, 6, 8]
NEGATIVE = "The Salesforce integration drops records every night, terrible."
POSITIVE = "The integration works great now, we love it."


def nps_values(scores):
    return np.array([1 if s >= 9 else (-1 if s <= 6 else 0) for s in scores], dtype=float)


def seed_shipped_item(
    app, workspace_id: str, *, linked: int = 50, others: int = 60, title: str = "Salesforce sync v2"
) -> dict:
    """An NPS survey, an item on the integrations theme, linked customers complaining about
    integrations before it shipped (30 days ago) and praising them after; other customers
    answering alike before and after."""
    now = utcnow()
    shipped = now - timedelta(days=30)
    with app.app_context():
        theme = db.session.execute(
            select(Theme).where(Theme.workspace_id == workspace_id, Theme.name == "integrations")
        ).scalar_one()
        survey = Survey(
            workspace_id=workspace_id, name="Relationship NPS", kind="nps", question="Recommend us?"
        )
        item = RoadmapItem(workspace_id=workspace_id, title=title, status="planned")
        db.session.add_all([survey, item])
        db.session.flush()
        item.theme_links = [RoadmapItemTheme(theme_id=theme.id)]
        rows, scores = [], {"linked_before": [], "linked_after": [], "others_before": [], "others_after": []}
        for group, count, before, after in (
            ("linked", linked, LINKED_BEFORE, LINKED_AFTER),
            ("others", others, OTHERS, OTHERS),
        ):
            for i in range(count):
                contact = Contact(
                    workspace_id=workspace_id, external_id=f"{group}-{i}", email=f"{group}{i}@x.test"
                )
                db.session.add(contact)
                db.session.flush()
                for when, score_list, comment in (
                    (
                        shipped - timedelta(days=1 + i % 25, hours=1),
                        before,
                        NEGATIVE if group == "linked" else None,
                    ),
                    (shipped + timedelta(days=1 + i % 25), after, POSITIVE if group == "linked" else None),
                ):
                    score = score_list[i % len(score_list)]
                    rows.append(
                        Response(
                            workspace_id=workspace_id,
                            survey_id=survey.id,
                            contact_id=contact.id,
                            score=score,
                            comment=comment,
                            completed=True,
                            source="api",
                            meta={},
                            attributes={},
                            submitted_at=when,
                        )
                    )
                    scores[f"{group}_{'before' if when < shipped else 'after'}"].append(score)
        db.session.add_all(rows)
        db.session.commit()
        # The real analyser tags the comments and the roadmap mapping links them to the item.
        analysis.analyze_responses(db.session, response_ids=[r.id for r in rows if r.comment])
        db.session.commit()
        item = db.session.get(RoadmapItem, item.id)
        item.status, item.shipped_at = "shipped", shipped
        db.session.commit()
        data = {"item_id": item.id, "survey_id": survey.id, "theme_id": theme.id, "scores": scores}
        db.session.remove()
    return data
