"""The Thai fiscal calendar: fiscal years named by BE year, the two assessment rounds, accepted windows."""
