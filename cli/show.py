"""``socialkpi show [ACCOUNT] [--kpi NAME] [--json] [--reveal]``: read an account's snapshot.

Without ACCOUNT, the accounts the worker published within the TTL, one per line.

A table for a person (records grouped by KPI, the 48-hour post curves, ranked warm
prospects and stale invitations to withdraw) or JSON for machines. Member ids are shown
as pseudonyms unless the reveal key is given (``--reveal`` reads SOCIALKPI_REVEAL_KEY:
keys never go on the command line, where ``ps`` would show them).

Wiring into the CLI is one line in ``cli.main.build_parser``: ``add_show_parser(sub)``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from decimal import Decimal
from itertools import groupby
from typing import Any

import redis
from pydantic import SecretStr

from models.records import KpiRecord, RecordValue
from sinks.privacy import KeyInput, PrivacyError, Sealer
from sinks.redis.client import redact_url
from sinks.redis.documents import CURVE_KPIS, ProspectEntry, StaleInvitationEntry
from sinks.redis.reader import AccountSnapshot, RedisViewReader
from sinks.settings import SinkSettings

PROSPECT_KPIS = ("warm_prospects", "warm_prospects_to_invite")
STALE_KPIS = ("stale_pending_invitations",)


class AccountNotFound(LookupError):
    """Nothing is published in Redis for the account (unknown, or its keys expired)."""


def show(
    redis_url: str | SecretStr | None,
    account_id: str,
    kpi: str | None = None,
    as_json: bool = False,
    reveal_key: KeyInput | None = None,
    *,
    prefix: str | None = None,
    settings: SinkSettings | None = None,
) -> str:
    """The account's snapshot as text (table) or JSON. `redis_url` None = the settings' URL;
    AUTH/TLS options and the prefix come from `settings` (default: the environment).
    Raises `AccountNotFound`, and `RevealError` when `reveal_key` is not the writer's key."""
    settings = settings or SinkSettings()
    update: dict[str, Any] = {}
    if redis_url is not None:
        update["redis_url"] = (
            redis_url if isinstance(redis_url, SecretStr) else SecretStr(redis_url)
        )
    if prefix is not None:
        update["redis_prefix"] = prefix
    if update:
        settings = settings.model_copy(update=update)
    sealer = Sealer(reveal_key) if reveal_key is not None else None
    reader = RedisViewReader.from_settings(settings)
    try:
        snapshot = reader.snapshot(account_id)
        known = reader.accounts() if snapshot is None else []
    finally:
        reader.close()
    if snapshot is None:
        raise AccountNotFound(
            f"no snapshot for account {account_id!r} in Redis (prefix {settings.redis_prefix!r}):"
            " unknown account, or the worker has not published it within the TTL; published: "
            + (", ".join(known[:20]) + (" ..." if len(known) > 20 else "") if known else "none")
        )
    view = _View(snapshot, kpi, sealer)
    return view.json() if as_json else view.table()


