"""Serving API of the Titanic survival model: predictions over HTTP, monitored."""
