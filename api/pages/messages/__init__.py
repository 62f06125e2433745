"""The pages' message catalogues beyond the shared one in ``api/pages/i18n.py``: one module
per area of the work UI, each a ``MESSAGES`` table of key -> (zh-CN, English). Terms of the
domain (states, decisions, roles…) are not here: they come from ``domain/vocabulary.py``."""
