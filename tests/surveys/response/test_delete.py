"""``delete_response``: the answer and every row pointing at it go in one transaction, its
invitation stays ``responded``. (SQLite, which enforces no foreign keys: tests/embedded.)"""

from datetime import UTC, datetime

from surveys.analysis.models import Analysis, ResponseTheme, TagCorrection
from surveys.invitation.models import Invitation
from surveys.response.models import Response
from surveys.response.service import delete_response, submit_form
from surveys.roadmap.models import RoadmapLink
from tests.support.helpers import make_invitation, table_count

AT = datetime(2026, 6, 1, tzinfo=UTC)
DEPENDENTS = (Analysis, ResponseTheme, TagCorrection, RoadmapLink)


def response_rows(response_id: str) -> dict:
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
