"""Invitation email: rendering, one-click links, RFC 8058 headers, a real SMTP server, .eml mode."""

import re
import socket
from email import message_from_bytes, policy

import pytest

from surveys.contact.models import Contact
from surveys.invitation.mail import MailError, render_invitation, send_message
from surveys.workspace.models import Workspace
from tests.support.helpers import make_invitation
from vocservice.config import links

BASE = "http://voc.test"
LINKS = links({"PUBLIC_BASE_URL": BASE})


def _parts(message) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def test_render_invitation_has_one_click_links_for_every_score(db_session, workspace):
    invitation = make_invitation(db_session, workspace.workspace.id, kind="csat")
    message = render_invitation(invitation, links=LINKS)
    assert message.get_content_type() == "multipart/alternative"
    text, html = _parts(message)
    links = re.findall(r'href="([^"]+\?score=\d+)"', html)
    assert links == [f"{BASE}/s/{invitation.token}?score={n}" for n in range(1, 6)]
    assert f"{BASE}/s/{invitation.token}?score=5" in text
    assert "Very dissatisfied" in html and "Very satisfied" in text
    assert message["To"].addresses[0].addr_spec == "ann@example.com"
    assert message["Subject"] == "A quick question from Acme Test"


def test_render_invitation_unsubscribe_headers_and_stable_message_id(db_session, workspace):
    invitation = make_invitation(db_session, workspace.workspace.id)
    first = render_invitation(invitation, links=LINKS)
    again = render_invitation(invitation, links=LINKS)
    reminder = render_invitation(invitation, links=LINKS, reminder=True)
    assert first["Message-ID"] == again["Message-ID"] == f"<{invitation.id}@voc.test>"
    assert reminder["Message-ID"] != first["Message-ID"]
    assert reminder["Subject"].startswith("Reminder:")
    assert first["List-Unsubscribe"] == f"<{BASE}/u/{invitation.token}>"
    assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = _parts(first)
    assert f'href="{BASE}/u/{invitation.token}"' in html and f"{BASE}/u/{invitation.token}" in text


def test_render_invitation_localised_and_escaped(db_session, workspace):
    ws = db_session.get(Workspace, workspace.workspace.id)
    ws.branding = {"color": "#0a7d3b", "name": "Bäckerei <Müller> & Co", "logo_url": "javascript:alert(1)"}
    db_session.commit()
    invitation = make_invitation(
        db_session,
        ws.id,
        locale="de",
        name="<img src=x onerror=alert(1)>",
        translations={"de": {"question": "Wie wahrscheinlich empfehlen Sie uns?"}},
    )
    message = render_invitation(invitation, links=LINKS)
    text, html = _parts(message)
    assert '<html lang="de">' in html and "Wie wahrscheinlich empfehlen Sie uns?" in html
    assert "Äußerst wahrscheinlich" in html and "Umfrage öffnen" in text
    assert "Möchten Sie" not in html  # email carries no comment box, only the scale
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "Bäckerei &lt;Müller&gt; &amp; Co" in html and "javascript:" not in html
    assert "background:#0a7d3b" in html
    assert message["Subject"] == "Eine kurze Frage von Bäckerei <Müller> & Co"
    # the plain-text part is not HTML: no entities in it
    assert "<img src=x onerror=alert(1)>" in text


def test_render_invitation_keeps_headers_on_one_line(db_session, workspace):
    invitation = make_invitation(db_session, workspace.workspace.id, name="Ann\r\nBcc: x@evil.test")
    message = render_invitation(invitation, links=LINKS)
    assert message["To"].addresses[0].display_name == "Ann Bcc: x@evil.test"
    assert "Bcc" not in message


def test_render_invitation_needs_an_address(db_session, workspace):
    invitation = make_invitation(db_session, workspace.workspace.id, email=None)
    with pytest.raises(MailError):
        render_invitation(invitation, links=LINKS)


def test_send_message_over_smtp(db_session, workspace, smtp_server):
    invitation = make_invitation(db_session, workspace.workspace.id)
    message = render_invitation(invitation, links=LINKS)
    assert send_message(message, smtp_url=smtp_server.url, mail_from="Acme <nps@acme.test>") is None
    [received] = smtp_server.messages
    assert received["From"] == "Acme <nps@acme.test>"
    assert received["Message-ID"] == f"<{invitation.id}@voc.test>"
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = received.get_body(preferencelist=("html",)).get_content()
    assert f"/s/{invitation.token}?score=10" in html


def test_send_message_failure_is_a_clear_error(db_session, workspace):
    invitation = make_invitation(db_session, workspace.workspace.id)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    message = render_invitation(invitation, links=LINKS)
    with pytest.raises(MailError, match=f"127.0.0.1:{port}"):
        send_message(message, smtp_url=f"smtp://127.0.0.1:{port}", mail_from="a@b.test")
    with pytest.raises(MailError, match="SMTP_URL"):
        send_message(message, smtp_url="http://127.0.0.1:25", mail_from="a@b.test")


def test_send_message_without_smtp_writes_eml(db_session, workspace, tmp_path):
    invitation = make_invitation(db_session, workspace.workspace.id)
    path = send_message(
        render_invitation(invitation, links=LINKS),
        smtp_url=None,
        mail_from="a@b.test",
        outbox_dir=tmp_path / "mail",
    )
    assert path.parent == tmp_path / "mail" and path.suffix == ".eml"
    stored = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert stored["Message-ID"] == f"<{invitation.id}@voc.test>" and stored["From"] == "a@b.test"
    assert f"/s/{invitation.token}?score=0" in stored.get_body(preferencelist=("html",)).get_content()


def test_one_click_unsubscribe_from_the_header(client, db_session, workspace):
    invitation = make_invitation(db_session, workspace.workspace.id)
    header = render_invitation(invitation, links=LINKS)["List-Unsubscribe"]
    path = header.strip("<>").removeprefix(BASE)
    response = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    db_session.expire_all()
    assert db_session.get(Contact, invitation.contact_id).unsubscribed_at is not None
