"""The demo workspace behind ``make run``: three surveys with touchpoints, a few hundred
customers in three plans and regions, and about 2,000 answers over six months that tell a story
(enterprise accounts hurt by SSO and Salesforce-sync problems, small teams by pricing), plus a
few open invitations so the hosted form can be tried at once. Answers arrive through events and
invitations, beside unanswered and suppressed ones, so the funnel is not empty. Deterministic (seeded).
"""

import random
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys.contact.models import Contact
from surveys.core.db import utcnow
from surveys.demo.cases import seed_cases
from surveys.demo.funnel import seed_funnel
from surveys.invitation.models import Invitation
from surveys.response.models import Response
from surveys.survey.models import Survey, Touchpoint
from surveys.workspace.models import ApiKey
from surveys.workspace.service import create_api_key, create_user, create_workspace

SLUG = "demo"
DEMO_EMAIL = "pm@demo.vocservice.local"
DEMO_PASSWORD = "demo-password"  # noqa: S105 - a local demo login, printed on purpose
DEMO_KEY_NAME = "make run demo key"

PRAISE = [
    "Onboarding was smooth and the setup wizard saved us hours.",
    "Support answered within minutes and solved it on the first reply.",
    "The dashboards are easy to use and my team loves the reports.",
    "Great product, the new editor is fast and intuitive.",
    "Documentation is clear and the API examples just work.",
    "Reliable for us, no downtime in months.",
]
PAINS = {
    "enterprise": [
        "SSO with Okta keeps failing and our admins have to reset passwords by hand.",
        "The Salesforce integration drops records every night, we reconcile manually.",
        "We need SAML SSO and audit logs before we can roll this out to more teams.",
        "Salesforce sync is slow and the integration breaks after every update.",
        "Permissions are too coarse for a company our size, we need custom roles.",
    ],
    "pro": [
        "Reports are slow to load when we filter by quarter.",
        "The mobile app crashes when I open an attachment.",
        "Exporting to CSV times out on large projects.",
        "Would love a Slack integration for notifications.",
    ],
    "starter": [
        "Too expensive for a small team, the price jumped at renewal.",
        "Pricing per seat makes no sense for us, we only have two active users.",
        "The mobile app is clunky and logs me out every day.",
        "Billing charged us twice this month and the invoice was wrong.",
    ],
}
PLANS = (("starter", 0.5, (600, 3000)), ("pro", 0.35, (6000, 24000)), ("enterprise", 0.15, (60000, 400000)))
REGIONS = ("na", "emea", "apac")


@dataclass
class DemoInfo:
    created: bool
    base_url: str
    api_key: str
    form_url: str | None
    responses: int

    def describe(self) -> str:
        lines = [
            "Demo workspace 'demo' " + ("created." if self.created else "already there."),
            f"  Service:        {self.base_url}/",
            f"  Dashboard:      {self.base_url}/app  (log in as {DEMO_EMAIL} / {DEMO_PASSWORD})",
            f"  API docs:       {self.base_url}/api/docs",
            f"  Demo API key:   {self.api_key}",
            f"  Try:            curl -H 'Authorization: Bearer {self.api_key}' "
            f"{self.base_url}/api/v1/responses?limit=5",
            f"  Responses:      {self.responses}",
        ]
        if self.form_url:
            lines.append(f"  Answer a survey as a customer: {self.form_url}")
        return "\n".join(lines)


def _comment(rng: random.Random, plan: str, score: int) -> str | None:
    if rng.random() < 0.15:
        return None  # some people only give a score
    if score >= 9:
        return rng.choice(PRAISE)
    if score >= 7:
        return rng.choice(PRAISE) if rng.random() < 0.5 else rng.choice(PAINS[plan])
    pain = rng.choice(PAINS[plan])
    if rng.random() < 0.7:
        return pain
    # "But the price..." yet "But SSO...": keep acronyms as they are.
    joined = pain if pain[:2].isupper() else pain[0].lower() + pain[1:]
    return f"{rng.choice(PRAISE)} But {joined}"


