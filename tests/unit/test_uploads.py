"""Hostile and ordinary uploads, all generated here: dl_core.uploads must decode or refuse
kindly."""

from __future__ import annotations

import io
import struct
import sys
import warnings
import zipfile
import zlib

import numpy as np
import pytest
from PIL import Image, ImageFile

from dl_core import uploads
from dl_core.errors import UploadError, UserError
from dl_core.uploads import (
    ImageDataset,
    cap_vocabulary,
    load_csv,
    load_image,
    load_image_classes,
    load_image_zip,
    load_keras_model,
    load_text,
)

# --------------------------------------------------------------------------- helpers


def friendly(excinfo: pytest.ExceptionInfo, *needles: str) -> str:
    """Assert the refusal is a readable sentence for visitors; return it."""
    err = excinfo.value
    assert isinstance(err, UploadError) and isinstance(err, UserError)
    msg = str(err)
    assert msg[:1].isupper(), msg
    assert msg.endswith("."), msg
    assert 20 < len(msg) < 700, msg
    for bad in ("Traceback", "Errno", "PIL.", "zipfile", "Exception", "\n", "b'", "0x"):
        assert bad not in msg, (bad, msg)
    for needle in needles:
        assert needle in msg, (needle, msg)
    return msg


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
    )


def raw_png(width: int, height: int, bit_depth: int, colour: int, idat: bytes) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def encode(img: Image.Image, fmt: str = "PNG", **params) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **params)
    return buf.getvalue()


def solid_png(colour=(200, 30, 30), size=(8, 8)) -> bytes:
    return encode(Image.new("RGB", size, colour))


def noisy_jpeg(size=(64, 64)) -> bytes:
    rng = np.random.default_rng(0)
    arr = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    return encode(Image.fromarray(arr), "JPEG", quality=90)


def noisy_png(size=(32, 32)) -> bytes:
    rng = np.random.default_rng(1)
    return encode(Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)))


