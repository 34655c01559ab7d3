"""Config for Tortoise's CLI: `python -m tortoise -c storage.migration_config.TORTOISE_ORM makemigrations`."""

from config.settings import Settings
from storage.db import tortoise_config

TORTOISE_ORM = tortoise_config(Settings().resolved_database_url)
