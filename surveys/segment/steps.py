"""What follows a saved segment's change in other domains (its rollups, in the metrics domain).

:func:`surveys.segment.service.create_segment` and ``update_segment`` run ``segment_saved`` with
the stored segment (and whether its conditions changed), ``delete_segment`` runs
``segment_deleted`` with its ids, all in the caller's transaction; :mod:`surveys.wiring`
registers the steps.
"""

from surveys.core.hooks import Hook

segment_saved = Hook("segment_saved")
segment_deleted = Hook("segment_deleted")
