"""The worker copy of an image: the same picture without its metadata.

Photos carry text beside their pixels: EXIF (a description, the camera owner, GPS), XMP and
IPTC (captions, keywords), JPEG and PNG comments, GIF comments and application blocks. A
dataset's files often name their class there ("a tench caught in..."), and a worker shown the
file would read it. So workers get a copy that keeps only what draws the picture.

The copy is made by walking the file's structure and keeping what decodes it, byte for byte:
no decoding, no re-encoding, no loss, and little time (the import's speed: a few regular
expression searches per JPEG). Kept: the coded picture and what decodes it, the colour profile
(ICC: colour data, needed to show the colours right), JFIF's header (without its embedded
thumbnail) and Adobe's colour transform flag. Everything else goes, including bytes after the
end of the picture. Two cases are re-encoded instead: a JPEG whose EXIF orientation turns it
(the copy is turned, since its EXIF goes), and TIFF (browsers do not show it): those become a
JPEG at quality 95 and a PNG.

No Django here: import workers run it.
"""

from __future__ import annotations

import io
import re
import struct
from dataclasses import dataclass

from PIL import Image

# EXIF orientation -> the transpose that shows the picture upright (as browsers do).
ORIENTATION_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
EXIF_ORIENTATION = 0x0112
REENCODED_JPEG_QUALITY = 95


class NotClean(ValueError):
    """The file's structure could not be walked (it decodes, but is not laid out as its format
    says): the caller re-encodes it instead."""


@dataclass(frozen=True)
class WorkerCopy:
    data: bytes  # the original's own bytes when it carried nothing to remove
    suffix: str  # file suffix of the copy's format
    width: int  # as shown (after the orientation)
    height: int


def orientation(image: Image.Image) -> int:
    """The EXIF orientation of an opened image (1: upright, also when it has no EXIF)."""
    if "exif" not in image.info:  # no EXIF block: nothing to parse
        return 1
    try:
        value = image.getexif().get(EXIF_ORIENTATION, 1)
    except Exception:  # an EXIF block Pillow cannot parse turns nothing
        return 1
    return value if value in ORIENTATION_TRANSPOSE else 1


def upright(image: Image.Image, turn: int) -> Image.Image:
    """`image` as shown with EXIF orientation `turn`."""
    method = ORIENTATION_TRANSPOSE.get(turn)
    return image if method is None else image.transpose(method)


def worker_copy(data: bytes, fmt: str, size: tuple[int, int], turn: int = 1) -> WorkerCopy:
    """The copy of `data` that workers are served: `fmt` is its format (Pillow's name),
    `size` its size and `turn` its EXIF orientation (orientation()), as read when it was
    opened."""
    width, height = size
    if fmt == "JPEG":
        if turn != 1:
            return _reencoded(data, "JPEG", turn)
        try:
            return WorkerCopy(strip_jpeg(data), "jpg", width, height)
        except NotClean:
            return _reencoded(data, "JPEG", 1)
    if fmt == "TIFF":
        return _reencoded(data, "PNG", 1)
    stripper, suffix = _STRIPPERS.get(fmt, (None, None))
    if stripper is None:  # BMP: pixels and a header, no text
        return WorkerCopy(data, fmt.lower(), width, height)
    try:
        return WorkerCopy(stripper(data), suffix, width, height)
    except NotClean:
        return _reencoded(data, "PNG", 1)


def clean_bytes(data: bytes) -> WorkerCopy:
    """worker_copy() of any image file's bytes (reads only its header to know what it is)."""
    with Image.open(io.BytesIO(data)) as image:
        fmt, size = image.format, image.size
        turn = orientation(image) if fmt == "JPEG" else 1
    return worker_copy(data, fmt, size, turn)


def _reencoded(data: bytes, fmt: str, turn: int) -> WorkerCopy:
    """Decode, turn upright and encode again as `fmt` (JPEG or PNG), with the colour profile
    and nothing else; the result goes through the stripper too."""
    with Image.open(io.BytesIO(data)) as original:
        icc = original.info.get("icc_profile")
        picture = upright(original, turn)
        picture.load()
        out = io.BytesIO()
        options = {"icc_profile": icc} if icc else {}
        if fmt == "JPEG":
            if picture.mode not in ("RGB", "L", "CMYK"):
                picture = picture.convert("RGB")
            picture.info = {}  # Pillow writes a JPEG comment from info
            picture.save(out, "JPEG", quality=REENCODED_JPEG_QUALITY, **options)
            clean, suffix = strip_jpeg(out.getvalue()), "jpg"
        else:
            if picture.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"):
                picture = picture.convert("RGBA" if "A" in picture.getbands() else "RGB")
            picture.info = {}
            picture.save(out, "PNG", **options)
            clean, suffix = strip_png(out.getvalue()), "png"
        return WorkerCopy(clean, suffix, picture.width, picture.height)


