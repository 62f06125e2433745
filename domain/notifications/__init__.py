"""Notifications to people (issue 24): what each event tells whom (``rules``), the notices the
write path puts in the outbox in the same transaction as their event (``notices``), the
bilingual templates kept as data (``templates.yaml``, ``rendering``) and what a person may
choose (``preferences``). Delivery (inbox, e-mail, digest) is infra/notifications."""