def _nps_score(rng: random.Random, plan: str, days_ago: int) -> int:
    base = {"starter": 6.8, "pro": 8.0, "enterprise": 7.4}[plan]
    if plan == "enterprise" and days_ago < 60:
        base -= 1.6  # the SSO/Salesforce problems got worse lately
    return max(0, min(10, round(rng.gauss(base, 2.0))))


def seed_demo(session: Session, *, responses: int = 2000, base_url: str) -> DemoInfo:
    from surveys.workspace.models import Workspace

    workspace = session.execute(select(Workspace).where(Workspace.slug == SLUG)).scalar_one_or_none()
    created = workspace is None
    if created:
        workspace = create_workspace(session, name="Demo Company", slug=SLUG, taxonomy="saas")
        workspace.branding = {"color": "#4f46e5", "name": "Demo Company"}
        user = create_user(
            session, workspace=workspace, email=DEMO_EMAIL, role="admin", password=DEMO_PASSWORD
        )
        _seed_content(session, workspace, responses)
        # Issue 10: the inbox has cases, some worked and some waiting.
        seed_cases(session, workspace_id=workspace.id, owner_id=user.id)
    # A fresh key each time so `make run` can always print one; the previous one is revoked.
    for old in session.execute(
        select(ApiKey).where(
            ApiKey.workspace_id == workspace.id, ApiKey.name == DEMO_KEY_NAME, ApiKey.revoked_at.is_(None)
        )
    ).scalars():
        old.revoked_at = utcnow()
    _, key = create_api_key(session, workspace=workspace, role="admin", name=DEMO_KEY_NAME)
    open_invitation = session.execute(
        select(Invitation)
        .where(
            Invitation.workspace_id == workspace.id,
            Invitation.status == "sent",
            Invitation.expires_at > utcnow(),
        )
        .limit(1)
    ).scalar_one_or_none()
    count = session.query(Response).filter(Response.workspace_id == workspace.id).count()
    return DemoInfo(
        created=created,
        base_url=base_url,
        api_key=key,
        responses=count,
        form_url=f"{base_url}/s/{open_invitation.token}" if open_invitation else None,
    )


