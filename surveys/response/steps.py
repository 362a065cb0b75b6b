"""What follows answers stored by bulk SQL in other domains (e.g. the daily rollups).

Answers written one by one go through the ORM, whose flush listeners (:mod:`surveys.wiring`) keep
the rollups. Set-based writes (:func:`surveys.response.batch.create_responses`) bypass those
listeners, so they run this hook instead, in the same transaction, with the inserted rows as
dicts keyed by column name: ``responses_inserted.run(session, rows=[...])``.
"""

from surveys.core.hooks import Hook

responses_inserted = Hook("responses_inserted")
