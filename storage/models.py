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
    # Loaded from the fictional demo roster: the first real roster import removes these rows.
    is_demo = fields.BooleanField(default=False)
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
    # The menu last set in this chat (a LINE rich menu id, a Telegram command-list version), so that
    # a restart does not set every chat's menu again on the next link.
    menu = fields.CharField(max_length=80, null=True)
    # When the person blocked the bot here (LINE unfollow, Telegram 403): broadcasts skip the chat
    # and report them unreachable; following again (or any message from them) clears it.
    blocked_at = fields.FloatField(null=True)

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
    status = fields.CharField(max_length=16, default="pending", db_index=True)  # pending, done, failed
    attempts = fields.IntField(default=0)
    lease_until = fields.FloatField(null=True)
    lease_owner = fields.CharField(max_length=40, null=True)  # the process holding the lease
    processed_at = fields.FloatField(null=True)
    error = fields.CharField(max_length=200, null=True)

    class Meta:
        table = "inbound_event"
        # A claim looks up, for the senders it found, their older pending events (per-person order).
        indexes = (("user_key", "status"),)


class LinkAttempt(Model):
    """A failed link-code guess, kept briefly so that guessing is limited across all chats."""

    id = fields.BigIntField(primary_key=True)
    at = fields.FloatField(db_index=True)
    channel = fields.CharField(max_length=16)

    class Meta:
        table = "link_attempt"


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
    lease_owner = fields.CharField(max_length=40, null=True)  # the process holding the lease
    created_at = fields.FloatField()
    sent_at = fields.FloatField(null=True)
    last_error = fields.CharField(max_length=200, null=True)
    platform_ids = fields.JSONField(default=list)  # message ids the platform gave back (for edits)
    # A circular notice's row: one per recipient and chat, its content rendered from the notice at
    # delivery (100,000 copies of a long body would not fit), sent by the broadcast dispatcher at the
    # platforms' rates instead of the reply path, so chat answers never wait behind a broadcast.
    notice_id = fields.IntField(null=True, db_index=True)
    recipient_id = fields.BigIntField(null=True)  # the NoticeRecipient it reaches
    # Rows sent in one platform request (a LINE multicast of up to 500 users): the request's retry key
    # comes from it, so a retry after a crash is recognised by LINE and not delivered twice.
    request_key = fields.CharField(max_length=64, null=True, db_index=True)

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


class Submission(Model):
    """A certificate a staff member sent, from receipt through reading and confirmation."""

    id = fields.IntField(primary_key=True)
    staff: fields.ForeignKeyRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="submissions", on_delete=fields.CASCADE
    )
    status = fields.CharField(max_length=24, default="received", db_index=True)
    channel = fields.CharField(max_length=16)
    chat = fields.CharField(max_length=128)
    file_sha256 = fields.CharField(max_length=64, db_index=True)
    file_name = fields.CharField(max_length=255, null=True)
    file_mime = fields.CharField(max_length=100, null=True)
    file_size = fields.IntField(default=0)
    image_phash = fields.CharField(max_length=32, null=True, db_index=True)
    name_read = fields.CharField(max_length=200, null=True)
    course_title = fields.CharField(max_length=500, null=True)
    course: fields.ForeignKeyNullableRelation[Course] = fields.ForeignKeyField(
        "models.Course", related_name="submissions", null=True, on_delete=fields.SET_NULL
    )
    kind = fields.CharField(max_length=16, null=True)
    hours = fields.DecimalField(max_digits=6, decimal_places=1, null=True)
    completed_on = fields.DateField(null=True, db_index=True)
    issuers = fields.JSONField(default=list)
    confidence = fields.FloatField(null=True)
    field_confidence = fields.JSONField(default=dict)
    warnings = fields.JSONField(default=list)
    error = fields.CharField(max_length=40, null=True)
    fiscal_year = fields.IntField(null=True)
    round = fields.IntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    confirmed_at = fields.DatetimeField(null=True)
    approver: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="to_approve", null=True, on_delete=fields.SET_NULL
    )  # None while waiting means: any admin
    assigned_at = fields.DatetimeField(null=True)
    escalations = fields.IntField(default=0)
    decided_by: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="decisions", null=True, on_delete=fields.SET_NULL
    )
    decided_at = fields.DatetimeField(null=True)
    decision_reason = fields.CharField(max_length=300, null=True)

    class Meta:
        table = "submission"
        # Progress and reports ask: approved courses of these people completed in this period.
        indexes = (("staff_id", "status", "completed_on"), ("status", "completed_on"))


