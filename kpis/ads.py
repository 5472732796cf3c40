"""LinkedIn Ads per campaign, creative, format, currency and day, with restatement (seed 000)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from kpis.config import EngineConfig
from kpis.daily import day_expired, drop_expired_days, last_expired_day
from kpis.emit import Emitter, bucket_next_change, earliest, money, ratio, retained_day_cutoff
from kpis.state import AD_EVENT_FIELD, AD_FIELDS, AccountState, AdGroup, AdReport
from kpis.timeutil import DAY_US, day_info, day_of, day_of_date
from models.events import AdDailyReport, AdEvent

GroupKey = tuple[int, str, str, str, str]  # day, campaign, creative, format, currency
CardKey = tuple[int, str, str, str, str, int]  # the group's key and the card_index
_ZERO = Decimal(0)
_THOUSAND = Decimal(1000)
OPTIONAL_COUNTS = AD_FIELDS[2:]  # video_views, sends, opens, leads, conversions
OPTIONAL_KPIS = tuple(f"ad_{name}" for name in OPTIONAL_COUNTS)


def _group(st: AccountState, key: GroupKey) -> AdGroup:
    group = st.ads.get(key)
    if group is None:
        group = st.ads[key] = AdGroup()
    return group


def on_event(st: AccountState, ev: AdEvent, t: int, cfg: EngineConfig) -> bool:
    day = t // DAY_US
    if (day + 1) * DAY_US <= st.watermark - cfg.bucket_retention_us:  # `day_expired`, inlined
        return False
    key = (day, ev.campaign_id, ev.creative_id, ev.format, ev.currency)
    group = st.ads.get(key)
    if group is None:
        group = st.ads[key] = AdGroup()
    field = AD_EVENT_FIELD[ev.type]
    count = ev.count
    group.counts[field] += count
    cost = ev.cost
    if cost != "0":
        group.cost += Decimal(cost)
    dirty = st.dirty
    if dirty is not None:
        dirty.add(("ads", key))
    card_index = ev.card_index
    if card_index is not None and field < 2:  # impressions or clicks of one carousel card
        card_key = (*key, card_index)
        card = st.cards.get(card_key)
        if card is None:
            card = st.cards[card_key] = [0, 0]
        card[field] += count
        if dirty is not None:
            dirty.add(("cards", card_key))
    return True


def on_report(st: AccountState, ev: AdDailyReport, t: int, cfg: EngineConfig) -> bool:
    day = day_of_date(ev.date)
    if day_expired(st, day, cfg.bucket_retention_us):
        return False
    key = (day, ev.campaign_id, ev.creative_id, ev.format, ev.currency)
    group = _group(st, key)
    known = group.report
    if known is None or (t, ev.event_id) > (known.occurred_at, known.event_id):
        counts = (ev.impressions, ev.clicks, ev.video_views, ev.sends, ev.opens, ev.leads)
        group.report = AdReport(t, ev.event_id, (*counts, ev.conversions), Decimal(ev.cost))
        st.touch("ads", key)
    return True


def effective(group: AdGroup, as_of: int) -> tuple[list[int | None], Decimal]:
    """The group's numbers: its authoritative report if any (at or before as_of), else sums."""
    report = group.report
    if report is not None and report.occurred_at <= as_of:
        return list(report.counts), report.cost
    return list(group.counts), group.cost


def retained_groups(
    st: AccountState, as_of: int, cfg: EngineConfig
) -> Iterator[tuple[GroupKey, list[int | None], Decimal]]:
    first_day, last_day = retained_day_cutoff(as_of, cfg.bucket_retention_us), day_of(as_of)
    for key, group in st.ads.items():
        if first_day <= key[0] <= last_day:
            counts, cost = effective(group, as_of)
            yield key, counts, cost


def evaluate(st: AccountState, emit: Emitter, cfg: EngineConfig) -> None:
    for key, counts, spend in retained_groups(st, emit.as_of, cfg):
        group_records(emit, key, counts, spend)
    first_day, last_day = (
        retained_day_cutoff(emit.as_of, cfg.bucket_retention_us),
        day_of(emit.as_of),
    )
    for card_key, card in st.cards.items():
        if first_day <= card_key[0] <= last_day:
            card_records(emit, card_key, card)


