"""The service: app factory, channel adapters, dispatcher and command-line entry (`python -m bot`)."""
