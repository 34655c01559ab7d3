"""The file store on the local disk and in an S3-compatible store (moto), each with and without
FILE_ENCRYPTION_KEY: a certificate goes in through the webhooks, is read and opened by its approver
through a signed link; notices, the orphan sweep and PDPA export and erasure work the same; and with
a key, neither the disk nor the bucket ever holds a byte of plaintext.
"""

from __future__ import annotations

import datetime as dt
import io
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from PIL import Image

from config.settings import Settings
from scheduler import jobs
from scheduler.notices import queue_due
from storage import notices
from storage.models import Staff, Submission, Unit
from storage.personal_data import erase_person, export_person
from tests.builders.certificates import SAMPLE, jpeg, settle_ocr
from tests.builders.chat import link
from tests.builders.notices import broadcast_settled
from tests.builders.roster import TEAM_CSV, load_roster
from tests.builders.submissions import confirm, read_submission
from tests.fakes.s3_server import LocalS3

PUBLIC = "https://bot.example.go.th"
STORES = ("disk", "disk+key", "s3", "s3+key")
PDF = b"%PDF-1.4\n% a circular notice about the digital skills course\n%%EOF\n"
JPEG_MAGIC, PNG_MAGIC, PDF_MAGIC = b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"%PDF-"
SUBJECT = "ขอเชิญอบรมหลักสูตรการพัฒนาทักษะดิจิทัล"
OFFICE_HOURS = dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.UTC)  # 10:00 in Bangkok


@dataclass
class StoreCase:
    """Which store a test runs on, and where to look at what it holds."""

    kind: str
    key: str | None
    s3: LocalS3 | None = None
    bucket: str | None = None

    @property
    def encrypted(self) -> bool:
        return self.key is not None

    def objects(self) -> dict[str, bytes]:
        """Every object in the bucket, as stored (empty for a disk store)."""
        return self.s3.objects(self.bucket) if self.s3 and self.bucket else {}


@pytest.fixture(params=STORES)
def store(request) -> StoreCase:
    """The store of this run: local disk or S3, with or without a key."""
    kind = request.param
    case = StoreCase(kind, Fernet.generate_key().decode() if kind.endswith("+key") else None)
    if kind.startswith("s3"):
        case.s3 = request.getfixturevalue("s3_server")
        case.bucket = case.s3.new_bucket()
    return case


@pytest.fixture
def settings(settings: Settings, store: StoreCase) -> Settings:
    """The app's settings pointed at this run's store; LINE shows pictures by link (a public https base)."""
    update: dict[str, object] = {"public_base_url": PUBLIC, "file_encryption_key": store.key}
    if store.s3 and store.bucket:
        update.update(store.s3.settings(store.bucket))
    return settings.model_copy(update=update)


