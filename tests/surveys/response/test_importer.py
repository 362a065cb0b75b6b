"""CSV import of answers: numbers in attribute columns stay numbers when they are finite and
JSON-safe; a row whose number is not (1e400, 400 digits) is reported with the column at fault and
stores nothing, the other rows go in; "NaN" or "inf" cells stay text."""

import io

from sqlalchemy import select

from surveys.contact.models import Contact
from surveys.response.importer import import_responses
from surveys.response.models import Response
from surveys.survey.models import Survey
from surveys.workspace.models import Workspace
from tests.support.helpers import table_count

HUGE = "9" * 400


def test_importer_refuses_huge_numbers_and_keeps_text(db_session, workspace):
    ws = db_session.get(Workspace, workspace.workspace.id)
    survey = Survey(workspace_id=ws.id, name="NPS", kind="nps", question="Q?")
    db_session.add(survey)
    db_session.commit()
    csv_text = (
        "id,score,external_id,attributes.arr,attributes.note,metadata.ref\n"
        "r-1,9,c-1,12000,fine,a\n"
        f"r-2,3,c-2,{HUGE},x,b\n"
        "r-3,4,c-3,1e400,x,c\n"
        "r-4,5,c-4,9007199254740993,x,d\n"
        "r-5,6,c-5,NaN,inf,e\n"
        f"r-6,7,c-6,12.5,x,{'z' * 5000}\n"
    )
    report = import_responses(db_session, workspace=ws, survey_id=survey.id, stream=io.StringIO(csv_text))
    assert (report.created, report.existing) == (2, 0), report.errors
    by_line = {e["line"]: e["errors"] for e in report.errors}
    assert set(by_line) == {3, 4, 5, 7}
    for line in (3, 4, 5):
        assert list(by_line[line]) == ["attributes.arr"], by_line[line]
    assert list(by_line[7]) == ["metadata.ref"]
    stored = dict(db_session.execute(select(Response.external_id, Response.attributes)).all())
    assert stored == {"r-1": {"arr": 12000, "note": "fine"}, "r-5": {"arr": "NaN", "note": "inf"}}
    # Refused rows left no contact behind either.
    assert table_count(db_session, Contact) == 2
