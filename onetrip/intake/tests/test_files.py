"""Uploads: judged by content not name, size-limited, stored once by SHA-256 outside the web root, and
downloadable only by those entitled."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from onetrip.core.errors import DomainError, NotFound
from onetrip.intake.models import MaterialState, StoredFile
from onetrip.intake.selectors import material_file_for
from onetrip.intake.services.application import application_material_upload
from onetrip.intake.services.files import clean_file_name, file_store, stored_file_open, stored_file_path
from onetrip.intake.tests import factories as itf

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("data", [itf.PDF_BYTES, itf.PNG_BYTES, itf.JPEG_BYTES])
def test_pdf_png_and_jpeg_are_stored_by_their_hash(data):
    stored = file_store(data=data, declared_name="scan")
    sha = hashlib.sha256(data).hexdigest()
    assert stored.sha256 == sha and stored.size == len(data)
    path = stored_file_path(stored)
    assert path == settings.MEDIA_ROOT / "files" / sha[:2] / sha[2:4] / sha
    with stored_file_open(stored) as fh:
        assert fh.read() == data


def test_content_decides_not_the_name():
    with pytest.raises(DomainError) as exc:
        file_store(data=b"just some text pretending to be a PDF", declared_name="证明.pdf")
    assert exc.value.errors[0].code == "unsupported_file_type"
    stored = file_store(data=itf.PNG_BYTES, declared_name="照片.pdf")
    assert stored.content_type == "image/png"
    assert clean_file_name("照片.pdf", stored.content_type) == "照片.png"
    with pytest.raises(DomainError) as exc:
        file_store(data=b"PK\x03\x04zip or ofd", declared_name="a.ofd")
    assert exc.value.errors[0].code == "unsupported_file_type"
    with pytest.raises(DomainError) as exc:
        file_store(data=b"", declared_name="empty.pdf")
    assert exc.value.errors[0].code == "empty_file"


def test_declared_names_lose_paths_and_control_characters():
    assert clean_file_name("../../etc/passwd.pdf", "application/pdf") == "passwd.pdf"
    assert clean_file_name("C:\\scans\\证\x00明.jpg", "image/jpeg") == "证明.jpg"
    assert clean_file_name("", "application/pdf") == "文件.pdf"


def test_size_limit_comes_from_settings(settings):
    settings.ONETRIP_UPLOAD_MAX_BYTES = 1000
    with pytest.raises(DomainError) as exc:
        file_store(data=itf.PDF_BYTES + b"0" * 1000, declared_name="big.pdf")
    assert exc.value.errors[0].code == "file_too_large"
    with pytest.raises(DomainError):  # a stream without a declared size is cut off while reading
        file_store(data=io.BytesIO(itf.PDF_BYTES + b"0" * 5000), declared_name="big.pdf")
    upload = SimpleUploadedFile("ok.pdf", itf.PDF_BYTES, content_type="text/plain")
    assert file_store(data=upload, declared_name=upload.name).content_type == "application/pdf"
    leftovers = list((settings.MEDIA_ROOT / "files" / "tmp").iterdir())
    assert leftovers == []


def test_same_content_is_stored_once():
    a = file_store(data=itf.PDF_BYTES, declared_name="a.pdf")
    b = file_store(data=itf.PDF_BYTES, declared_name="b.pdf")
    assert a.pk == b.pk and StoredFile.objects.count() == 1


def test_material_upload_sets_the_entry_and_downloads_are_for_the_entitled():
    item = itf.make_intake_item()
    app = itf.make_draft_application(item=item)
    row = application_material_upload(
        application=app,
        key="household_register",
        data=itf.JPEG_BYTES,
        declared_name="户口簿.jpeg",
        actor=None,
    )
    assert row.state == MaterialState.UPLOADED and row.file_name == "户口簿.jpg"
    stored, name = material_file_for(actor=app.applicant, material_id=row.pk)
    assert stored == row.file and name == "户口簿.jpg"
    clerk = itf.make_clerk(region=item.department.region)
    assert material_file_for(actor=clerk, material_id=row.pk)[0] == row.file
    for outsider in (itf.make_applicant(), itf.make_clerk()):
        with pytest.raises(NotFound):
            material_file_for(actor=outsider, material_id=row.pk)


def test_uploading_for_a_material_not_asked_or_unknown_is_refused():
    app = itf.make_draft_application()
    with pytest.raises(DomainError) as exc:
        application_material_upload(
            application=app, key="id_card", data=itf.PDF_BYTES, declared_name="id.pdf", actor=None
        )
    assert exc.value.errors[0].code == "material_not_asked"
    with pytest.raises(DomainError) as exc:
        application_material_upload(
            application=app, key="nothing", data=itf.PDF_BYTES, declared_name="x.pdf", actor=None
        )
    assert exc.value.errors[0].code == "unknown_material"
