"""`socialkpi` command line: replay, schema, show, worker."""

from __future__ import annotations

import argparse
import json
import sys

from cli.replay import add_replay_arguments
from cli.replay import run as run_replay
from cli.show import add_show_parser
from cli.worker_cmd import add_worker_parser
from importers.cli import add_import_parsers
from kpis.timeutil import parse_ts, to_us
from models.events import EARLIEST, END


def _as_of(text: str | None) -> int | None:
    if text is None:
        return None
    as_of = parse_ts(text)
    if not to_us(EARLIEST) <= as_of < to_us(END):
        raise ValueError(f"--as-of {text}: must be from 2000-01-01 and before 2100-01-01 (UTC)")
    return as_of


def _cmd_replay(args: argparse.Namespace) -> int:
    return run_replay(args, _as_of(args.as_of))


def _cmd_schema(args: argparse.Namespace) -> int:
    from models.schema import event_json_schema

    text = json.dumps(event_json_schema(), indent=2, sort_keys=True) + "\n"
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="socialkpi", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    rp = sub.add_parser("replay", help="compute KPI records from JSON-lines event files")
    add_replay_arguments(rp)
    rp.set_defaults(func=_cmd_replay)
    sc = sub.add_parser("schema", help="write the JSON Schema of the event contract")
    sc.add_argument("--out", help="file to write (default: stdout)")
    sc.set_defaults(func=_cmd_schema)
    add_show_parser(sub)
    add_worker_parser(sub)
    add_import_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ValueError as exc:  # bad --as-of and the like: a message, not a traceback
        print(f"socialkpi: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
