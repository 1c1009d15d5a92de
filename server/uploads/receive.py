"""Receiving an upload: a multipart body held to a size limit while it streams in (413 as
soon as it passes, never after reading it all), at most a few fields and files, each file
written into the upload's own folder under a name the server chooses."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import Message

MAX_FILES = 2
MAX_FIELDS = 12
#: The file fields a form may send, and the names they are stored under (by extension).
FILE_FIELDS = ("mentor", "mentee", "recording", "transcript")


@dataclass(frozen=True)
class Received:
    fields: dict[str, str]
    #: field name → stored file name inside the folder.
    files: dict[str, str]


def limited(request: Request, most_bytes: int) -> Request:
    """The same request, whose body stops with 413 past ``most_bytes``."""
    declared = request.headers.get("content-length")
    too_big = HTTPException(413, f"the upload is over the limit of {most_bytes // 1024 // 1024} MB")
    if declared is not None and declared.isdigit() and int(declared) > most_bytes:
        raise too_big
    seen = 0
    receive = request.receive

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        seen += len(message.get("body", b""))
        if seen > most_bytes:
            raise too_big
        return message

    return Request(request.scope, counted)


def _suffix(upload: UploadFile) -> str:
    name = upload.filename or ""
    suffix = Path(name).suffix.lower()
    return suffix if suffix[1:].isalnum() and len(suffix) <= 6 else ""


async def receive_upload(request: Request, most_bytes: int, folder: Path) -> Received:
    """Parse the form into ``folder``; on any error the folder is removed again."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise HTTPException(415, "send the files as multipart/form-data")
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=False)
    try:
        async with limited(request, most_bytes).form(
            max_files=MAX_FILES, max_fields=MAX_FIELDS
        ) as form:
            fields: dict[str, str] = {}
            files: dict[str, str] = {}
            for key, value in form.multi_items():
                if isinstance(value, str):
                    fields[key] = value
                    continue
                if key not in FILE_FIELDS or key in files:
                    raise HTTPException(400, f"unexpected file field {key!r}")
                stored = f"{key}{_suffix(value)}"
                if await asyncio.to_thread(_store, value.file, folder / stored) == 0:
                    raise HTTPException(400, f"the file for {key} is empty")
                files[key] = stored
            return Received(fields, files)
    except BaseException:
        await asyncio.to_thread(shutil.rmtree, folder, True)
        raise


def _store(source: BinaryIO, target: Path) -> int:
    """Copy a received file into place (a worker thread: it may be hundreds of MB)."""
    with target.open("wb") as out:
        shutil.copyfileobj(source, out, 1024 * 1024)
    return target.stat().st_size


def one_of(fields: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = fields.get(name, default) or default
    if value not in allowed:
        raise HTTPException(400, f"{name} must be one of {', '.join(allowed)}")
    return value
