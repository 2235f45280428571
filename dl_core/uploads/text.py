"""Text: size caps, UTF-8/UTF-16/legacy detection, binary refusal, NFC, vocabulary cap."""

from __future__ import annotations

import codecs
import collections
import unicodedata
from typing import TYPE_CHECKING

from dl_core.uploads.common import _PLACEHOLDER, _check_bytes, _Refused, _sniff, _subject

if TYPE_CHECKING:  # pragma: no cover
    pass


# --------------------------------------------------------------------------- text

_WESTERN_PUNCTUATION = set("€‚„…†‡ˆ‰‹Œ‘’“”•–—˜™›œŸ¡¢£¤¥¦§¨©ª«¬­®¯°±²³´µ¶·¸¹º»¼½¾¿×÷")


def _control_ratio(text: str) -> float:
    if not text:
        return 0.0
    allowed = "\t\n\r\f\v\x1a\x1b"
    bad = sum(1 for ch in text if unicodedata.category(ch) in ("Cc", "Cs") and ch not in allowed)
    return bad / len(text)


def _looks_western(text: str) -> bool:
    """Whether a cp1252 decoding reads like Latin-script text (sparse accented letters)."""
    non_ascii = [ch for ch in text if ord(ch) > 127]
    if not non_ascii:
        return True
    odd = sum(1 for ch in non_ascii if not ch.isalpha() and ch not in _WESTERN_PUNCTUATION)
    letters = sum(1 for ch in text if ch.isalpha())
    accented = sum(1 for ch in non_ascii if ch.isalpha())
    return odd <= 0.1 * len(non_ascii) and (letters == 0 or accented <= 0.5 * letters)


def _decode_legacy(data: bytes) -> str | None:
    """Decode bytes that are not UTF-8 and have no BOM; ``None`` if they look binary."""
    from charset_normalizer import from_bytes

    if b"\x00" not in data:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = None
        if text is not None and _control_ratio(text) <= 0.01 and _looks_western(text):
            return text
        excluded = ["utf_16", "utf_16_be", "utf_16_le", "utf_32", "utf_32_be", "utf_32_le"]
        best = from_bytes(data, cp_exclusion=excluded).best()
    else:  # NUL bytes: only BOM-less UTF-16/32 can still be text
        best = from_bytes(data).best()
        if best is not None and not best.encoding.startswith(("utf_16", "utf_32")):
            return None
    if best is None or best.chaos > 0.1:
        return None
    text = str(best)
    if _control_ratio(text) > 0.01:
        return None
    return text


def load_text(
    data: bytes,
    *,
    max_bytes: int = 5 * 1024**2,
    max_chars: int = 5_000_000,
    name: str = "",
) -> str:
    """Decode an uploaded text file.

    UTF-8 (with or without BOM) and UTF-16/32 with a BOM are read directly; anything else
    goes through a Western-European check and then ``charset_normalizer``. Binary data
    (NUL bytes, control characters, undecodable bytes) is refused. The result is NFC
    normalised with ``\\n`` newlines and no BOM.

    Args:
        data: The uploaded bytes.
        max_bytes: Largest accepted file size.
        max_chars: Largest accepted number of characters after decoding.
        name: The upload's filename, used only in messages.

    Returns:
        The text.

    Raises:
        UploadError: Empty, too large, too long, or not text.
    """
    subject = _subject(name)
    _check_bytes(data, max_bytes, subject, "a plain-text file")
    data = bytes(data)
    text: str | None
    try:
        if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
            text = data.decode("utf-32")
        elif data.startswith(codecs.BOM_UTF8):
            text = data[len(codecs.BOM_UTF8) :].decode("utf-8")
        elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            text = data.decode("utf-16")
        else:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                text = _decode_legacy(data)
    except UnicodeDecodeError as err:
        raise _Refused(
            f"{subject} starts with a Unicode marker but its contents do not match it, so it "
            "cannot be read. Please save it again as UTF-8 text and upload it.",
            "text with a broken encoding",
        ) from err
    if text is None or "\x00" in text or _control_ratio(text) > 0.01:
        kind = _sniff(data)
        looks = f" (it looks like {kind.split(',')[0]})" if kind else ""
        raise _Refused(
            f"{subject} does not look like text{looks}: it contains binary data. Please upload "
            "a plain-text file (.txt or .csv), ideally saved as UTF-8.",
            "not a text file",
        )
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", text)
    if not text.strip():
        raise _Refused(
            f"{subject} is empty: it contains no text, only blank space. Please upload a file "
            "with some text in it.",
            "empty text",
        )
    if len(text) > max_chars:
        raise _Refused(
            f"{subject} has {len(text):,} characters, more than the limit of {max_chars:,}. "
            "Please upload a shorter text.",
            "text too long",
        )
    return text


def cap_vocabulary(text: str, max_vocab: int) -> tuple[str, list[str]]:
    """Keep the ``max_vocab - 1`` most frequent characters and replace the others.

    Rare characters become ``"\\ufffd"`` (the replacement character), so the result uses
    at most ``max_vocab`` distinct characters. Ties are broken by first appearance.

    Args:
        text: The text (usually from :func:`load_text`).
        max_vocab: The largest vocabulary the model accepts, including the placeholder.

    Returns:
        ``(new_text, dropped)``: the text with rare characters replaced, and the replaced
        characters, most frequent first (empty when nothing changed).
    """
    if max_vocab < 2:
        raise ValueError(f"max_vocab must be at least 2, got {max_vocab}")
    counts = collections.Counter(text)
    if len(counts) <= max_vocab:
        return text, []
    counts.pop(_PLACEHOLDER, None)
    ranked = [ch for ch, _ in counts.most_common()]
    dropped = ranked[max_vocab - 1 :]
    table = {ord(ch): _PLACEHOLDER for ch in dropped}
    return text.translate(table), dropped