class _View:
    def __init__(self, snapshot: AccountSnapshot, kpi: str | None, sealer: Sealer | None) -> None:
        self.snapshot = snapshot
        self.kpi = kpi
        self.sealer = sealer
        self.records = [r for r in snapshot.records if kpi is None or r.kpi == kpi]
        self.with_curves = kpi is None or kpi in CURVE_KPIS or kpi == "post_curves"
        self.with_prospects = kpi is None or kpi in PROSPECT_KPIS
        self.with_stale = kpi is None or kpi in STALE_KPIS
        account = snapshot.account_id
        # Revealed ids, decrypted once (a wrong key raises RevealError here, before output).
        self.prospect_ids = [
            self._reveal(p.encrypted_id, account) if self.with_prospects else None
            for p in snapshot.warm_prospects
        ]
        self.stale_ids = [
            self._reveal(s.invitee_encrypted_id, account) if self.with_stale else None
            for s in snapshot.stale_invitations
        ]

    def _reveal(self, token: str | None, account_id: str) -> str | None:
        if self.sealer is None or token is None:
            return None
        return self.sealer.reveal(token, account_id)

    # --- JSON ------------------------------------------------------------------------------
    def json(self) -> str:
        snap = self.snapshot
        out: dict[str, Any] = {
            "account_id": snap.account_id,
            "meta": snap.meta,
            "kpi": self.kpi,
            "records": [r.to_dict() for r in self.records if r.kpi not in CURVE_KPIS]
            if self.kpi is None
            else [r.to_dict() for r in self.records],
        }
        if self.with_curves:
            out["curves"] = snap.curves
        if self.with_prospects:
            out["warm_prospects"] = [
                _prospect_json(p, member_id)
                for p, member_id in zip(snap.warm_prospects, self.prospect_ids, strict=True)
            ]
        if self.with_stale:
            out["stale_invitations"] = [
                _stale_json(s, member_id)
                for s, member_id in zip(snap.stale_invitations, self.stale_ids, strict=True)
            ]
        return json.dumps(out, indent=2, ensure_ascii=False) + "\n"

    # --- table -----------------------------------------------------------------------------
    def table(self) -> str:
        snap, meta = self.snapshot, self.snapshot.meta
        lines = [f"Account {snap.account_id}"]
        facts = [
            f"as of {meta.get('as_of') or '-'}",
            f"published {meta.get('published_at') or '-'}",
            f"by {meta.get('worker_id') or '-'}",
        ]
        lines.append("  " + ", ".join(facts))
        plain = [r for r in self.records if r.kpi not in CURVE_KPIS]
        if not plain and self.kpi is not None and self.kpi not in CURVE_KPIS:
            lines += ["", f"(no record of KPI {self.kpi!r})"]
        for kpi, group in groupby(plain, key=lambda r: r.kpi):
            rows = [[r.period, _dims_text(r), _value_text(r.value)] for r in group]
            lines += ["", kpi, *_table(["period", "dims", "value"], rows, indent=2)]
        if self.with_curves:
            lines += self._curves_lines()
        if self.with_prospects:
            lines += self._prospect_lines()
        if self.with_stale:
            lines += self._stale_lines()
        return "\n".join(lines) + "\n"

    def _curves_lines(self) -> list[str]:
        curves = self.snapshot.curves
        if not curves:
            return [] if self.kpi is None else ["", "Post curves: none"]
        lines = ["", f"Post curves, 48 hours after publication ({len(curves)} posts)"]
        for post_id, doc in curves.items():
            totals = doc.get("totals") or {}
            facts = [f"{k} {_value_text(v)}" for k, v in totals.items()]
            if doc.get("long_lived") is not None:
                facts.append("long-lived" if doc["long_lived"] else "not long-lived")
            lines += ["", f"  post {post_id}" + (": " + ", ".join(facts) if facts else "")]
            rows = [
                [
                    str(h["hour"]),
                    _value_text(h["views"]),
                    _value_text(h["interactions"]),
                    _value_text(h["cumulative_views"]),
                    _value_text(h["cumulative_interactions"]),
                ]
                for h in doc.get("hours", [])
            ]
            headers = ["hour", "views", "interactions", "cum. views", "cum. interactions"]
            lines += _table(headers, rows, indent=4)
        return lines

    def _prospect_lines(self) -> list[str]:
        prospects = self.snapshot.warm_prospects
        lines = ["", f"Warm prospects ({len(prospects)}), most engaged first"]
        if not self.snapshot.meta.get("member_lists", True):
            return [*lines, "  (not published: the worker has no pseudonym key)"]
        if not prospects:
            return [*lines, "  none"]
        rows = [
            [
                str(p.rank),
                _member_text(p.pseudonym, p.encrypted_id, member_id, self.sealer),
                str(p.interactions),
                "-" if p.degree is None else str(p.degree),
                "invite to connect" if p.invite_to_connect else "message (1st degree)",
            ]
            for p, member_id in zip(prospects, self.prospect_ids, strict=True)
        ]
        return lines + _table(["rank", "member", "interactions", "degree", "action"], rows, 2)

    def _stale_lines(self) -> list[str]:
        stale = self.snapshot.stale_invitations
        lines = ["", f"Stale invitations ({len(stale)}), pending over 21 days: withdraw them"]
        if not self.snapshot.meta.get("member_lists", True):
            return [*lines, "  (not published: the worker has no pseudonym key)"]
        if not stale:
            return [*lines, "  none"]
        rows = [
            [
                s.invitation_id,
                _member_text(s.invitee_pseudonym, s.invitee_encrypted_id, member_id, self.sealer)
                if s.invitee_pseudonym
                else "-",
                s.sent_at or "-",
                "-" if s.days_pending is None else str(s.days_pending),
            ]
            for s, member_id in zip(stale, self.stale_ids, strict=True)
        ]
        return lines + _table(["invitation", "invitee", "sent at", "days pending"], rows, 2)


