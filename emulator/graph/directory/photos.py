"""Profile photos: ``/me/photo``, ``/users/{id|upn}/photo``, ``.../photo/$value``, ``.../photos``.

As Graph (profilephoto-get, v1.0): ``photo`` is the profilePhoto metadata of the largest size
(``@odata.mediaContentType``, ``@odata.mediaEtag``, ``id`` such as ``240X240``, ``width``,
``height``); ``photo/$value`` is the image itself with its Content-Type; ``photos`` lists the HD
sizes up to the stored one and ``photos/{size}[/$value]`` serves one of them. A user with no
photo gets 404 ``ImageNotFound`` on every one of these, JSON like any Graph error (observed:
Azure-Samples/ms-identity-dotnetcore-b2c-account-management#23, microsoft-graph-docs#20785; the
docs' 200 with a 1x1 GIF for missing metadata is not what Graph answers).

Permissions: User.Read covers one's own photo; someone else's needs User.ReadBasic.All or more
(microsoft-graph-docs#17175), or the newer ProfilePhoto.Read.All; app-only tokens need
User.Read.All-like roles or ProfilePhoto.Read.All. Personal accounts use the same API (Graph's
docs say their *metadata* call is unsupported, without saying how it fails: served here).
"""
from __future__ import annotations

import functools
import zlib
from dataclasses import dataclass

from flask import Response

from ...directory import User
from ..auth import ACCESS_DENIED, Caller, resolve_user
from ..common import GraphFailure, api_base, json_response
from .photo_images import jpeg, png, pattern
from ..routing.table import mailbox_route

HD_SIZES = (48, 64, 96, 120, 240, 360, 432, 504, 648)
NO_PHOTO = ("ImageNotFound",
            "Exception of type 'Microsoft.Fast.Profile.Core.Exception.ImageNotFoundException' "
            "was thrown.")
_PHOTO_GRANTS = {"profilephoto.read.all", "profilephoto.readwrite.all"}


@dataclass(frozen=True)
class DemoPhoto:
    size: int  # the stored (largest) size, an HD size
    content_type: str
    background: tuple[int, int, int]
    ink: tuple[int, int, int]
    shape: str


# Who has a photo in the demo (by user principal name); Alex and Patti have none, nor do the
# shared mailbox and the distribution list, so the 404 path shows in the demo too.
DEMO_PHOTOS = {
    "adele@contoso.example": DemoPhoto(240, "image/jpeg", (15, 108, 189), (255, 213, 79),
                                       "diamond"),
    "megan@contoso.example": DemoPhoto(120, "image/png", (138, 63, 252), (244, 244, 244), "rings"),
    "sam.taylor@outlook.example": DemoPhoto(96, "image/jpeg", (0, 120, 90), (230, 245, 240),
                                            "stripes"),
}


@functools.lru_cache(maxsize=64)
def photo_bytes(upn: str, size: int) -> bytes:
    """The demo photo of ``upn`` drawn at ``size`` pixels (the same bytes every time)."""
    spec = DEMO_PHOTOS[upn]
    draw = pattern(size, spec.background, spec.ink, spec.shape)
    return jpeg(size, draw) if spec.content_type == "image/jpeg" else png(size, draw)


def _authorize(caller: Caller, ref: str | None) -> tuple[User, DemoPhoto | None]:
    target = resolve_user(caller, ref)  # unknown user: ErrorInvalidUser, 404 (UNCONFIRMED)
    own = not caller.app_only and target.id == caller.user.id
    if not (caller.has("profile", shared=not own) or caller.grants & _PHOTO_GRANTS):
        # UNCONFIRMED: the code and words of Graph's 403 for a photo (Exchange's wording here).
        raise GraphFailure(403, *ACCESS_DENIED)
    return target, DEMO_PHOTOS.get(target.user_principal_name.lower())


def _size(photo: DemoPhoto | None, size: str | None) -> int:
    """The pixel size asked for (the stored one by default); 404 ImageNotFound if unavailable."""
    if photo is None:
        raise GraphFailure(404, *NO_PHOTO)
    if size is None:
        return photo.size
    width, _, height = size.lower().partition("x")
    if not (width.isdigit() and width == height and int(width) in HD_SIZES
            and int(width) <= photo.size):
        raise GraphFailure(404, *NO_PHOTO)  # UNCONFIRMED for a size that is not available
    return int(width)


def _metadata(target: User, photo: DemoPhoto, size: int) -> dict:
    data = photo_bytes(target.user_principal_name.lower(), size)
    return {"@odata.mediaContentType": photo.content_type,
            "@odata.mediaEtag": f'"{zlib.crc32(data) & 0xFFFFFFFF:08X}"',
            "id": f"{size}X{size}", "width": size, "height": size}


def _context(caller: Caller, user: str | None) -> str:
    # /me's context names the user by id, as Graph Explorer shows it (UNCONFIRMED for /me).
    key = (user or caller.user.id).replace("'", "''")
    return f"{api_base()}/$metadata#users('{key}')"


@mailbox_route("GET", "photo")
@mailbox_route("GET", "photos/{size}")
def get_photo(caller: Caller, user: str | None = None, size: str | None = None):
    """The profilePhoto metadata: the largest size, or the one named."""
    target, photo = _authorize(caller, user)
    pixels = _size(photo, size)
    suffix = "photo/$entity" if size is None else "photos/$entity"
    return json_response({"@odata.context": f"{_context(caller, user)}/{suffix}",
                          **_metadata(target, photo, pixels)})


@mailbox_route("GET", "photos")
def list_photos(caller: Caller, user: str | None = None):
    """Every HD size available for this user's photo, smallest first."""
    target, photo = _authorize(caller, user)
    largest = _size(photo, None)
    sizes = [s for s in HD_SIZES if s <= largest]
    return json_response({"@odata.context": f"{_context(caller, user)}/photos",
                          "value": [_metadata(target, photo, s) for s in sizes]})


@mailbox_route("GET", "photo/$value")
@mailbox_route("GET", "photos/{size}/$value")
def get_photo_value(caller: Caller, user: str | None = None, size: str | None = None):
    """The image itself, in its own Content-Type."""
    target, photo = _authorize(caller, user)
    pixels = _size(photo, size)
    data = photo_bytes(target.user_principal_name.lower(), pixels)
    return Response(data, status=200, content_type=photo.content_type)
