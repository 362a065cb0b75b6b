"""Answers that span domains: a response with its analysis and the roadmap items it asks for.

Each domain serialises its own part (:func:`surveys.response.service.serialize_response`,
:func:`surveys.analysis.service.serialize_analysis`, :func:`surveys.roadmap.service.response_items`);
the shell, which may see every domain, puts them together once here.
"""

from surveys.analysis.service import serialize_analysis
from surveys.response.models import Response
from surveys.response.service import serialize_response
from surveys.roadmap.service import response_items


def response_body(response: Response) -> dict:
    """DESIGN.md's response: the answer, then ``analysis`` (status, sentiment, themes, roadmap items)."""
    body = serialize_response(response)
    body["analysis"] = {**serialize_analysis(response), "roadmap_items": response_items(response)}
    return body
