"""The demo workspace's roadmap: four items that answer what its customers complain about, so
``?sort=impact`` tells the story at once (SSO and Salesforce sync carry the enterprise revenue,
per-seat pricing the most detractors among small teams, mobile stability trails)."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys.analysis.models import Theme
from surveys.roadmap.mapping import remap_item
from surveys.roadmap.models import RoadmapItem, RoadmapItemTheme
from surveys.workspace.models import Workspace

ITEMS = (
    (
        "SSO with Okta/SAML",
        "planned",
        "DEMO-101",
        ("security & privacy",),
        ("sso", "saml", "okta", "single sign-on"),
        "Single sign-on through Okta and any SAML 2.0 identity provider, with SCIM provisioning.",
    ),
    (
        "Salesforce sync reliability",
        "in_progress",
        "DEMO-102",
        (),
        ("salesforce", "sync"),
        "No more dropped records: retries, a sync log and alerts when the nightly sync fails.",
    ),
    (
        "Per-seat pricing for small teams",
        "idea",
        "DEMO-103",
        ("pricing",),
        ("price", "pricing", "per seat"),
        "A starter plan billed per active seat, so two-person teams stop paying for ten.",
    ),
    (
        "Mobile app stability",
        "planned",
        "DEMO-104",
        ("mobile",),
        ("mobile app", "crash", "crashes"),
        "Fix the attachment crash and the daily logouts in the mobile app.",
    ),
)


def seed_roadmap(session: Session, workspace: Workspace) -> list[RoadmapItem]:
    """Create the demo items and link the responses that already match them.

    Keyword links are made at once; theme links appear as the background analysis stores each
    batch (``surveys.analysis.service`` maps them), and any response analysed already is mapped here.
    """
    themes = dict(
        session.execute(select(Theme.name, Theme.id).where(Theme.workspace_id == workspace.id)).all()
    )
    items = []
    for title, status, ref, theme_names, keywords, description in ITEMS:
        item = RoadmapItem(
            workspace_id=workspace.id,
            title=title,
            status=status,
            external_ref=ref,
            keywords=list(keywords),
            description=description,
        )
        item.theme_links = [RoadmapItemTheme(theme_id=themes[n]) for n in theme_names if n in themes]
        session.add(item)
        items.append(item)
    session.flush()
    for item in items:
        remap_item(session, item_id=item.id)
    return items
