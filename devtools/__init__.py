"""Developer tools: embedded Temporal, the demo and its traffic, scenarios, the demo shop,
classifier training."""