# --- JPEG ---------------------------------------------------------------------------------

# Markers that stand alone (no length): RSTn, TEM. SOI and EOI are handled apart.
_STANDALONE = frozenset(range(0xD0, 0xD8)) | {0x01}
# Kept segments: frame headers (SOFn), Huffman and arithmetic tables (DHT, DAC), quantization
# tables (DQT), restart interval (DRI), scan headers (SOS), DNL, DHP, EXP.
_KEPT = frozenset(range(0xC0, 0xD0)) | {0xDA, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF}
# The next marker after entropy-coded data: 0xFF followed by neither a stuffed 0x00, a restart
# marker, nor a fill byte.
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
_SOS, _EOI, _APP0, _APP2, _APP14 = 0xDA, 0xD9, 0xE0, 0xE2, 0xEE


def strip_jpeg(data: bytes) -> bytes:
    """The JPEG without EXIF, XMP, IPTC/Photoshop blocks, comments, other applications' blocks
    (APPn), JFIF's thumbnail, or anything after its end; `data` itself when nothing goes."""
    if data[:2] != b"\xff\xd8":
        raise NotClean("not a JPEG")
    parts = [b"\xff\xd8"]
    changed = False
    pos, size = 2, len(data)
    while True:
        if pos + 2 > size or data[pos] != 0xFF:
            raise NotClean("a segment does not start with a marker")
        while pos + 1 < size and data[pos + 1] == 0xFF:  # fill bytes before a marker
            pos += 1
            changed = True
        marker = data[pos + 1]
        if marker == _EOI:
            parts.append(b"\xff\xd9")
            changed = changed or pos + 2 != size  # trailing bytes go
            break
        if marker in _STANDALONE:
            parts.append(data[pos : pos + 2])
            pos += 2
            continue
        if pos + 4 > size:
            raise NotClean("a segment is cut short")
        end = pos + 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
        if end > size:
            raise NotClean("a segment is cut short")
        segment = data[pos:end]
        kept = _kept_segment(marker, segment)
        if kept is not None:
            parts.append(kept)
        changed = changed or kept is not segment
        pos = end
        if marker == _SOS:  # entropy-coded data up to the next marker
            found = _NEXT_MARKER.search(data, pos)
            if found is None:
                raise NotClean("a scan has no end")
            parts.append(data[pos : found.start()])
            pos = found.start()
    return b"".join(parts) if changed else data


def _kept_segment(marker: int, segment: bytes) -> bytes | None:
    """The segment as it stays in the copy (itself, or rewritten), or None when it goes."""
    if marker in _KEPT:
        return segment
    payload = segment[4:]
    if marker == _APP0 and payload.startswith(b"JFIF\x00") and len(payload) >= 14:
        if payload[12:14] == b"\x00\x00" and len(payload) == 14:
            return segment
        # The header alone: version, density units and density; no thumbnail.
        return b"\xff\xe0\x00\x10" + payload[:12] + b"\x00\x00"
    if marker == _APP2 and payload.startswith(b"ICC_PROFILE\x00"):
        return segment
    if marker == _APP14 and payload.startswith(b"Adobe") and len(payload) == 12:
        return segment  # DCTEncodeVersion, flags and the colour transform: no text
    return None


