"""Test data and worlds for every kind of test, built through Laurel's commands.

- ``clock``: UTC instants, a clock a test can set, each seed template's timeline.
- ``tree``: the organisational tree (示范市 > 宜君县 > 彭镇 > 前双村 …) as data.
- ``actors``: who acts in the tests, defined once.
- ``material``: the typical material (seed 002) and materials of a given length.
- ``forms``: declaration forms, pre-review checks and inspection scores that meet the seeds.
- ``aggregates``: an aggregate built on its own, without an application.
- ``world``: Laurel with units registered; campaigns and nominations built with ``app.execute``.
- ``scripted``: a seed-000 campaign scripted through every state of its year.
- ``backends``: a database URL per event store (a SQLite file, a PostgreSQL schema).
- ``services``: the composed services (``infra.bootstrap``) over a database URL.
- ``http``: the HTTP API in the test process or on a real port, and clients per token.
- ``http_world``: units, tokens, campaigns and request bodies over HTTP.
- ``cli``: the ``laurel`` command line run as a process.
"""
