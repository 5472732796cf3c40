"""Redis, a materialized view of the KPI records (key schema: ``docs/redis.md``).

One job per module: `keys` (key names), `client` (connections from the settings),
`documents` (the pure shaping of what is written), `writer` (`RedisView`, the publisher),
`reader` (`RedisViewReader`, used by ``socialkpi show``), `alerts` (`RedisAlertFeed`).
"""