class OcrJob(Model):
    """Durable work item: read one submissions file. Any worker process may take it."""

    id = fields.IntField(primary_key=True)
    submission: fields.ForeignKeyRelation[Submission] = fields.ForeignKeyField(
        "models.Submission", related_name="ocr_jobs", on_delete=fields.CASCADE
    )
    status = fields.CharField(max_length=16, default="pending", db_index=True)
    attempts = fields.IntField(default=0)
    # Reads that ended with the reading process dead or timed out: counted apart from attempts,
    # so a worker crash is not the certificate's fault until the same file does it again and again.
    crashes = fields.IntField(default=0)
    lease_until = fields.FloatField(null=True)
    lease_owner = fields.CharField(max_length=40, null=True)  # the process holding the lease
    created_at = fields.FloatField()
    finished_at = fields.FloatField(null=True)
    error = fields.CharField(max_length=200, null=True)

    class Meta:
        table = "ocr_job"


class ApprovalPrompt(Model):
    """One approval prompt sent to one approver, its random token is what the buttons carry."""

    id = fields.IntField(primary_key=True)
    token = fields.CharField(max_length=32, unique=True)
    submission: fields.ForeignKeyRelation[Submission] = fields.ForeignKeyField(
        "models.Submission", related_name="prompts", on_delete=fields.CASCADE
    )
    approver: fields.ForeignKeyRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="prompts", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "approval_prompt"


class PromptMessage(Model):
    """Where a prompt was shown (per channel), so it can be updated once decided."""

    id = fields.IntField(primary_key=True)
    prompt: fields.ForeignKeyRelation[ApprovalPrompt] = fields.ForeignKeyField(
        "models.ApprovalPrompt", related_name="messages", on_delete=fields.CASCADE
    )
    outbox_id = fields.BigIntField()
    outbox_index = fields.IntField(default=0)  # which of that outbox row's messages is the prompt
    channel = fields.CharField(max_length=16)
    chat = fields.CharField(max_length=128)

    class Meta:
        table = "prompt_message"


class Delegation(Model):
    """An acting approver (ผู้รักษาราชการแทน) for a supervisor over a date range."""

    id = fields.IntField(primary_key=True)
    supervisor: fields.ForeignKeyRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="delegations_given", on_delete=fields.CASCADE
    )
    delegate: fields.ForeignKeyRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="delegations_held", on_delete=fields.CASCADE
    )
    starts_on = fields.DateField()
    ends_on = fields.DateField()
    created_by: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="delegations_made", null=True, on_delete=fields.SET_NULL
    )
    revoked = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "delegation"


class AuditRecord(Model):
    """Append-only history of a submission: who did what, when, on which channel, from which state."""

    id = fields.BigIntField(primary_key=True)
    submission_id = fields.IntField(db_index=True)
    action = fields.CharField(max_length=24)
    from_state = fields.CharField(max_length=24, null=True)
    to_state = fields.CharField(max_length=24, null=True)
    actor_id = fields.IntField(null=True)
    channel = fields.CharField(max_length=16, null=True)
    at = fields.DatetimeField(auto_now_add=True)
    detail = fields.JSONField(default=dict)

    class Meta:
        table = "audit_record"


