"""The pure KPI engine: no Faust, Kafka or Redis here."""

from kpis.config import EngineConfig
from kpis.engine import Engine
from kpis.store import MemoryStore, StateStore

__all__ = ["Engine", "EngineConfig", "MemoryStore", "StateStore"]
