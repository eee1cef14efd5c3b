"""Marketing models, one module per area (each with an ``__all__``; no central list to edit)."""

from kehu.core.discover import import_submodules

from .campaigns import Campaign, CampaignCost, CampaignMember, MarketingPlan  # noqa: F401
from .mailings import CampaignMailing  # noqa: F401

import_submodules(__name__, globals())
