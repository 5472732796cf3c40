"""The live worker: Faust agents running the pure engine over Kafka, state in a changelog.

`streams.app.run_worker(settings)` (or `python -m streams`) runs it; `streams.topics`
creates the topics first; `streams.settings.WorkerSettings` lists every setting.
"""
