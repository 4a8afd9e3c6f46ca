"""Serving API of the model: predictions over HTTP, logged and monitored."""
