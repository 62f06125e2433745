"""The ``laurel`` command line: the API server, ``laurel up`` (the embedded stack's
supervisor), the demo, and the operators' commands (tokens, projections, audit, webhooks)."""