def group_records(emit: Emitter, key: GroupKey, counts: list[int | None], spend: Decimal) -> None:
    """The records of one ad group on its day (`effective` numbers)."""
    add = emit.add
    day, campaign, creative, ad_format, currency = key
    period = day_info(day).day_label
    # One dims dict shared by the group's records (never mutated).
    dims: dict[str, str | int] = {
        "campaign_id": campaign,
        "creative_id": creative,
        "format": ad_format,
        "currency": currency,
    }
    impressions, clicks = counts[0] or 0, counts[1] or 0
    add("ad_impressions", period, impressions, dims)
    add("ad_clicks", period, clicks, dims)
    add("ad_spend", period, spend, dims)
    if impressions:
        add("ad_ctr", period, float(clicks) / float(impressions), dims)  # `ratio`
        add("ad_cpm", period, money(spend * _THOUSAND / impressions), dims)
    if clicks:
        add("ad_cpc", period, money(spend / clicks), dims)
    video_views, sends, opens, leads, conversions = counts[2:]
    for name, value in zip(OPTIONAL_KPIS, counts[2:], strict=True):
        if value:
            add(name, period, value, dims)
    if video_views:
        add("ad_cpv", period, money(spend / video_views), dims)
    if sends:
        add("ad_cps", period, money(spend / sends), dims)
        add("ad_open_rate", period, float(opens or 0) / float(sends), dims)
    if leads:
        add("ad_cpl", period, money(spend / leads), dims)
    if clicks:
        add("ad_conversion_rate", period, float(conversions or 0) / float(clicks), dims)
    if conversions:
        add("ad_cpa", period, money(spend / conversions), dims)


def card_records(emit: Emitter, card_key: CardKey, card: list[int]) -> None:
    """The records of one carousel card of an ad group on its day."""
    day, campaign, creative, ad_format, currency, card_index = card_key
    impressions, clicks = card
    period = day_info(day).day_label
    dims = {"campaign_id": campaign, "creative_id": creative, "format": ad_format}
    dims["currency"] = currency
    emit("ad_card_impressions", period, impressions, **dims, card_index=card_index)
    emit("ad_card_clicks", period, clicks, **dims, card_index=card_index)
    emit("ad_card_ctr", period, ratio(clicks, impressions), **dims, card_index=card_index)


def evaluate_group(
    st: AccountState,
    emit: Emitter,
    key: GroupKey,
    cards: list[CardKey],
    cfg: EngineConfig,
) -> int | None:
    """The records of one group and its cards (`cards`: their keys) at `emit.as_of`, the
    way `evaluate` emits them; returns the group's next change with no event (None: none)."""
    as_of = emit.as_of
    day = key[0]
    included = retained_day_cutoff(as_of, cfg.bucket_retention_us) <= day <= day_of(as_of)
    group = st.ads.get(key)
    if included:
        if group is not None:
            counts, spend = effective(group, as_of)
            group_records(emit, key, counts, spend)
        for card_key in cards:
            card = st.cards.get(card_key)
            if card is not None:
                card_records(emit, card_key, card)
    # the day enters (at or before as_of) or leaves retention; a report becomes effective
    change = bucket_next_change(as_of, (day,), cfg.bucket_retention_us)
    if group is not None and group.report is not None and group.report.occurred_at > as_of:
        change = earliest(change, group.report.occurred_at)
    return change


def spend_next_change(st: AccountState, as_of: int, cfg: EngineConfig) -> int | None:
    """When `spend_by_day` may change with no event (outcomes' ROI and CAC use it)."""
    days = bucket_next_change(as_of, {key[0] for key in st.ads}, cfg.bucket_retention_us)
    reports = [
        group.report.occurred_at
        for group in st.ads.values()
        if group.report is not None and group.report.occurred_at > as_of
    ]
    return earliest(days, min(reports, default=None))


def _cost_per(spend: Decimal, units: int | None) -> Decimal | None:
    return money(spend / units) if units else None


def spend_by_day(st: AccountState, as_of: int, cfg: EngineConfig) -> dict[tuple[int, str], Decimal]:
    """(day, currency) -> ad spend, for ROI and CAC."""
    out: dict[tuple[int, str], Decimal] = {}
    for key, _counts, cost in retained_groups(st, as_of, cfg):
        slot = (key[0], key[4])
        out[slot] = out.get(slot, _ZERO) + cost
    return out


def prune(st: AccountState, cfg: EngineConfig) -> None:
    last_day = last_expired_day(st, cfg.bucket_retention_us)  # day_expired: day <= last_day
    drop_expired_days(st, "ads", st.ads, 0, last_day)
    drop_expired_days(st, "cards", st.cards, 0, last_day)