def make_zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, payload in members.items():
            zf.writestr(zipfile.ZipInfo(name), payload, compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def zeros_member(zf: zipfile.ZipFile, name: str, nbytes: int) -> None:
    """Write ``nbytes`` zeros to the zip in 1 MB chunks (compresses ~1000:1, fast)."""
    chunk = bytes(1024**2)
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with zf.open(info, "w", force_zip64=True) as fh:
        left = nbytes
        while left > 0:
            fh.write(chunk[: min(left, len(chunk))])
            left -= len(chunk)


# --------------------------------------------------------------------------- images: good


@pytest.mark.parametrize(
    "fmt,img",
    [
        ("PNG", Image.new("RGB", (10, 6), (10, 200, 30))),
        ("JPEG", Image.new("RGB", (10, 6), (10, 200, 30))),
        ("WEBP", Image.new("RGB", (10, 6), (10, 200, 30))),
        ("BMP", Image.new("RGB", (10, 6), (10, 200, 30))),
        ("PNG", Image.new("L", (10, 6), 120)),
        ("PNG", Image.new("1", (10, 6), 1)),
    ],
)
def test_supported_formats_decode_to_rgb_uint8(fmt, img):
    arr = load_image(encode(img, fmt), min_side=1)
    assert arr.dtype == np.uint8 and arr.shape == (6, 10, 3)
    expected = np.array(img.convert("RGB"))[0, 0].astype(int)
    assert np.abs(arr[0, 0].astype(int) - expected).max() <= 3


def test_resize_takes_width_then_height_and_grey_mode():
    data = solid_png(size=(40, 20))
    assert load_image(data, size=(32, 16)).shape == (16, 32, 3)
    grey = load_image(data, size=(5, 7), mode="L")
    assert grey.shape == (7, 5) and grey.dtype == np.uint8


def test_sixteen_bit_grey_png_scales_to_eight_bit():
    # Low bytes differ from high bytes, so truncating instead of scaling would show.
    values = np.array([[65535, 0], [32768, 255], [65280, 4096]], dtype=np.uint16)
    data = encode(Image.fromarray(values))
    with Image.open(io.BytesIO(data)) as check:
        assert check.mode.startswith("I")  # really a 16-bit file
    arr = load_image(data, min_side=1)
    assert arr[..., 0].tolist() == [[255, 0], [128, 1], [254, 16]]
    assert (arr[..., 0] == arr[..., 2]).all()
    assert load_image(data, mode="L", min_side=1).tolist() == [[255, 0], [128, 1], [254, 16]]


def test_sixteen_bit_rgb_png_scales_to_eight_bit():
    row = struct.pack(">6H", 65535, 0, 32896, 257, 65535, 0)
    data = raw_png(2, 1, 16, 2, zlib.compress(b"\x00" + row))
    assert load_image(data, min_side=1).tolist() == [[[255, 0, 128], [1, 255, 0]]]


def test_palette_transparency_is_composited_on_white():
    img = Image.new("P", (2, 1))
    img.putpalette([255, 0, 0, 0, 0, 255] + [0] * (254 * 3))
    img.putdata([0, 1])
    arr = load_image(encode(img, transparency=0), min_side=1)
    assert arr.tolist() == [[[255, 255, 255], [0, 0, 255]]]


def test_half_transparent_black_becomes_grey():
    arr = load_image(encode(Image.new("RGBA", (2, 2), (0, 0, 0, 128))), min_side=1)
    assert np.abs(arr.astype(int) - 127).max() <= 1


def test_cmyk_jpeg_becomes_rgb():
    data = encode(Image.new("CMYK", (16, 16), (0, 255, 255, 0)), "JPEG", quality=95)
    arr = load_image(data)
    assert arr.shape == (16, 16, 3)
    red, green, blue = arr[8, 8].astype(int)
    assert red > 200 and green < 60 and blue < 60


def test_exif_orientation_is_applied():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise when shown
    data = encode(Image.new("RGB", (40, 20), (0, 128, 0)), "JPEG", exif=exif)
    assert load_image(data).shape == (40, 20, 3)


def test_animated_gif_gives_its_first_frame():
    red = Image.new("RGB", (6, 4), (255, 0, 0))
    blue = Image.new("RGB", (6, 4), (0, 0, 255))
    data = encode(red, "GIF", save_all=True, append_images=[blue], duration=50, loop=0)
    with Image.open(io.BytesIO(data)) as check:
        assert check.n_frames == 2
    arr = load_image(data, min_side=1)
    assert arr.shape == (4, 6, 3) and arr[0, 0].tolist() == [255, 0, 0]


def test_no_global_pillow_or_warning_state_is_changed():
    before = list(warnings.filters)
    load_image(solid_png())
    with pytest.raises(UploadError):
        load_image(noisy_jpeg()[:500])
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    assert list(warnings.filters) == before


# --------------------------------------------------------------------------- images: hostile


def test_decompression_bomb_png_is_refused_before_decoding():
    # 20000 x 20000 1-bit image: 50 MB of zero rows compress to ~50 KB.
    comp = zlib.compressobj(9)
    rows = bytes(2501) * 1000
    idat = b"".join(comp.compress(rows) for _ in range(20)) + comp.flush()
    data = raw_png(20000, 20000, 1, 0, idat)
    assert len(data) < 200_000
    with pytest.raises(UploadError) as exc:
        load_image(data, name="bomb.png")
    friendly(exc, "bomb.png", "pixels")


def test_pillow_bomb_warning_is_an_error_even_with_a_generous_limit():
    # 100 M pixels: above Pillow's warning threshold (~89 M), below its error threshold.
    data = raw_png(10000, 10000, 1, 0, zlib.compress(b"\x00" * 100))
    with pytest.raises(UploadError) as exc:
        load_image(data, max_pixels=10**9)
    friendly(exc, "too large")


def test_pixel_cap_is_checked_before_decoding():
    # Header says 8000 x 6000; the data is garbage, so only a pre-decode check gives this message.
    data = raw_png(8000, 6000, 8, 2, b"not zlib at all")
    with pytest.raises(UploadError) as exc:
        load_image(data, name="huge.png")
    friendly(exc, "huge.png", "8000 × 6000", "40 million")
    with pytest.raises(UploadError) as exc:
        load_image(solid_png(size=(100, 100)), max_pixels=5000)
    friendly(exc, "100 × 100")


@pytest.mark.parametrize("size", [(1, 20000), (20000, 1), (4, 300), (2000, 150)])
def test_slivers_and_tiny_sides_are_refused_with_one_sentence(size):
    # A 1 x 20000 "sliver" used to reach the CNN as an empty 0 x 160 image.
    with pytest.raises(UploadError) as exc:
        load_image(solid_png(size=size), name="sliver.png")
    friendly(exc, "sliver.png", f"{size[0]} × {size[1]}", "too thin")
    assert load_image(solid_png(size=(900, 100))).shape == (100, 900, 3)  # 9:1 panorama is fine


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_truncated_image_is_refused(fmt):
    data = noisy_jpeg() if fmt == "JPEG" else noisy_png()
    with pytest.raises(UploadError) as exc:
        load_image(data[: len(data) // 2], name="cut.jpg")
    friendly(exc, "cut.jpg", "damaged or incomplete")


def test_svg_is_refused_with_advice():
    svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>'
    with pytest.raises(UploadError) as exc:
        load_image(svg, name="logo.png")
    friendly(exc, "logo.png", "SVG", "PNG")


def test_renamed_executable_is_refused():
    with open(sys.executable, "rb") as fh:
        head = fh.read(4096)
    with pytest.raises(UploadError) as exc:
        load_image(head, name="cat.jpg")
    friendly(exc, "cat.jpg", "not an image", "program")


def test_format_outside_the_allow_list_is_refused():
    tiff = encode(Image.new("RGB", (4, 4)), "TIFF")
    with pytest.raises(UploadError) as exc:
        load_image(tiff)
    friendly(exc, "TIFF")


def test_empty_and_oversized_files_are_refused():
    with pytest.raises(UploadError) as exc:
        load_image(b"", name="empty.png")
    friendly(exc, "empty.png", "0 bytes")
    with pytest.raises(UploadError) as exc:
        load_image(solid_png(), max_bytes=10)
    friendly(exc, "10 bytes limit")


# --------------------------------------------------------------------------- text


def test_text_encodings_are_detected():
    assert load_text("héllo wörld\n".encode("utf-16")) == "héllo wörld\n"
    assert load_text("café".encode("latin-1")) == "café"
    sentence = "Le garçon a mangé une crème brûlée à la fenêtre."
    assert load_text(sentence.encode("latin-1")) == sentence
    quotes = "“Smart quotes” – and 5€…"
    assert load_text(quotes.encode("cp1252")) == quotes
    russian = "Привет мир, как дела у тебя сегодня"
    assert load_text(russian.encode("cp1251")) == russian


def test_text_is_normalised():
    assert load_text(b"\xef\xbb\xbfhello") == "hello"
    assert load_text(b"a\r\nb\rc\n") == "a\nb\nc\n"
    assert load_text("e\u0301".encode()) == "\u00e9"


@pytest.mark.parametrize(
    "payload",
    [
        b"abc\x00def",
        np.random.default_rng(0).bytes(4096),
        np.random.default_rng(1).bytes(200).replace(b"\x00", b"\x01"),
        b"\x89PNG\r\n\x1a\n" + bytes(200),
    ],
    ids=["nul", "random", "random-no-nul", "png"],
)
def test_binary_is_refused_as_text(payload):
    with pytest.raises(UploadError) as exc:
        load_text(payload, name="data.txt")
    friendly(exc, "data.txt", "does not look like text")


def test_empty_long_and_large_texts_are_refused():
    for payload in (b"", b"  \n\t \r\n"):
        with pytest.raises(UploadError) as exc:
            load_text(payload, name="blank.txt")
        friendly(exc, "blank.txt", "empty")
    with pytest.raises(UploadError) as exc:
        load_text(b"x" * 101, max_bytes=100)
    friendly(exc, "100 bytes limit")
    with pytest.raises(UploadError) as exc:
        load_text(b"x" * 50, max_chars=10)
    friendly(exc, "10")


def test_cap_vocabulary_replaces_rare_characters():
    text, dropped = cap_vocabulary("aaaabbbccd\n", 4)
    assert dropped == ["d", "\n"]  # rarest; ties keep the order of first appearance
    assert text == "aaaabbbcc\ufffd\ufffd" and len(set(text)) == 4
    assert cap_vocabulary("abc", 3) == ("abc", [])
    big = "".join(chr(0x4E00 + i) * (i + 1) for i in range(300))
    capped, dropped = cap_vocabulary(big, 65)
    assert len(set(capped)) == 65 and len(dropped) == 300 - 64
    assert chr(0x4E00 + 299) in capped and chr(0x4E00) not in capped
    with pytest.raises(ValueError):
        cap_vocabulary("abc", 1)


# --------------------------------------------------------------------------- zip datasets


def test_zip_of_class_folders_loads_and_ignores_clutter():
    data = make_zip(
        {
            "data/": b"",
            "data/dogs/1.png": solid_png((0, 0, 200), (20, 10)),
            "data/dogs/2.jpg": encode(Image.new("RGB", (9, 9), (0, 0, 200)), "JPEG"),
            "data/cats/1.png": solid_png((200, 0, 0)),
            "data/cats/2.png": solid_png((200, 0, 0)),
            "data/cats/.DS_Store": b"\x00\x00\x00\x01Bud1",
            "__MACOSX/data/cats/._1.png": b"\x00\x05\x16\x07",
            "data/dogs/Thumbs.db": b"\xd0\xcf\x11\xe0",
        }
    )
    ds = load_image_zip(data, size=(12, 10))
    assert isinstance(ds, ImageDataset)
    assert ds.class_names == ["cats", "dogs"]
    assert ds.counts() == {"cats": 2, "dogs": 2}
    assert ds.labels.dtype == np.int64 and ds.labels.tolist() == [0, 0, 1, 1]
    assert ds.as_array().shape == (4, 10, 12, 3)
    assert ds.as_array()[0, 0, 0].tolist() == [200, 0, 0]
    assert ds.skipped == [] and ds.warnings == []


def test_zip_non_images_are_listed_as_skipped():
    data = make_zip(
        {
            "cats/1.png": solid_png(),
            "cats/2.png": solid_png(),
            "cats/notes.txt": b"these are my cats",
            "dogs/1.png": solid_png(),
            "dogs/2.png": noisy_png()[:300],
            "dogs/3.png": solid_png(),
            "readme.md": b"# my dataset",
        }
    )
    ds = load_image_zip(data)
    assert "cats/notes.txt: not an image" in ds.skipped
    assert any(line.startswith("dogs/2.png: ") for line in ds.skipped)
    assert "readme.md: not inside a class folder" in ds.skipped
    assert ds.counts() == {"cats": 2, "dogs": 2}


@pytest.mark.parametrize(
    "evil",
    ["../evil.png", "cats/../../evil.png", "/etc/evil.png", "C:/evil.png", "cats\\..\\x.png"],
)
def test_zip_path_traversal_refuses_the_whole_zip(evil):
    data = make_zip({"cats/1.png": solid_png(), "dogs/1.png": solid_png(), evil: solid_png()})
    with pytest.raises(UploadError) as exc:
        load_image_zip(data, name="set.zip")
    friendly(exc, "set.zip", "unsafe path", evil)


def test_zip_bomb_is_refused_from_declared_sizes_without_inflating(monkeypatch):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("cats/1.png", solid_png())
        zeros_member(zf, "dogs/bomb.png", 8 * 1024**2)
    data = buf.getvalue()
    assert len(data) < 100_000
    opened = []
    real_open = zipfile.ZipFile.open
    monkeypatch.setattr(
        zipfile.ZipFile, "open", lambda self, *a, **k: opened.append(a) or real_open(self, *a, **k)
    )
    with pytest.raises(UploadError) as exc:
        load_image_zip(data, max_total_uncompressed=1024**2)
    friendly(exc, "1 MB limit")
    assert opened == []  # refused before a single member was inflated


def test_zip_bomb_with_lying_sizes_stops_at_the_budget(monkeypatch):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("cats/1.png", solid_png())
        zeros_member(zf, "dogs/bomb.png", 8 * 1024**2)
    data = buf.getvalue()
    # Pretend the central directory under-reports sizes: only the streaming budget is left.
    read = []
    real_read = zipfile.ZipExtFile.read

    def counting_read(self, n=-1):
        chunk = real_read(self, n)
        read.append(len(chunk))
        return chunk

    monkeypatch.setattr(zipfile.ZipExtFile, "read", counting_read)
    monkeypatch.setattr(uploads.datasets, "_declared_size", lambda infos: 0)
    with pytest.raises(UploadError) as exc:
        load_image_zip(data, max_total_uncompressed=1024**2)
    friendly(exc, "1 MB limit")
    assert 1024**2 < sum(read) <= 1024**2 + 2 * 64 * 1024  # stopped right after the budget


def test_zip_member_larger_than_one_image_limit_is_skipped():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in ("cats/1.png", "cats/2.png", "dogs/1.png"):
            zf.writestr(name, solid_png())
        zeros_member(zf, "dogs/huge.png", uploads.MAX_UPLOAD_BYTES + 1)
    ds = load_image_zip(buf.getvalue())
    assert any(line.startswith("dogs/huge.png: larger than") for line in ds.skipped)


def test_zip_member_count_is_capped():
    data = make_zip({f"c{i % 2}/{i}.png": solid_png() for i in range(6)})
    with pytest.raises(UploadError) as exc:
        load_image_zip(data, max_members=5)
    friendly(exc, "6 files", "limit of 5")


def test_zip_with_one_class_is_refused_naming_it():
    data = make_zip({"cats/1.png": solid_png(), "cats/2.png": solid_png()})
    with pytest.raises(UploadError) as exc:
        load_image_zip(data)
    friendly(exc, "'cats'", "at least 2")


def test_zip_without_usable_images_is_refused():
    data = make_zip({"cats/a.txt": b"meow", "dogs/b.txt": b"woof"})
    with pytest.raises(UploadError) as exc:
        load_image_zip(data)
    friendly(exc, "no usable images", "not an image")


def test_zip_small_merged_and_unbalanced_classes_give_warnings():
    members = {f"cats/{i}.png": solid_png() for i in range(10)}
    members["Cats/extra.png"] = solid_png()
    members["dogs/only.png"] = solid_png()
    ds = load_image_zip(make_zip(members))
    assert ds.class_names == ["Cats", "dogs"]
    assert ds.counts() == {"Cats": 11, "dogs": 1}
    text = " ".join(ds.warnings)
    assert "'Cats' and 'cats'" in text and "merged" in text
    assert "'dogs' has only one image" in text
    assert "unbalanced" in text


def test_not_a_zip_is_refused():
    with pytest.raises(UploadError) as exc:
        load_image_zip(solid_png(), name="cats.png")
    friendly(exc, "cats.png", "not a zip")


def test_as_array_needs_equal_sizes():
    data = make_zip({"a/1.png": solid_png(size=(8, 8)), "b/1.png": solid_png(size=(9, 8))})
    ds = load_image_zip(data)
    with pytest.raises(UploadError) as exc:
        ds.as_array()
    friendly(exc, "different sizes")


def test_dataset_pixel_budget():
    data = make_zip({f"{c}/{i}.png": solid_png(size=(100, 100)) for c in "ab" for i in range(3)})
    with pytest.raises(UploadError) as exc:
        load_image_zip(data, max_total_pixels=50_000)
    friendly(exc, "pixels")


# --------------------------------------------------------------------------- per-class uploads


def test_image_classes_load_and_skip_bad_files():
    ds = load_image_classes(
        {
            "cats": [("a.png", solid_png()), ("x.txt", b"not an image")],
            "dogs": [("b.png", solid_png()), ("c.jpg", noisy_jpeg())],
        },
        size=(8, 8),
    )
    assert ds.counts() == {"cats": 1, "dogs": 2}
    assert ds.skipped == ["cats/x.txt: not an image"]
    assert any("'cats' has only one image" in w for w in ds.warnings)
    assert ds.as_array().shape == (3, 8, 8, 3)


def test_image_classes_name_problems():
    with pytest.raises(UploadError) as exc:
        load_image_classes({"cats": [("a.png", solid_png())], "  ": [("b.png", solid_png())]})
    friendly(exc, "no name")
    with pytest.raises(UploadError) as exc:
        load_image_classes({"Cats": [("a.png", solid_png())], "cats ": [("b.png", solid_png())]})
    friendly(exc, "'cats'", "different name")
    with pytest.raises(UploadError) as exc:
        load_image_classes({"cats": [("a.png", solid_png())], "dogs": [("b.txt", b"woof")]})
    friendly(exc, "'cats'", "dogs/b.txt: not an image")


# --------------------------------------------------------------------------- CSV


def test_csv_comma_and_semicolon():
    frame, notes = load_csv(b"x,y,label\n1,2,a\n3,4,b\n")
    assert frame.shape == (2, 3) and list(frame.columns) == ["x", "y", "label"]
    assert notes == []
    frame, _ = load_csv("höhe;breite\n1,5;2\n3;4\n".encode("latin-1"))
    assert list(frame.columns) == ["höhe", "breite"] and len(frame) == 2


def test_csv_row_cap_warns():
    data = ("a,b\n" + "".join(f"{i},{i}\n" for i in range(20))).encode()
    frame, notes = load_csv(data, max_rows=5)
    assert len(frame) == 5 and "first 5 rows" in notes[0]


def test_csv_refusals():
    with pytest.raises(UploadError) as exc:
        load_csv(b"a,b,c\n", name="t.csv")
    friendly(exc, "t.csv", "no data rows")
    with pytest.raises(UploadError) as exc:
        load_csv(b"a,b\n1,2\n3,4,5,6\n", name="t.csv")
    friendly(exc, "t.csv", "line 3")
    with pytest.raises(UploadError) as exc:
        load_csv(np.random.default_rng(3).bytes(2000), name="t.csv")
    friendly(exc, "t.csv", "does not look like text")
    with pytest.raises(UploadError) as exc:
        load_csv(b"", name="t.csv")
    friendly(exc, "t.csv", "empty")


# --------------------------------------------------------------------------- Keras models


@pytest.fixture(scope="module")
def keras():
    import keras as keras_module

    return keras_module


def test_real_keras_model_loads(keras, tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="out")])
    path = tmp_path / "tiny.keras"
    model.save(path)
    loaded = load_keras_model(path.read_bytes(), name="tiny.keras")
    assert isinstance(loaded, keras.Model)
    x = np.ones((4, 3), dtype="float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_keras_lambda_layer_is_refused(keras, tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Lambda(lambda t: t * 2)])
    path = tmp_path / "lambda.keras"
    model.save(path)
    with pytest.raises(UploadError) as exc:
        load_keras_model(path.read_bytes(), name="lambda.keras")
    friendly(exc, "lambda.keras", "Lambda")


def test_keras_non_models_are_refused():
    with pytest.raises(UploadError) as exc:
        load_keras_model(make_zip({"cats/1.png": solid_png()}), name="m.keras")
    friendly(exc, "m.keras", "not a Keras .keras model")
    with pytest.raises(UploadError) as exc:
        load_keras_model(b"\x89HDF\r\n\x1a\n" + bytes(2048), name="old.h5")
    friendly(exc, "old.h5", ".h5", "model.save('model.keras')")
    bad_config = make_zip({"config.json": b"{not json", "model.weights.h5": b"x"})
    with pytest.raises(UploadError) as exc:
        load_keras_model(bad_config)
    friendly(exc, "not a Keras .keras model")
    with pytest.raises(UploadError) as exc:
        load_keras_model(solid_png(), max_bytes=10)
    friendly(exc, "10 bytes limit")
