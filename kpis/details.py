"""Lists a person acts on, beside the records: ranked warm prospects and stale invitations.

They carry member ids in clear (the engine's state does too); sinks pseudonymize or encrypt
them before anything leaves the process.
"""

from __future__ import annotations

from dataclasses import dataclass

from kpis.actors import WarmProspect, warm_prospects
from kpis.config import EngineConfig
from kpis.invitations import stale_pending
from kpis.state import AccountState


@dataclass(frozen=True, slots=True)
class StaleInvitation:
    invitation_id: str
    invitee_id: str | None
    sent_at: int  # microseconds since epoch


@dataclass(frozen=True, slots=True)
class AccountDetails:
    warm_prospects: list[WarmProspect]
    stale_invitations: list[StaleInvitation]


def stale_invitations(st: AccountState, as_of: int, cfg: EngineConfig) -> list[StaleInvitation]:
    return [
        StaleInvitation(inv_id, inv.invitee, inv.sent_at or 0)
        for inv_id, inv in stale_pending(st, as_of, cfg)
    ]


def account_details(st: AccountState, as_of: int, cfg: EngineConfig) -> AccountDetails:
    return AccountDetails(warm_prospects(st, as_of, cfg), stale_invitations(st, as_of, cfg))
