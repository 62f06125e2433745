"""Laurel's domain: commendation campaigns as event-sourced aggregates and named rules.

Imports nothing of ours and nothing that does I/O except the eventsourcing library.
"""
