"""``delete_response``: the answer and every row pointing at it go in one transaction, on
PostgreSQL and on the embedded SQLite (which enforces no foreign keys); its invitation stays
``responded``."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, func, insert, select
from sqlalchemy.orm import Session

import surveys.models  # noqa: F401 - every table, for the SQLite engine too
from surveys.analysis.models import Analysis, ResponseTheme, TagCorrection
from surveys.core.db import db
from surveys.core.errors import NotFound
from surveys.invitation.models import Invitation
from surveys.response.models import Response
from surveys.response.service import delete_response, submit_form
from surveys.roadmap.models import RoadmapLink
from tests.support.helpers import make_invitation, table_count

AT = datetime(2026, 6, 1, tzinfo=UTC)
DEPENDENTS = (Analysis, ResponseTheme, TagCorrection, RoadmapLink)


def _rows(response_id: str) -> dict:
    def response(rid: str) -> dict:
        return {
            "id": rid,
            "workspace_id": "ws_1",
            "survey_id": "sv_1",
            "score": 3,
            "completed": True,
            "source": "api",
            "metadata": {},
            "attributes": {},
            "submitted_at": AT,
            "created_at": AT,
            "updated_at": AT,
            "analysis_status": "done",
            "analysis_attempts": 0,
        }

    def children(rid: str) -> dict:
        return {
            Analysis: {
                "id": f"an_{rid}",
                "response_id": rid,
                "analyzer_version": "1",
                "taxonomy_version": 1,
                "themes": [],
                "noun_phrases": [],
                "created_at": AT,
            },
            ResponseTheme: {
                "response_id": rid,
                "theme_id": "th_1",
                "workspace_id": "ws_1",
                "sentiment_label": "negative",
                "sentiment_compound": -0.5,
            },
            TagCorrection: {
                "id": f"tc_{rid}",
                "workspace_id": "ws_1",
                "response_id": rid,
                "theme_id": "th_1",
                "action": "add",
                "created_at": AT,
            },
            RoadmapLink: {"item_id": "rm_1", "response_id": rid, "source": "manual", "created_at": AT},
        }

    return {
        "responses": [response(response_id), response("rsp_keep")],
        "children": [children(response_id), children("rsp_keep")],
    }


def test_delete_response_removes_dependents_on_sqlite(tmp_path):
    """The embedded default (SQLite) enforces no foreign keys: deletion must remove dependents itself."""
    engine = create_engine(f"sqlite:///{tmp_path / 'voc.db'}")
    db.metadata.create_all(engine)
    rows = _rows("rsp_gone")
    with Session(engine) as session:
        session.execute(insert(Response.__table__), rows["responses"])
        for model in DEPENDENTS:
            session.execute(insert(model.__table__), [c[model] for c in rows["children"]])
        session.commit()
        delete_response(session, workspace_id="ws_1", response_id="rsp_gone")
        session.commit()
        for model in (Response, *DEPENDENTS):
            column = model.id if model is Response else model.response_id
            remaining = session.execute(select(column).where(column.in_(("rsp_gone", "rsp_keep")))).scalars()
            assert set(remaining) == {"rsp_keep"}, model.__name__
        with pytest.raises(NotFound):
            delete_response(session, workspace_id="ws_1", response_id="rsp_gone")
        with pytest.raises(NotFound):  # another workspace's answer is simply unknown
            delete_response(session, workspace_id="ws_2", response_id="rsp_keep")
        assert session.execute(select(func.count()).select_from(Response)).scalar_one() == 1
    engine.dispose()


def test_delete_response_leaves_its_invitation_responded(db_session, workspace):
    invitation = make_invitation(db_session, workspace.workspace.id)
    response = submit_form(db_session, token=invitation.token, score=4, comment="meh", final=True)
    db_session.commit()
    delete_response(db_session, workspace_id=workspace.workspace.id, response_id=response.id)
    db_session.commit()
    db_session.expire_all()
    assert table_count(db_session, Response) == 0
    stored = db_session.get(Invitation, invitation.id)
    # The customer did answer: fatigue keeps counting the invitation, and it is not re-sent.
    assert stored.status == "responded" and stored.responded_at is not None
