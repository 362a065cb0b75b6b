"""The Slack incoming-webhook body for an event: a one-line ``text`` (what notifications show)
and Block Kit ``blocks`` with the score, the quoted comment, the themes and a link to the answer.

Customer text goes into Slack's mrkdwn, where ``&``, ``<`` and ``>`` are control characters
(``<!channel>`` pings everyone, ``<http://x|label>`` disguises a link): they are escaped as Slack
documents, and the comment is shown as a quote, bounded in length.
"""

COMMENT_CHARS = 1500
_TITLES = {
    "response.created": "New answer",
    "response.completed": "Answer completed",
    "response.detractor": "Detractor",
    "response.analyzed": "Answer analysed",
    "invitation.sent": "Invitation sent",
    "invitation.failed": "Invitation failed",
    "roadmap_item.status_changed": "Roadmap item status changed",
    "alert.triggered": "Alert",
    "ping": "Test message",
}


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _response_lines(response: dict, analysis: dict | None, answer_url: str) -> list[str]:
    kind = str(response.get("survey_kind") or "").upper()
    score = response.get("score")
    category = response.get("category")
    who = (response.get("contact") or {}).get("email") or (response.get("contact") or {}).get("external_id")
    head = f"*{escape(kind)} {score if score is not None else '-'}*"
    if category:
        head += f" ({escape(str(category))})"
    if who:
        head += f" from {escape(str(who))}"
    lines = [head]
    comment = (response.get("comment") or "").strip()
    if comment:
        if len(comment) > COMMENT_CHARS:
            comment = comment[:COMMENT_CHARS] + "…"
        lines.append("\n".join("> " + escape(line) for line in comment.splitlines() or [""]))
    themes = (analysis or {}).get("themes") or []
    if themes:
        lines.append("Themes: " + ", ".join(escape(str(t.get("name"))) for t in themes))
    if response.get("id"):
        lines.append(f"<{answer_url.replace('{id}', str(response['id']))}|Open the answer in vocservice>")
    return lines


def _alert_lines(alert: dict) -> list[str]:
    lines = [f"*{escape(str(alert.get('title', '')))}*"]
    if alert.get("difference") is not None and alert.get("ci95"):
        test = (alert.get("figures") or {}).get("test")
        low, high = alert["ci95"]
        lines.append(
            escape(
                f"{test}: difference {alert['difference']:+} (95% CI {low:+} to {high:+}), "
                f"p = {alert.get('p_value')}"
            )
        )
    for example in (alert.get("examples") or [])[:3]:
        comment = str(example.get("comment") or "").strip()[:500]
        lines.append(
            f"Score {escape(str(example.get('score')))}:\n"
            + "\n".join("> " + escape(line) for line in comment.splitlines() or [""])
        )
    url = str(alert.get("evidence_url") or "")
    if url.startswith(("http://", "https://")):
        lines.append(f"<{url}|See the answers in vocservice>")  # our own address, query encoded
    return lines


def message(envelope: dict, *, answer_url: str) -> dict:
    event_type = envelope.get("type", "")
    data = envelope.get("data") or {}
    title = _TITLES.get(event_type, event_type)
    if "response" in data:
        lines = _response_lines(data["response"], data.get("analysis"), answer_url)
    elif "alert" in data:
        lines = _alert_lines(data["alert"])
    elif "roadmap_item" in data:
        item = data["roadmap_item"]
        lines = [
            f"*{escape(str(item.get('title', '')))}*: {escape(str(data.get('previous_status')))} → "
            f"{escape(str(item.get('status')))}"
        ]
    elif "invitation" in data:
        invitation = data["invitation"]
        lines = [f"Invitation {escape(str(invitation.get('id')))} ({escape(str(invitation.get('channel')))})"]
        if invitation.get("error"):
            lines.append(escape(str(invitation["error"])))
    else:
        lines = [escape(str(data.get("message", "")))] if data.get("message") else []
    text = f"vocservice: {title}" + (f" - {lines[0]}" if lines else "")
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": f"vocservice: {title}"[:150]}}]
    if lines:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:3000]}})
    return {"text": text[:3000], "blocks": blocks}
