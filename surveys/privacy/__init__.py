"""Privacy: export everything held about a person, erase them, and retention of old answers."""
