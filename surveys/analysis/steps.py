"""What follows a stored analysis or tag correction in other domains (e.g. roadmap links).

Run inside the same transaction as the analysis rows, with the workspace and the response ids
whose themes just changed: ``after_analysis.run(session, workspace_id=..., response_ids=[...])``.
"""

from surveys.core.hooks import Hook

after_analysis = Hook("after_analysis")
