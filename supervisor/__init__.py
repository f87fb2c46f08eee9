"""The supervisor console: the escalation queue and the CLI's supervisor commands."""
