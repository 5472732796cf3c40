"""Invitations: daily rate, cohort acceptance, new connections, stale pending (seeds 0, 3, 4)."""

from __future__ import annotations

from dataclasses import dataclass

from kpis.config import EngineConfig
from kpis.daily import Contribution, add_contact, add_daily, day_expired, move_contribution
from kpis.emit import Emitter, bucket_next_change, earliest, group_daily, next_after, ratio, rollup
from kpis.state import AccountState, Invitation
from kpis.timeutil import DAY_US, HOUR_US, day_of
from models.events import InvitationAccepted, InvitationSent, InvitationWithdrawn

DAY_WEEK_MONTH = ("day", "week", "month")


def resolves(resolved_at: int | None, sent_at: int, retention_us: int) -> bool:
    """Whether a resolution belongs to the send: one 90 days or more after it finds no record
    (kept "until resolved or 90 days"), whatever the order the two events arrived in."""
    return resolved_at is not None and resolved_at - sent_at < retention_us


def is_orphan(inv: Invitation, retention_us: int) -> bool:
    accepted_at, sent_at = inv.accepted_at, inv.sent_at
    return accepted_at is not None and (sent_at is None or accepted_at - sent_at >= retention_us)


def contribution(inv: Invitation, retention_us: int) -> Contribution:
    """What one invitation adds to the day buckets, given everything known about it."""
    out: Contribution = []
    sent_at = inv.sent_at
    if sent_at is not None and inv.outbound:
        day = sent_at // DAY_US
        out.append((("invitations_sent", day), 1))
        out.append((("cohort_sent", day), 1))
        if resolves(inv.accepted_at, sent_at, retention_us):
            out.append((("cohort_accepted", day), 1))
        elif resolves(inv.withdrawn_at, sent_at, retention_us):
            out.append((("cohort_withdrawn", day), 1))
    if inv.accepted_at is not None:
        day = inv.accepted_at // DAY_US
        out.append((("new_connections", day), 1))
        if inv.target:
            out.append((("new_connections_target", day), 1))
    return out


def live_record(
    st: AccountState, invitation_id: str, t: int, cfg: EngineConfig
) -> Invitation | None:
    """The invitation's record as an event at `t` finds it: a record that prune could have
    dropped by then counts as gone, so that records never depend on when prune runs."""
    inv = st.invitations.get(invitation_id)
    if inv is not None and inv.last_time() <= t - cfg.invitation_retention_us:
        return None
    return inv


