"""Cases: the inner loop. A case rule opens one case per qualifying answer; someone owns it,
contacts the customer within the rule's SLA and closes it with a reason."""