def _prospect_json(p: ProspectEntry, member_id: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "rank": p.rank,
        "pseudonym": p.pseudonym,
        "interactions": p.interactions,
        "degree": p.degree,
        "invite_to_connect": p.invite_to_connect,
    }
    if member_id is not None:
        out["member_id"] = member_id
    return out


def _stale_json(s: StaleInvitationEntry, member_id: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "invitation_id": s.invitation_id,
        "invitee_pseudonym": s.invitee_pseudonym,
        "sent_at": s.sent_at,
        "days_pending": s.days_pending,
    }
    if member_id is not None:
        out["invitee_id"] = member_id
    return out


def _member_text(
    pseudonym: str | None, encrypted: str | None, member_id: str | None, sealer: Sealer | None
) -> str:
    if member_id is not None:
        return f"{member_id} ({pseudonym})"
    if sealer is not None and encrypted is None:
        return f"{pseudonym} (id not encrypted by the worker)"
    return pseudonym or "-"


def _dims_text(record: KpiRecord) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(record.dims.items())) or "-"


def _value_text(value: RecordValue | str | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return format(value, ".6g")
    return str(value)


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], indent: int = 0) -> list[str]:
    body = [list(row) for row in rows]
    widths = [len(h) for h in headers]
    for row in body:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    pad = " " * indent

    def line(cells: Sequence[str]) -> str:
        return pad + "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return [line(headers), *(line(row) for row in body)]


# --------------------------------------------------------------------------- CLI


def add_show_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``show`` on an argparse subparsers object (handler in ``func``)."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "show",
        help="print an account's KPI snapshot from Redis",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    parser.add_argument(
        "account", metavar="ACCOUNT", nargs="?", help="account_id (omit it: list the accounts)"
    )
    parser.add_argument("--kpi", metavar="NAME", help="only this KPI (e.g. invitations_sent)")
    parser.add_argument("--json", action="store_true", help="JSON for machines")
    parser.add_argument(
        "--reveal",
        action="store_true",
        help="show member ids in clear, decrypted with SOCIALKPI_REVEAL_KEY",
    )
    parser.add_argument(
        "--redis-url",
        help="default SOCIALKPI_REDIS_URL (put passwords in the environment, not here)",
    )
    parser.add_argument("--prefix", help="key prefix (default SOCIALKPI_REDIS_PREFIX)")
    parser.set_defaults(func=run_show)
    return parser


def run_show(args: argparse.Namespace) -> int:
    """Handler of ``socialkpi show``: 0 printed, 1 nothing to show / Redis down, 2 bad key."""
    try:
        settings = SinkSettings()
        reveal_key: SecretStr | None = None
        if args.reveal:
            if settings.reveal_key is None:
                raise PrivacyError("--reveal needs SOCIALKPI_REVEAL_KEY in the environment")
            reveal_key = settings.reveal_key
        if args.account is None:
            return _list_accounts(args, settings)
        text = show(
            args.redis_url,
            args.account,
            kpi=args.kpi,
            as_json=args.json,
            reveal_key=reveal_key,
            prefix=args.prefix,
            settings=settings,
        )
    except PrivacyError as exc:
        print(f"socialkpi show: {exc}", file=sys.stderr)
        return 2
    except AccountNotFound as exc:
        print(f"socialkpi show: {exc}", file=sys.stderr)
        return 1
    except redis.RedisError as exc:
        url = args.redis_url or SinkSettings().redis_url.get_secret_value()
        print(
            f"socialkpi show: Redis at {redact_url(url)}: {type(exc).__name__}: {exc}",
            file=sys.stderr,
        )
        return 1
    sys.stdout.write(text)
    return 0


def _list_accounts(args: argparse.Namespace, settings: SinkSettings) -> int:
    """The published accounts, one per line (JSON list with --json); 1 when there is none."""
    update: dict[str, Any] = {}
    if args.redis_url is not None:
        update["redis_url"] = SecretStr(args.redis_url)
    if args.prefix is not None:
        update["redis_prefix"] = args.prefix
    reader = RedisViewReader.from_settings(settings.model_copy(update=update))
    try:
        accounts = reader.accounts()
    finally:
        reader.close()
    if args.json:
        sys.stdout.write(json.dumps(accounts) + "\n")
    elif accounts:
        sys.stdout.write("".join(f"{account}\n" for account in accounts))
    else:
        print(
            "socialkpi show: no account published in Redis (is the worker running?)",
            file=sys.stderr,
        )
    return 0 if accounts else 1
