"""Progress, team view and report benchmark on a large seeded PostgreSQL database."""