class Target(Model):
    """A development target for one fiscal year, optionally for one target group and one round.

    An empty target_group means everyone, round 0 means the whole fiscal year.
    """

    id = fields.IntField(primary_key=True)
    fiscal_year = fields.IntField()
    target_group = fields.CharField(max_length=64, default="")
    round = fields.IntField(default=0)
    min_courses = fields.IntField(null=True)
    min_hours = fields.DecimalField(max_digits=7, decimal_places=1, null=True)
    hours_per_day = fields.DecimalField(max_digits=4, decimal_places=1, default=6)
    require = fields.CharField(max_length=8, default="either")  # either or both
    updated_by: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="targets_set", null=True, on_delete=fields.SET_NULL
    )
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "target"
        unique_together = (("fiscal_year", "target_group", "round"),)


class RoundDeadline(Model):
    """The submission deadline an admin set for one assessment round."""

    id = fields.IntField(primary_key=True)
    fiscal_year = fields.IntField()
    round = fields.IntField()
    deadline = fields.DateField()
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "round_deadline"
        unique_together = (("fiscal_year", "round"),)


class RequiredCourse(Model):
    """A catalog course a supervisor agreed with a subordinate for one fiscal year."""

    id = fields.IntField(primary_key=True)
    staff: fields.ForeignKeyRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="required_courses", on_delete=fields.CASCADE
    )
    course: fields.ForeignKeyRelation[Course] = fields.ForeignKeyField(
        "models.Course", related_name="required_for", on_delete=fields.CASCADE
    )
    fiscal_year = fields.IntField()
    assigned_by: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="courses_assigned", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "required_course"
        unique_together = (("staff", "course", "fiscal_year"),)


class ReminderSent(Model):
    """A reminder claimed for one person, round, kind and offset: the unique key makes it go out once.

    The row is written in the same transaction as the outbox rows that carry the reminder,
    so two processes, a restart or a repeated command never send the same one twice.
    """

    id = fields.BigIntField(primary_key=True)
    staff: fields.ForeignKeyRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="reminders_sent", on_delete=fields.CASCADE
    )
    fiscal_year = fields.IntField()
    round = fields.IntField()
    kind = fields.CharField(max_length=16)  # "staff": below target before a round deadline
    offset_days = fields.IntField()  # days before the deadline
    sweep = fields.CharField(max_length=32, db_index=True)  # which sweep claimed it: tells a sweep its own rows
    sent_at = fields.DatetimeField()

    class Meta:
        table = "reminder_sent"
        unique_together = (("staff", "fiscal_year", "round", "kind", "offset_days"),)


class ReminderPause(Model):
    """A person who asked for no more reminders in one round."""

    id = fields.IntField(primary_key=True)
    staff: fields.ForeignKeyRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="reminder_pauses", on_delete=fields.CASCADE
    )
    fiscal_year = fields.IntField()
    round = fields.IntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "reminder_pause"
        unique_together = (("staff", "fiscal_year", "round"),)


class DayOff(Model):
    """A day off the agency added to the Thai public holidays (a provincial holiday, an extra day granted)."""

    id = fields.IntField(primary_key=True)
    day = fields.DateField(unique=True)
    name = fields.CharField(max_length=200)
    added_by: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="days_off_added", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "day_off"


class ReminderChoice(Model):
    """Where a person linked on several channels wants reminders and digests to go."""

    id = fields.IntField(primary_key=True)
    staff: fields.OneToOneRelation[Staff] = fields.OneToOneField(
        "models.Staff", related_name="reminder_choice", on_delete=fields.CASCADE
    )
    channel = fields.CharField(max_length=16)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "reminder_choice"


