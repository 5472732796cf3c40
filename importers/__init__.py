"""Importers: real inputs (LinkedIn data export, Campaign Manager reports, outreach-tool
webhooks, a synthetic stream) turned into contract events for Kafka or a JSON-lines file.

Every event goes through `models.parse_event` before it is written, and its `event_id`
derives from the source row or webhook, so importing the same thing twice counts nothing
twice (the engine keeps one event per id and account). Reference: `docs/importers.md`.
"""
