"""Business rules as small named functions. Each returns the list of every failed rule
(an empty list means the rule holds); callers raise the matching DomainError."""