class ReminderKindOff(Model):
    """A kind of reminder an admin turned off for the whole agency (a row means off)."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharField(max_length=16, unique=True)  # "staff", "digest", "deadline_report"
    turned_off_by: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="reminder_kinds_off", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "reminder_kind_off"


class Notice(Model):
    """A circular notice (หนังสือเวียน) an admin sends: content, audience, and where its sending stands."""

    id = fields.IntField(primary_key=True)
    subject = fields.CharField(max_length=300)
    doc_no = fields.CharField(max_length=100, null=True)  # ที่ …, e.g. "ศธ ๑๒๔๔/ว ๑๒๓"
    body = fields.TextField()
    reply_by = fields.DateField(null=True)  # the reply deadline printed on the memo
    # Stored files sent with it: [{"sha256", "name", "mime", "size"}], kept in the file store.
    attachments = fields.JSONField(default=list)
    # Who it goes to: {"kind": "all" | "units" | "supervisors" | "behind" | "codes",
    #                  "units": [unit ids], "subunits": bool, "codes": [employee codes]}
    audience = fields.JSONField()
    ack_required = fields.BooleanField(default=True)
    urgent = fields.BooleanField(default=False)  # sent inside quiet hours too
    # When LINE's monthly allowance is short: "telegram" (people linked on both get it there, the rest
    # are held back and the admin told) or "stop" (hold back whoever LINE cannot carry).
    line_overflow = fields.CharField(max_length=16, default="telegram")
    send_at = fields.FloatField(db_index=True)  # epoch seconds; quiet hours are applied when it is queued
    # scheduled -> queued (outbox rows written) -> sent (none left pending); cancelled before queueing
    status = fields.CharField(max_length=16, default="scheduled", db_index=True)
    created_by: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="notices_sent", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.FloatField()
    queued_at = fields.FloatField(null=True)
    resends = fields.IntField(default=0)  # times it was sent again to those who had not acknowledged

    class Meta:
        table = "notice"


class NoticeRecipient(Model):
    """One person a notice is addressed to: whether it reached them, and when they acknowledged it."""

    id = fields.BigIntField(primary_key=True)
    notice: fields.ForeignKeyRelation[Notice] = fields.ForeignKeyField(
        "models.Notice", related_name="recipients", on_delete=fields.CASCADE
    )
    staff: fields.ForeignKeyRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="notices_received", on_delete=fields.CASCADE
    )
    # queued (rows written), delivered (a chat got it), unreachable (no linked chat, or every one
    # blocked the bot or failed for good), held (LINE's allowance ran out and there was no other way)
    state = fields.CharField(max_length=16, default="queued")
    delivered_at = fields.FloatField(null=True)
    acknowledged_at = fields.FloatField(null=True)
    ack_channel = fields.CharField(max_length=16, null=True)

    class Meta:
        table = "notice_recipient"
        unique_together = (("notice", "staff"),)
        indexes = (("notice_id", "state"),)


class AccessLog(Model):
    """Someone opening another person's certificate image or record: the person's "who looked" list."""

    id = fields.BigIntField(primary_key=True)
    # Nulled when the viewer is erased: the person looked at keeps the entry, without the viewer's name.
    viewer: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="records_viewed", null=True, on_delete=fields.SET_NULL
    )
    subject: fields.ForeignKeyRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="viewed_by", on_delete=fields.CASCADE
    )
    what = fields.CharField(max_length=16)  # "image" (the certificate picture) or "record" (its fields)
    submission_id = fields.IntField(null=True)
    at = fields.DatetimeField(auto_now_add=True)
    channel = fields.CharField(max_length=16, null=True)

    class Meta:
        table = "access_log"
        indexes = (("subject_id", "at"),)


class DataCopyLink(Model):
    """A one-time link to a person's copy of their data, for chats that cannot carry files (LINE).

    Only the token's hash is kept; the copy itself is built when the link is opened, so no copy
    rests on the server, and `used_at` makes a second opening fail.
    """

    id = fields.IntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    staff: fields.ForeignKeyRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="data_copy_links", on_delete=fields.CASCADE
    )
    created_at = fields.FloatField()
    expires_at = fields.FloatField()
    used_at = fields.FloatField(null=True)

    class Meta:
        table = "data_copy_link"
