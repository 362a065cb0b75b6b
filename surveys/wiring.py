"""Everything the domain runs without being called by name, installed in one visible place.

``create_app`` calls :func:`install` with the app's session. Reading this function is how one
learns what follows a ``session.flush()`` and what follows a stored analysis:

- before each flush, answers needing text analysis are marked pending and their ids handed to the
  job port (:mod:`surveys.analysis.tracking`), which enqueues batched jobs after commit;
- before and after each flush, daily rollups take +1/-1 deltas of every stored, changed or deleted
  answer in the same transaction (:mod:`surveys.metrics.rollups`), and theme rollups of the days
  touched are recomputed (:mod:`surveys.metrics.theme_rollups`);
- answers stored set-based (API batches, CSV imports), which no flush sees, are added to the
  daily rollups in their own transaction (:func:`surveys.metrics.rollups.count_inserted`);
- a saved segment created, changed or deleted gets its daily and theme rollups (re)built or
  dropped (:mod:`surveys.metrics.dims`), so segment figures read rollups too;
- after each flush, the roadmap impact rollups of answers changed, deleted or (un)linked through
  the ORM are brought in step (:mod:`surveys.roadmap.rollups`; mapping refreshes its own);
- after an analysis or a tag correction is stored, roadmap items are linked to the answers
  (:func:`surveys.roadmap.mapping.map_responses`);
- answers stored, completed or analysed, invitations sent or failed and roadmap status changes
  write their outbound webhook events to the outbox in the same transaction: answers through an
  ``after_flush`` listener and the ``responses_inserted`` hook
  (:mod:`surveys.response.webhooks`), analyses through ``after_analysis``
  (:mod:`surveys.analysis.webhooks`), the others where they happen (:mod:`surveys.webhook.outbox`);
- a digest email is made of the sections registered on ``digest_sections``
  (:mod:`surveys.digest.sections`): score, themes and roadmap (:mod:`surveys.digest.builtin`);
- a roadmap re-survey's invitation email says what shipped
  (:func:`surveys.roadmap.resurvey.shipped_note` on ``invitation_notes``);
- answers made final at the unhappy end of their scale leave a detractor signal for the
  workspace's detractor alert rules, in the same transaction (:mod:`surveys.alert.signals`);
  the tick evaluates the alert rules (:mod:`surveys.alert.evaluate`);
- answers stored or analysed get their contacts' health scored in the same transaction: ORM
  writes through an ``after_flush`` note and a ``before_commit`` step, set-based inserts through
  ``responses_inserted``, analyses through ``after_analysis`` (:mod:`surveys.customer.steps`);
- a new workspace starts with a copy of a built-in taxonomy's themes
  (:func:`surveys.analysis.themes.seed_themes`) and the default case rule;
- final answers (flush, set-based inserts) and analyses that qualify them open cases, once per
  answer; a removed user's open cases are reassigned (:mod:`surveys.case.steps`);
- after each flush of answers (or cases) and after set-based inserts, the rescue-rate facts of
  the customers concerned are recomputed in the same transaction (:mod:`surveys.case.rescue`;
  cases opened update theirs where they open).
"""

from sqlalchemy import event
from sqlalchemy.orm import scoped_session

from surveys.alert import signals as alert_signals
from surveys.analysis import tracking
from surveys.analysis import webhooks as analysis_webhooks
from surveys.analysis.steps import after_analysis
from surveys.analysis.themes import seed_themes
from surveys.case import rescue
from surveys.case import steps as case_steps
from surveys.customer import steps as customer_steps
from surveys.digest import builtin as digest_builtin
from surveys.digest import loop as digest_loop
from surveys.digest.sections import digest_sections
from surveys.invitation.mail import invitation_notes
from surveys.metrics import dims, rollups, theme_rollups
from surveys.response import webhooks as response_webhooks
from surveys.response.steps import responses_inserted
from surveys.roadmap import rollups as roadmap_rollups
from surveys.roadmap.mapping import map_responses
from surveys.roadmap.resurvey import shipped_note
from surveys.segment.steps import segment_deleted, segment_saved
from surveys.workspace.service import user_removed, workspace_created

SESSION_LISTENERS = (
    ("before_flush", tracking.track_responses),
    ("before_flush", rollups.collect_deltas),
    ("after_flush", rollups.apply_collected),
    ("after_flush", theme_rollups.refresh_collected),
    ("before_flush", roadmap_rollups.collect),
    ("after_flush", roadmap_rollups.apply_collected),
    ("after_flush", response_webhooks.track_flush),
    ("after_flush", alert_signals.track_flush),
    ("after_flush", case_steps.track_flush),
    ("before_flush", rescue.collect),
    ("after_flush", rescue.apply_collected),
    ("after_flush", customer_steps.track_flush),
    ("before_commit", customer_steps.score_tracked),
    ("after_rollback", customer_steps.drop_tracked),
    ("after_rollback", rollups.drop_collected),
    ("after_rollback", roadmap_rollups.drop_collected),
    ("after_rollback", rescue.drop_collected),
)


def install(session: scoped_session) -> None:
    """Install the domain's flush listeners on ``session`` and its cross-domain steps; idempotent."""
    for name, listener in SESSION_LISTENERS:
        if not event.contains(session, name, listener):
            event.listen(session, name, listener)
    after_analysis.register(map_responses)
    after_analysis.register(analysis_webhooks.emit_analyzed)
    responses_inserted.register(rollups.count_inserted)
    responses_inserted.register(response_webhooks.on_inserted)
    responses_inserted.register(alert_signals.on_inserted)
    responses_inserted.register(customer_steps.on_inserted)
    after_analysis.register(customer_steps.on_analysis)
    segment_saved.register(dims.segment_saved)
    segment_deleted.register(dims.segment_deleted)
    workspace_created.register(seed_themes)
    invitation_notes.register(shipped_note)
    for section in (
        digest_builtin.score_section,
        digest_builtin.themes_section,
        digest_builtin.roadmap_section,
        digest_loop.cases_section,
        digest_loop.alerts_section,
    ):
        digest_sections.register(section)
    # Cases: opened on final answers (flush, set-based inserts) and on analyses that qualify
    # them; every workspace starts with the default rule; a removed user's cases move on.
    after_analysis.register(case_steps.on_analysed)
    responses_inserted.register(case_steps.on_inserted)
    responses_inserted.register(rescue.on_inserted)
    workspace_created.register(case_steps.seed_rule)
    user_removed.register(case_steps.on_user_removed)
