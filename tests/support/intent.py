"""Answers whose comments ask for things, complain and praise, for the intent tests."""

HOSTILE_ASK = 'Please add a Jira integration <img src=x onerror=alert("ask")>.'
# The newest ask first: the dashboard quotes the newest mention.
ASKS = [
    ("pro", 2, HOSTILE_ASK),
    ("enterprise", 3, "Would love a Slack integration."),
    ("starter", 4, "We need an integration with Salesforce."),
]
COMPLAINTS = [
    ("pro", 1, "Billing charged us twice and still no refund."),
    ("starter", 2, "The invoice was wrong again, billing is a mess."),
]
PRAISE = [("enterprise", 10, "Support was wonderful, thank you!")]
INTENT_COMMENTS = [*ASKS, *COMPLAINTS, *PRAISE]
