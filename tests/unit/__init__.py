"""Hand-worked unit tests of the KPI engine, the event contract and the replay CLI."""
