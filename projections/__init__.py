"""Read models built from the event log: dashboards, rankings, the audit trail."""