def everything_at_rest(tmp_path: Path, store: StoreCase) -> dict[str, bytes]:
    """Every file the test's directory holds (data directory, database) and every object in the bucket."""
    found = {str(p): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    found.update({f"s3:{key}": data for key, data in store.objects().items()})
    return found


def holding(rest: dict[str, bytes], *needles: bytes) -> list[str]:
    """Where any of the needles rests."""
    return [where for where, data in rest.items() if any(n in data for n in needles)]


def file_store_objects(tmp_path: Path, store: StoreCase) -> dict[str, bytes]:
    """What the file store itself holds, on disk or in the bucket."""
    if store.s3:
        return store.objects()
    return {str(p): p.read_bytes() for p in (tmp_path / "data" / "files").rglob("*") if p.is_file()}


async def test_a_certificate_is_read_and_its_approver_opens_it_by_signed_link(
    client, services, store, line_user, telegram_user, tmp_path
):
    await load_roster(TEAM_CSV)
    staff = await link(telegram_user(), "E005")
    boss = await link(line_user(), "E004")
    photo = jpeg(SAMPLE)
    await staff.sends_file(photo, "c.jpg", image=True, mime="image/jpeg")
    await settle_ocr(client)
    assert "ผู้นำทีมที่มีประสิทธิภาพ" in "\n".join(staff.texts())  # the reader read the stored file
    await staff.presses("✅ ยืนยัน")
    assert "ขออนุมัติใบประกาศ #" in boss.last()

    pictures = [m for m in boss.fake.messages_to(boss.user_id) if m.get("type") == "image"]
    assert len(pictures) == 1
    url = pictures[0]["originalContentUrl"]
    assert url.startswith(f"{PUBLIC}/files/")  # our own service, never the bucket
    response = await client.get(url.removeprefix(PUBLIC))
    assert response.status == 200
    assert response.headers["Content-Type"] == "image/jpeg"
    assert await response.read() == photo
    await boss.presses("✅ อนุมัติ")
    assert (await Submission.get()).status == "approved"

    # What rests: sealed with a key, the picture itself without one (the scan finds it then).
    stored = file_store_objects(tmp_path, store)
    assert stored, "the store holds nothing: the scan below would prove nothing"
    found = holding(everything_at_rest(tmp_path, store), JPEG_MAGIC + photo[3:16], photo[2000:2064])
    if store.encrypted:
        assert found == []
    else:
        assert found, "an unencrypted store holds the picture"
    if store.s3:
        assert not (tmp_path / "data" / "files").exists()  # nothing on the local disk


async def test_an_encrypted_store_never_holds_plaintext(client, services, store, tmp_path):
    png = io.BytesIO()
    Image.new("RGB", (40, 30), "navy").save(png, "PNG")
    contents = {
        "png": png.getvalue(),
        "pdf": PDF,
        "jpeg": JPEG_MAGIC + b"\xe0 a distinctive certificate slice " * 20,
    }
    stored = {kind: await services.files.put(data) for kind, data in contents.items()}
    await services.files.put(contents["pdf"])  # the same content again: still one copy
    for kind, data in contents.items():
        assert await services.files.read(stored[kind].sha256) == data
        assert await stored[kind].head(8) == data[:8]
    assert len(file_store_objects(tmp_path, store)) == 3

    found = holding(everything_at_rest(tmp_path, store), PNG_MAGIC, PDF_MAGIC, b"a distinctive certificate slice")
    if store.encrypted:
        assert found == []
    else:
        assert len(found) == 3  # the scan does find plaintext where it rests


async def test_a_notice_attachment_reaches_telegram_whole(client, services, store, users_on, telegram_api):
    await load_roster(TEAM_CSV)
    reader = await users_on("telegram").linked("E006")
    attached = await services.files.put(PDF)
    await notices.create(
        subject=SUBJECT, body="ขอให้บุคลากรลงทะเบียนภายในกำหนด",
        audience={"kind": "units", "units": [(await Unit.get(name="กลุ่มส่งเสริม")).id], "subunits": False},
        attachments=[{"sha256": attached.sha256, "name": "หนังสือเวียน.pdf", "mime": "application/pdf", "size": len(PDF)}],
        created_by=(await Staff.get(employee_code="E003")).id, send_at=OFFICE_HOURS.timestamp(),
    )
    assert await queue_due(services, OFFICE_HOURS) == 1
    await broadcast_settled(services)
    assert any(SUBJECT in text for text in reader.texts())
    uploads = [m["document"] for m in telegram_api.messages_to(reader.user_id) if "document" in m]
    assert len(uploads) == 1
    assert uploads[0].data == PDF  # the bytes Telegram received: opened, whole


async def test_the_sweep_removes_only_unreferenced_files(client, services, store, tmp_path):
    await load_roster()
    staff = await Staff.get(employee_code="E002")
    kept = await services.files.put(b"a certificate someone submitted")
    orphan = await services.files.put(b"a file nobody references")
    await Submission.create(
        staff=staff, channel="line", chat="U1", file_sha256=kept.sha256, file_mime="image/jpeg", file_size=1
    )
    now = time.time()
    assert await jobs.sweep_orphans(services, now=now) == 0  # young files are spared
    assert await services.files.exists(orphan.sha256)
    assert await jobs.sweep_orphans(services, now=now + 2 * 3600) == 1
    assert await services.files.exists(kept.sha256)
    assert not await services.files.exists(orphan.sha256)
    assert len(file_store_objects(tmp_path, store)) == 1


async def test_export_gives_the_person_their_file_and_erasure_removes_it(
    client, services, store, line_user, tmp_path
):
    await load_roster(TEAM_CSV)
    owner = await link(line_user(), "E005")
    sub = await read_submission(services, "E005")
    await confirm(owner, sub)
    other = await read_submission(services, "E006")
    staff = await Staff.get(employee_code="E005")
    original = await services.files.read(sub.file_sha256)
    assert original.startswith(PNG_MAGIC)

    archive = zipfile.ZipFile(io.BytesIO(await export_person(staff, services.files)))
    assert archive.read(f"certificates/{sub.id}.png") == original  # the picture, not its sealed form

    report = await erase_person(staff, services.files)
    assert report.files == 1
    assert not await services.files.exists(sub.file_sha256)
    assert await services.files.exists(other.file_sha256)
    assert len(file_store_objects(tmp_path, store)) == 1


def test_bad_store_settings_are_refused_without_echoing_the_key():
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as refused:
        Settings(_env_file=None, file_encryption_key="not-a-fernet-key-but-secret")
    assert "Fernet keys separated by commas" in str(refused.value.errors()[0]["msg"])
    assert "not-a-fernet-key-but-secret" not in refused.value.errors()[0]["msg"]
    with pytest.raises(ValidationError, match="s3://bucket/prefix"):
        Settings(_env_file=None, file_store_url="https://bucket.example/prefix")
    keys = f"{Fernet.generate_key().decode()}, {Fernet.generate_key().decode()}"
    assert Settings(_env_file=None, file_encryption_key=keys).file_encryption_key == keys
