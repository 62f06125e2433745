"""Everything that touches the outside: settings, persistence, logging, Temporal, tokens."""