def _seed_content(session: Session, workspace, responses: int) -> None:
    rng = random.Random(42)
    now = utcnow()
    nps = Survey(
        workspace_id=workspace.id,
        name="Relationship NPS",
        kind="nps",
        question="How likely are you to recommend Demo Company to a colleague?",
        comment_prompt="What is the most important reason for your score?",
        translations={
            "de": {
                "question": "Wie wahrscheinlich ist es, dass Sie Demo Company einem Kollegen empfehlen?",
                "comment_prompt": "Was ist der wichtigste Grund für Ihre Bewertung?",
            }
        },
    )
    csat = Survey(
        workspace_id=workspace.id,
        name="Support CSAT",
        kind="csat",
        question="How satisfied were you with our support?",
        comment_prompt="How could we have helped you better?",
    )
    ces = Survey(
        workspace_id=workspace.id,
        name="Onboarding effort",
        kind="ces",
        question="How easy was it to get set up?",
        comment_prompt="What got in the way?",
    )
    session.add_all([nps, csat, ces])
    session.flush()
    touchpoints = [
        Touchpoint(
            workspace_id=workspace.id,
            survey_id=nps.id,
            name="90 days after signup",
            event="account.day_90",
            channel="email",
            delay_seconds=0,
            reminder_after_days=3,
            expires_after_days=14,
        ),
        Touchpoint(
            workspace_id=workspace.id,
            survey_id=csat.id,
            name="Ticket solved",
            event="ticket.solved",
            channel="email",
            delay_seconds=3600,
            cancel_on=["ticket.reopened"],
            recontact_days=7,
        ),
        Touchpoint(
            workspace_id=workspace.id,
            survey_id=ces.id,
            name="Onboarding done",
            event="onboarding.completed",
            channel="link",
        ),
    ]
    session.add_all(touchpoints)
    contacts = []
    for i in range(600):
        plan = rng.choices([p[0] for p in PLANS], weights=[p[1] for p in PLANS])[0]
        low, high = next(p[2] for p in PLANS if p[0] == plan)
        contacts.append(
            Contact(
                workspace_id=workspace.id,
                external_id=f"cust-{i:04d}",
                email=f"customer{i:04d}@example.com",
                name=f"Customer {i:04d}",
                locale=rng.choice(["en", "en", "en", "de"]),
                attributes={
                    "plan": plan,
                    "region": rng.choice(REGIONS),
                    "arr": rng.randrange(low, high, 100),
                    "company": f"Company {i % 240}",
                },
            )
        )
    session.add_all(contacts)
    session.flush()
    surveys = [(nps, touchpoints[0], 0.7), (csat, touchpoints[1], 0.2), (ces, touchpoints[2], 0.1)]
    rows = []
    for _ in range(responses):
        survey, touchpoint, _w = rng.choices(surveys, weights=[s[2] for s in surveys])[0]
        contact = rng.choice(contacts)
        plan = contact.attributes["plan"]
        days_ago = rng.randrange(0, 180)
        nps_like = _nps_score(rng, plan, days_ago)
        score = {
            "nps": nps_like,
            "csat": max(1, min(5, round(nps_like / 2))),
            "ces": max(1, min(7, round(nps_like * 0.7))),
        }[survey.kind]
        rows.append(
            Response(
                workspace_id=workspace.id,
                survey_id=survey.id,
                contact_id=contact.id,
                touchpoint_id=touchpoint.id,
                score=score,
                comment=_comment(rng, plan, nps_like),
                completed=True,
                source="email",
                locale=contact.locale,
                meta={},
                attributes=dict(contact.attributes),
                submitted_at=now - timedelta(days=days_ago, minutes=rng.randrange(1440)),
            )
        )
    # Issue 12: each answer came from an event and an invitation, beside the unanswered ones.
    seed_funnel(
        session, workspace=workspace, touchpoints=touchpoints, contacts=contacts, answers=rows, now=now
    )
    session.add_all(rows)
    for contact in contacts[:5]:
        session.add(
            Invitation(
                workspace_id=workspace.id,
                contact_id=contact.id,
                survey_id=nps.id,
                touchpoint_id=touchpoints[0].id,
                token=secrets.token_urlsafe(24),
                channel="email",
                status="sent",
                scheduled_for=now,
                sent_at=now,
                expires_at=now + timedelta(days=14),
            )
        )
    session.flush()
    _seed_roadmap(session, workspace)  # issue 4, engineer B: roadmap items and their links
    _seed_segments(session, workspace)  # issue 4, engineer C: the dashboard's segment story
    _seed_region_segments(session, workspace)  # issue 4, engineer A: plan x region segments


def _seed_roadmap(session: Session, workspace) -> None:
    from surveys.demo.roadmap import seed_roadmap

    seed_roadmap(session, workspace)


DEMO_SEGMENTS = (
    ("Enterprise accounts", [{"field": "attributes.plan", "op": "eq", "value": "enterprise"}]),
    ("Pro accounts", [{"field": "attributes.plan", "op": "eq", "value": "pro"}]),
    ("Starter accounts", [{"field": "attributes.plan", "op": "eq", "value": "starter"}]),
    ("Large accounts (ARR 50k+)", [{"field": "attributes.arr", "op": "gte", "value": 50000}]),
)


def _seed_segments(session: Session, workspace) -> None:
    """Saved segments, so the dashboard can say which customers a theme hurts (skipping any
    name another seeding step already created)."""
    from surveys.segment.models import Segment
    from surveys.segment.service import create_segment

    existing = set(
        session.execute(select(Segment.name).where(Segment.workspace_id == workspace.id)).scalars()
    )
    for name, conditions in DEMO_SEGMENTS:
        if name not in existing:
            create_segment(session, workspace=workspace, data={"name": name, "conditions": conditions})


def _seed_region_segments(session: Session, workspace) -> None:
    from surveys.segment.service import seed_demo_segments

    seed_demo_segments(session, workspace)