def _record(st: AccountState, invitation_id: str, t: int, cfg: EngineConfig) -> Invitation | None:
    inv = live_record(st, invitation_id, t, cfg)
    if inv is None:
        if day_expired(st, t // DAY_US, cfg.bucket_retention_us):
            return None  # late: the day buckets it feeds are closed
        inv = st.invitations[invitation_id] = Invitation()
    return inv


def on_sent(st: AccountState, ev: InvitationSent, t: int, cfg: EngineConfig) -> bool:
    invitation_id = ev.invitation_id
    inv = live_record(st, invitation_id, t, cfg)
    if inv is None:
        # The usual case, a first send: the general path below, with nothing to take back.
        if day_expired(st, t // DAY_US, cfg.bucket_retention_us):
            return False  # late: the day buckets it feeds are closed
        outbound = ev.direction == "outbound"
        invitee = ev.invitee_id
        st.invitations[invitation_id] = Invitation(t, outbound, ev.invitee_is_target, invitee)
        if outbound:
            day = t // DAY_US
            add_contact(st, day, invitee, cfg)
            add_daily(st, ("invitations_sent", day), 1, cfg)
            add_daily(st, ("cohort_sent", day), 1, cfg)
        st.touch("invitations", invitation_id)
        return True
    outbound = ev.direction == "outbound"
    facts = (outbound, ev.invitee_is_target, ev.invitee_id)
    if inv.sent_at is not None and (
        inv.sent_at < t or (inv.sent_at == t and (inv.outbound, inv.target, inv.invitee) >= facts)
    ):
        return True  # the earliest send wins (ties: the greater facts), whatever the order
    old = contribution(inv, cfg.invitation_retention_us)
    if inv.outbound and inv.sent_at is not None and inv.invitee is not None:
        add_contact(st, day_of(inv.sent_at), inv.invitee, cfg, -1)
    inv.sent_at, inv.outbound, inv.target = t, outbound, ev.invitee_is_target
    inv.invitee = ev.invitee_id
    if outbound:
        add_contact(st, day_of(t), ev.invitee_id, cfg)
    move_contribution(st, old, contribution(inv, cfg.invitation_retention_us), cfg)
    st.touch("invitations", invitation_id)
    return True


def on_resolved(
    st: AccountState, ev: InvitationAccepted | InvitationWithdrawn, t: int, cfg: EngineConfig
) -> bool:
    inv = _record(st, ev.invitation_id, t, cfg)
    if inv is None:
        return False
    old = contribution(inv, cfg.invitation_retention_us)
    if ev.type == "invitation.accepted":
        if inv.accepted_at is not None and inv.accepted_at <= t:
            return True
        inv.accepted_at = t
    else:
        if inv.withdrawn_at is not None and inv.withdrawn_at <= t:
            return True
        inv.withdrawn_at = t
    move_contribution(st, old, contribution(inv, cfg.invitation_retention_us), cfg)
    st.touch("invitations", ev.invitation_id)
    return True


@dataclass(slots=True)
class Cohort:
    sent: int = 0
    accepted: int = 0
    withdrawn: int = 0

    def emit(self, emit: Emitter, period: str) -> None:
        emit("invitation_cohort_sent", period, self.sent)
        emit("invitation_cohort_accepted", period, self.accepted)
        emit("invitation_cohort_withdrawn", period, self.withdrawn)
        emit("invitation_cohort_pending", period, self.sent - self.accepted - self.withdrawn)
        emit("invitation_acceptance_rate", period, ratio(self.accepted, self.sent))


def stale_pending(st: AccountState, as_of: int, cfg: EngineConfig) -> list[tuple[str, Invitation]]:
    """Outbound invitations still pending after the stale threshold, oldest first."""
    limit = as_of - cfg.stale_pending_after_us
    horizon = as_of - cfg.invitation_retention_us
    stale = [
        (inv_id, inv)
        for inv_id, inv in st.invitations.items()
        if inv.outbound
        and inv.sent_at is not None
        and inv.sent_at < limit
        # neither accepted nor withdrawn by as_of
        and (inv.accepted_at is None or inv.accepted_at > as_of)
        and (inv.withdrawn_at is None or inv.withdrawn_at > as_of)
        and inv.last_time() > horizon
    ]
    stale.sort(key=lambda item: (item[1].sent_at or 0, item[0]))
    return stale


def evaluate(st: AccountState, emit: Emitter, cfg: EngineConfig) -> None:
    as_of = emit.as_of
    daily = group_daily(st.daily)
    # Only records prune would keep at `as_of` take part: records never depend on prune.
    horizon = as_of - cfg.invitation_retention_us
    live = [  # (the send alone decides for almost every record: no method call)
        inv
        for inv in st.invitations.values()
        if (inv.sent_at is not None and inv.sent_at > horizon) or inv.last_time() > horizon
    ]
    retention = cfg.bucket_retention_us
    accepted = rollup(daily["new_connections"][()], DAY_WEEK_MONTH, as_of, retention)
    cohorts: dict[str, Cohort] = {}
    for field in ("sent", "accepted", "withdrawn"):
        by_day = rollup(daily[f"cohort_{field}"][()], ("day",), as_of, retention)
        for label, count in by_day.items():
            setattr(cohorts.setdefault(label, Cohort()), field, count)
    if not live and not accepted and not cohorts:
        return  # no invitation data for this account (a sent invitation is in a cohort)
    for label, count in rollup(
        daily["invitations_sent"][()], DAY_WEEK_MONTH, as_of, retention
    ).items():
        emit("invitations_sent", label, count)
    targeted = rollup(daily["new_connections_target"][()], DAY_WEEK_MONTH, as_of, retention)
    for label, count in accepted.items():
        emit("new_connections", label, count)
        emit("target_share_of_new_connections", label, ratio(targeted.get(label, 0), count))
    for label, cohort in cohorts.items():
        cohort.emit(emit, label)

    window_start = as_of - cfg.acceptance_window_us
    day_start = as_of - 24 * HOUR_US
    rolling, sent_24h, orphans = Cohort(), 0, 0
    retention_us = cfg.invitation_retention_us
    for inv in live:
        accepted_at = inv.accepted_at
        if accepted_at is not None and horizon < accepted_at <= as_of:
            orphans += is_orphan(inv, retention_us)
        sent_at = inv.sent_at
        if sent_at is None or sent_at > as_of or not inv.outbound:
            continue
        sent_24h += sent_at > day_start
        if sent_at > window_start:
            rolling.sent += 1
            if inv.accepted_at is not None and inv.accepted_at <= as_of:
                rolling.accepted += 1
            elif inv.withdrawn_at is not None and inv.withdrawn_at <= as_of:
                rolling.withdrawn += 1
    emit("invitations_sent", "rolling_24h", sent_24h)
    rolling.emit(emit, f"rolling_{cfg.acceptance_window_us // HOUR_US}h")
    emit("stale_pending_invitations", "total", len(stale_pending(st, as_of, cfg)))
    emit("orphan_acceptances", "total", orphans)


def next_change(st: AccountState, as_of: int, cfg: EngineConfig) -> int | None:
    """When `evaluate` (and `stale_pending`) may change with no event: a day bucket enters or
    leaves retention; an invitation's send reaches as_of, leaves the 24h and acceptance
    windows, turns stale (strictly after 21 days) or ages past the record retention; its
    acceptance or withdrawal reaches as_of; an orphan acceptance ages past retention."""
    days = {int(key[1]) for key in st.daily if key[0] in DAILY_METRICS}
    buckets = bucket_next_change(as_of, days, cfg.bucket_retention_us)
    retention = cfg.invitation_retention_us
    sent, accepted, resolved, last = [], [], [], []
    for inv in st.invitations.values():
        if inv.sent_at is not None:
            sent.append(inv.sent_at)
        if inv.accepted_at is not None:
            accepted.append(inv.accepted_at)
            resolved.append(inv.accepted_at)
        if inv.withdrawn_at is not None:
            resolved.append(inv.withdrawn_at)
        last.append(inv.last_time())
    windows = (0, 24 * HOUR_US, cfg.acceptance_window_us, cfg.stale_pending_after_us + 1)
    return earliest(
        buckets,
        next_after(as_of, sent, (*windows, retention)),
        next_after(as_of, accepted, (retention,)),
        next_after(as_of, resolved, (0,)),
        next_after(as_of, last, (retention,)),
    )


DAILY_METRICS = frozenset(
    (
        "invitations_sent",
        "cohort_sent",
        "cohort_accepted",
        "cohort_withdrawn",
        "new_connections",
        "new_connections_target",
    )
)

__all__ = ["DAY_US", "evaluate", "on_resolved", "on_sent", "stale_pending"]
