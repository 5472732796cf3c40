"""Synthetic event streams for demos, tests and benchmarks (never imported by the engine)."""

from gen.synthetic import (
    RAW_LINE,
    GeneratorConfig,
    event_line,
    generate_events,
    make_invalid,
    persona_overrides,
    write_events,
)

__all__ = [
    "RAW_LINE",
    "GeneratorConfig",
    "event_line",
    "generate_events",
    "make_invalid",
    "persona_overrides",
    "write_events",
]
