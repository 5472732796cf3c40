"""Direct messages: volume, conversations started, reply rate, time to reply (seeds 000, 003)."""

from __future__ import annotations

from kpis.config import EngineConfig
from kpis.daily import Contribution, add_contact, add_daily, day_expired, move_contribution
from kpis.emit import (
    Emitter,
    bucket_next_change,
    earliest,
    group_daily,
    next_after,
    quantile,
    ratio,
    rollup,
)
from kpis.state import AccountState, Conversation
from kpis.timeutil import DAY_US, US
from models.events import MessageReceived, MessageSent

REPLY_WINDOWS = (("rolling_7d", 7 * DAY_US), ("rolling_30d", 30 * DAY_US))


def contribution(conv: Conversation) -> Contribution:
    started = conv.started_at()
    return [] if started is None else [(("conversations_started", started // DAY_US), 1)]


def on_message(
    st: AccountState, ev: MessageSent | MessageReceived, t: int, cfg: EngineConfig
) -> bool:
    outbound = ev.type == "message.sent"
    counted = False
    if outbound:
        assert isinstance(ev, MessageSent)
        day = t // DAY_US
        counted = add_daily(st, ("messages_sent", day), 1, cfg)
        add_contact(st, day, ev.recipient_id, cfg)
    conversation_id = ev.conversation_id
    conv = st.conversations.get(conversation_id)
    if conv is not None and conv.last_time() <= t - cfg.invitation_retention_us:
        conv = None  # expired (prune may have dropped it already): a new conversation
    if conv is None:
        if day_expired(st, t // DAY_US, cfg.bucket_retention_us):
            return counted
        conv = st.conversations[conversation_id] = Conversation()
        old: Contribution = []  # a new conversation contributes nothing yet
    else:
        old = contribution(conv)
    last = conv.last_message_at
    if last is None or t > last:
        conv.last_message_at = t
        st.touch("conversations", conversation_id)
    if outbound:
        if conv.first_sent_at is not None and conv.first_sent_at <= t:
            return True
        conv.first_sent_at = t
    else:
        if conv.first_received_at is not None and conv.first_received_at <= t:
            return True
        conv.first_received_at = t
    move_contribution(st, old, contribution(conv), cfg)
    st.touch("conversations", conversation_id)
    return True


def evaluate(st: AccountState, emit: Emitter, cfg: EngineConfig) -> None:
    as_of = emit.as_of
    daily = group_daily(st.daily)
    retention = cfg.bucket_retention_us
    for label, count in rollup(
        daily["messages_sent"][()], ("day", "week"), as_of, retention
    ).items():
        emit("messages_sent", label, count)
    started_days = rollup(daily["conversations_started"][()], ("day",), as_of, retention)
    for label, count in started_days.items():
        emit("conversations_started", label, count)
    # Only records prune would keep at `as_of` take part: records never depend on prune.
    horizon = as_of - cfg.invitation_retention_us
    live = [conv for conv in st.conversations.values() if conv.last_time() > horizon]
    if not live:
        return
    for period, length in REPLY_WINDOWS:
        started = 0
        delays: list[float] = []
        for conv in live:
            start = conv.started_at()
            if start is None or not as_of - length < start <= as_of:
                continue
            started += 1
            received = conv.first_received_at
            if received is not None and received <= as_of:
                delays.append((received - start) / US)
        emit("reply_cohort_started", period, started)
        emit("reply_cohort_replied", period, len(delays))
        emit("reply_rate", period, ratio(len(delays), started))
        delays.sort()
        for q in ("0.5", "0.9"):
            if delays:
                emit("time_to_first_reply_seconds", period, quantile(delays, float(q)), quantile=q)


DAILY_METRICS = frozenset(("messages_sent", "conversations_started"))


def next_change(st: AccountState, as_of: int, cfg: EngineConfig) -> int | None:
    """When `evaluate` may change with no event: a day bucket enters or leaves retention; a
    conversation's start reaches as_of or leaves a reply window, its first reply reaches
    as_of, or it ages past the record retention."""
    days = {int(key[1]) for key in st.daily if key[0] in DAILY_METRICS}
    buckets = bucket_next_change(as_of, days, cfg.bucket_retention_us)
    started, received, last = [], [], []
    for conv in st.conversations.values():
        start = conv.started_at()
        if start is not None:
            started.append(start)
        if conv.first_received_at is not None:
            received.append(conv.first_received_at)
        last.append(conv.last_time())
    return earliest(
        buckets,
        next_after(as_of, started, (0, *(length for _period, length in REPLY_WINDOWS))),
        next_after(as_of, received, (0,)),
        next_after(as_of, last, (cfg.invitation_retention_us,)),
    )
