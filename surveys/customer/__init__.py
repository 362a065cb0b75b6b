"""Customers: one record per contact and per account, with an explained health score, its daily
history, the evidence of how well it predicted churn, and the revenue behind each complaint."""
