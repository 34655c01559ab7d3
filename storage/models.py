"""Tortoise ORM models: roster, chat identities, durable inbox/outbox and conversation state."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Unit(Model):
    """An organisational unit in a tree (agency, group, section)."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    parent: fields.ForeignKeyNullableRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name="children", null=True, on_delete=fields.RESTRICT
    )

    class Meta:
        table = "unit"
        unique_together = (("parent", "name"),)


class Staff(Model):
    """A member of staff from the roster."""

    id = fields.IntField(primary_key=True)
    employee_code = fields.CharField(max_length=32, unique=True)
    title = fields.CharField(max_length=64, default="")
    first_name = fields.CharField(max_length=100)
    last_name = fields.CharField(max_length=100)
    position = fields.CharField(max_length=200, default="")
    personnel_type = fields.CharField(max_length=64, default="")
    target_group = fields.CharField(max_length=64, default="")
    unit: fields.ForeignKeyNullableRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name="staff", null=True, on_delete=fields.SET_NULL
    )
    supervisor: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="subordinates", null=True, on_delete=fields.SET_NULL
    )
    is_supervisor = fields.BooleanField(default=False)
    is_admin = fields.BooleanField(default=False)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "staff"

    @property
    def display_name(self) -> str:
        """Title and full name as printed on documents."""
        return f"{self.title}{self.first_name} {self.last_name}".strip()


class ChatIdentity(Model):
    """A LINE, Telegram or simulator user linked to one staff member."""

    id = fields.IntField(primary_key=True)
    channel = fields.CharField(max_length=16)
    platform_user_id = fields.CharField(max_length=128)
    staff: fields.ForeignKeyRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="identities", on_delete=fields.CASCADE
    )
    linked_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "chat_identity"
        unique_together = (("channel", "platform_user_id"),)


class LinkCode(Model):
    """A one-time code that links a chat account to a staff member (only its hash is kept)."""

    id = fields.IntField(primary_key=True)
    staff: fields.ForeignKeyRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="link_codes", on_delete=fields.CASCADE
    )
    code_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    used_at = fields.DatetimeField(null=True)
    revoked = fields.BooleanField(default=False)

    class Meta:
        table = "link_code"


class InboundEvent(Model):
    """A webhook event stored before the platform gets its 200, processed once afterwards."""

    id = fields.BigIntField(primary_key=True)
    event_id = fields.CharField(max_length=160, unique=True)
    channel = fields.CharField(max_length=16)
    user_key = fields.CharField(max_length=160, default="")
    payload = fields.JSONField()
    received_at = fields.FloatField()
    status = fields.CharField(max_length=16, default="pending", db_index=True)
    attempts = fields.IntField(default=0)
    lease_until = fields.FloatField(null=True)
    processed_at = fields.FloatField(null=True)
    error = fields.CharField(max_length=200, null=True)

    class Meta:
        table = "inbound_event"


class OutboxMessage(Model):
    """Replies waiting to be delivered, written in the same transaction as the state they report."""

    id = fields.BigIntField(primary_key=True)
    channel = fields.CharField(max_length=16)
    chat = fields.CharField(max_length=128, db_index=True)
    payload = fields.JSONField()
    reply_token = fields.CharField(max_length=128, null=True)
    reply_token_at = fields.FloatField(null=True)
    source_event = fields.CharField(max_length=160, null=True)
    status = fields.CharField(max_length=16, default="pending", db_index=True)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.FloatField(default=0)
    lease_until = fields.FloatField(null=True)
    created_at = fields.FloatField()
    sent_at = fields.FloatField(null=True)
    last_error = fields.CharField(max_length=200, null=True)

    class Meta:
        table = "outbox_message"


class ConversationState(Model):
    """The state name and small data dict of a multi-step conversation, keyed by who is talking."""

    id = fields.IntField(primary_key=True)
    channel = fields.CharField(max_length=16)
    user = fields.CharField(max_length=128)
    state = fields.CharField(max_length=64)
    data = fields.JSONField(default=dict)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "conversation_state"
        unique_together = (("channel", "user"),)


class Course(Model):
    """An OCSC course or curriculum, seeded from the portal catalog and extendable by admins."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True, null=True)
    name = fields.CharField(max_length=300)
    kind = fields.CharField(max_length=16, default="course")
    category = fields.CharField(max_length=100, default="")
    portal_id = fields.IntField(null=True)
    source = fields.CharField(max_length=16, default="catalog")

    class Meta:
        table = "course"
