"""Scenario files (../shared/scenarios/SCHEMA.md): the format, loading a scenario's shop
data, running scenarios through the real workflow, and their behaviour fingerprints."""
