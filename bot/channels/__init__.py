"""Channel adapters: each verifies, parses and renders one platform (LINE, Telegram, web simulator)."""
