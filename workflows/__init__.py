"""Temporal workflows and their activities: phase deadlines, re-inspection, forwarding."""
