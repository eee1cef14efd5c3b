"""Background work of the leads area: scores recomputed after a scoring rule changed."""

from __future__ import annotations

from django.utils.translation import gettext as _

from kehu.core.models import BackgroundJob
from kehu.core.tasks import job_task


@job_task("kehu.sales.rescore_leads_job")
def rescore_leads_job(job: BackgroundJob) -> str:
    from ..actions.leads import recompute_scores

    changed = recompute_scores(progress=job.set_progress)
    return _("%(count)s leads changed score.") % {"count": changed}
