"""Every domain's tables in one import, for Alembic, the app and the worker.

Importing this module registers all mapped classes with the metadata; it defines nothing itself.
"""

from surveys.alert import models as alert_models
from surveys.analysis import models as analysis_models
from surveys.case import models as case_models
from surveys.contact import models as contact_models
from surveys.contact import suppression as contact_suppression
from surveys.core import ledgers
from surveys.customer import models as customer_models
from surveys.digest import models as digest_models
from surveys.event import models as event_models
from surveys.invitation import models as invitation_models
from surveys.metrics import models as metrics_models
from surveys.privacy import models as privacy_models
from surveys.response import models as response_models
from surveys.roadmap import models as roadmap_models
from surveys.segment import models as segment_models
from surveys.survey import models as survey_models
from surveys.webhook import models as webhook_models
from surveys.workspace import models as workspace_models
from surveys.workspace import sessions as workspace_sessions

MODULES = (
    workspace_models,
    workspace_sessions,
    contact_models,
    contact_suppression,
    survey_models,
    event_models,
    invitation_models,
    response_models,
    analysis_models,
    segment_models,
    metrics_models,
    roadmap_models,
    webhook_models,
    digest_models,
    alert_models,
    case_models,
    customer_models,
    ledgers,
    privacy_models,
)
