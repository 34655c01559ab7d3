"""Schema migrations, generated with `tortoise makemigrations` and applied at start-up."""