# --- PNG ----------------------------------------------------------------------------------

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Critical chunks, and those that say how to show the pixels (transparency, gamma, colour
# space and profile, significant bits, background, pixel size, animation).
_PNG_KEPT = frozenset(
    b"IHDR PLTE IDAT IEND tRNS gAMA cHRM sRGB iCCP cICP sBIT bKGD pHYs acTL fcTL fdAT".split()
)


def strip_png(data: bytes) -> bytes:
    """The PNG without text chunks (tEXt, zTXt, iTXt), EXIF (eXIf), its time stamp or any
    chunk not needed to show it, and nothing after IEND; `data` itself when nothing goes."""
    if not data.startswith(_PNG_SIGNATURE):
        raise NotClean("not a PNG")
    parts = [_PNG_SIGNATURE]
    changed = False
    pos, size = len(_PNG_SIGNATURE), len(data)
    while True:
        if pos + 12 > size:
            raise NotClean("a chunk is cut short")
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > size:
            raise NotClean("a chunk is cut short")
        if kind in _PNG_KEPT:
            parts.append(data[pos:end])
        else:
            changed = True
        pos = end
        if kind == b"IEND":
            changed = changed or pos != size
            break
    return b"".join(parts) if changed else data


# --- GIF ----------------------------------------------------------------------------------

_GIF_KEPT_APPLICATIONS = (b"NETSCAPE2.0", b"ANIMEXTS1.0")  # how many times to loop


def strip_gif(data: bytes) -> bytes:
    """The GIF without comment, plain text and application extensions (XMP lives in one),
    except the looping one, and nothing after its trailer; `data` itself when nothing goes."""
    if data[:6] not in (b"GIF87a", b"GIF89a") or len(data) < 13:
        raise NotClean("not a GIF")
    pos = 13
    if data[10] & 0x80:  # global colour table
        pos += 3 << ((data[10] & 0x07) + 1)
    parts = [data[:pos]]
    changed = False
    size = len(data)
    try:
        while True:
            introducer = data[pos]
            if introducer == 0x3B:  # trailer
                parts.append(b"\x3b")
                changed = changed or pos + 1 != size
                break
            if introducer == 0x2C:  # an image: descriptor, colour table, LZW size, data
                start = pos
                flags = data[pos + 9]
                pos += 10
                if flags & 0x80:
                    pos += 3 << ((flags & 0x07) + 1)
                pos = _skip_sub_blocks(data, pos + 1)
                parts.append(data[start:pos])
            elif introducer == 0x21:  # an extension: label, then sub-blocks
                start, label = pos, data[pos + 1]
                end = _skip_sub_blocks(data, pos + 2)
                # Graphic control (delay, transparency, disposal), and looping.
                looping = label == 0xFF and data[pos + 3 : pos + 14] in _GIF_KEPT_APPLICATIONS
                keep = label == 0xF9 or looping
                if keep:
                    parts.append(data[start:end])
                else:
                    changed = True
                pos = end
            else:
                raise NotClean("an unknown GIF block")
    except IndexError as exc:
        raise NotClean("a block is cut short") from exc
    return b"".join(parts) if changed else data


def _skip_sub_blocks(data: bytes, pos: int) -> int:
    """The position after the data sub-blocks starting at `pos` (and their terminator)."""
    while (length := data[pos]) != 0:
        pos += 1 + length
    return pos + 1


# --- WebP ---------------------------------------------------------------------------------

_WEBP_KEPT = frozenset((b"VP8X", b"VP8 ", b"VP8L", b"ALPH", b"ANIM", b"ANMF", b"ICCP"))
_VP8X_EXIF, _VP8X_XMP = 0x08, 0x04


def strip_webp(data: bytes) -> bytes:
    """The WebP without its EXIF and XMP chunks (and their flags) or unknown chunks; `data`
    itself when nothing goes."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise NotClean("not a WebP")
    parts: list[bytes] = []
    changed = False
    pos, size = 12, min(len(data), 8 + int.from_bytes(data[4:8], "little"))
    changed = size != len(data)
    while pos < size:
        if pos + 8 > size:
            raise NotClean("a chunk is cut short")
        kind = data[pos : pos + 4]
        length = int.from_bytes(data[pos + 4 : pos + 8], "little")
        end = pos + 8 + length + (length & 1)
        if end > size:
            raise NotClean("a chunk is cut short")
        chunk = data[pos:end]
        if kind == b"VP8X" and chunk[8] & (_VP8X_EXIF | _VP8X_XMP):
            chunk = chunk[:8] + bytes([chunk[8] & ~(_VP8X_EXIF | _VP8X_XMP) & 0xFF]) + chunk[9:]
            changed = True
        if kind in _WEBP_KEPT:
            parts.append(chunk)
        else:
            changed = True
        pos = end
    if not changed:
        return data
    body = b"".join(parts)
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


_STRIPPERS = {"PNG": (strip_png, "png"), "GIF": (strip_gif, "gif"), "WEBP": (strip_webp, "webp")}
