"""Root pytest configuration: loads the shared plugins (browser tests)."""

pytest_plugins = ["closeloop.testing.plugin"]
