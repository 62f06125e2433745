"""The FastAPI app, its pages, and the ``laurel`` CLI."""
