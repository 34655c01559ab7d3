"""Persistence: Tortoise ORM models, schema migrations and the queries the rest of the service uses."""
