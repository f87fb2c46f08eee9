"""The ingest HTTP service: channel webhooks in, one durable intake workflow per message out."""
