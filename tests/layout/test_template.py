from __future__ import annotations

import copy
import tomllib
from pathlib import Path

import pytest

from printstation.errors import ConfigError
from printstation.layout.template import FIELD_KEYS, load_template, parse_template, product_template
from printstation.layout.text import find_font, fit_text, load_font, measure, wrap_words

FONT_DIR = (Path("/usr/share/fonts/truetype/dejavu"),)


@pytest.fixture(scope="module")
def raw() -> dict:
    return tomllib.loads(product_template().read_text(encoding="utf-8"))


def test_product_template_loads(template):
    assert (template.width, template.height) == (1016, 648)
    assert [f.key for f in template.fields] == list(FIELD_KEYS)
    assert template.field("nik").size > template.field("name").size
    assert template.field("blood_type").same_row


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t["card"].pop("width"), "missing required key 'width'"),
        (lambda t: t["field"].pop(), "does not place valid_until"),
        (lambda t: t["field"].append(dict(t["field"][0])), "placed twice"),
        (lambda t: t["field"][1].update(key="nickname"), "unknown field 'nickname'"),
        (lambda t: t["field"][1].update(min_size=40), "min_size 40 is larger"),
        (lambda t: t["field"][1].update(size="big"), "field[1].size"),
        (lambda t: t["photo"].update(box=[900, 100, 1100, 400]), "photo.box"),
        (lambda t: t["photo"].update(box=[10, 10, 5, 5]), "x0 < x1"),
        (lambda t: t["colours"].update(text="black"), "colours.text"),
        (lambda t: t["colours"].update(background_style="tartan"), "background_style"),
        (lambda t: t["body"].update(bottom=700), "body"),
        (lambda t: t["field"][0].update(value_x=100), "label_x < colon_x < value_x"),
        (lambda t: t["field"][0].update(same_row=True), "same_row on the first field"),
        (lambda t: t["header"][0].update(y=640), "outside the card"),
    ],
)
def test_bad_template_is_config_error(raw, change, message):
    data = copy.deepcopy(raw)
    change(data)
    with pytest.raises(ConfigError) as info:
        parse_template(data, source="test.toml")
    assert message in str(info.value)
    assert "test.toml" in str(info.value)


def test_missing_and_broken_template_files(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_template(tmp_path / "none.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[card\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_template(bad)


def test_missing_font_is_a_clear_config_error(tmp_path):
    with pytest.raises(ConfigError, match=r"NoSuchFont\.ttf not found") as info:
        find_font("NoSuchFont.ttf", (tmp_path,))
    assert "fonts-dejavu-core" in str(info.value)


def test_missing_font_stops_rendering(raw, tmp_path, make_record, media, issue, office):
    from printstation.layout.face import render_face

    data = copy.deepcopy(raw)
    data["fonts"]["folders"] = [str(tmp_path)]
    template = parse_template(data)
    with pytest.raises(ConfigError, match=r"DejaVuSans\.ttf not found"):
        render_face(make_record(), media, issue, office, template)


def test_label_running_into_colon_is_config_error(raw, make_record, media, issue, office):
    from printstation.layout.face import render_face

    data = copy.deepcopy(raw)
    data["field"][2]["label"] = "Tempat dan Tanggal Kelahiran"
    with pytest.raises(ConfigError, match="runs into its colon"):
        render_face(make_record(), media, issue, office, parse_template(data))


def test_fit_text_order():
    path = find_font("DejaVuSans.ttf", FONT_DIR)
    # fits at full size
    assert fit_text("OEBOBO", path, size=23, min_size=17, max_width=300).size == 23
    # shrinks on one line before wrapping
    width = measure("MARIA MAGDALENA DA SILVA", load_font(path, 20))
    fitted = fit_text("MARIA MAGDALENA DA SILVA", path, size=23, min_size=17, max_width=width,
                      max_lines=2)  # fmt: skip
    assert fitted.lines == ("MARIA MAGDALENA DA SILVA",) and fitted.size == 20
    # wraps at the largest size that fits in the allowed lines
    fitted = fit_text("MARIA MAGDALENA DA SILVA", path, size=23, min_size=17, max_width=200,
                      max_lines=2)  # fmt: skip
    assert len(fitted.lines) == 2
    assert all(measure(line, load_font(path, fitted.size)) <= 200 for line in fitted.lines)
    # nothing fits
    assert fit_text("MARIA MAGDALENA DA SILVA", path, size=23, min_size=17, max_width=40,
                    max_lines=2) is None  # fmt: skip


def test_wrap_words_never_cuts_a_word():
    font = load_font(find_font("DejaVuSans.ttf", FONT_DIR), 20)
    assert wrap_words("AAAAAAAAAAAAAAAAAAAA B", font, 60, 3) is None
    assert wrap_words("A B C", font, 1000, 1) == ["A B C"]
    assert wrap_words("AB CD EF", font, measure("AB CD", font), 2) == ["AB CD", "EF"]
    assert wrap_words("AB CD EF", font, measure("AB", font), 2) is None


def test_single_line_min_wraps_before_shrinking_too_far():
    path = find_font("DejaVuSans.ttf", FONT_DIR)
    text = "JL. PERINTIS KEMERDEKAAN I GG. MAWAR NO. 139B"
    width = measure(text, load_font(path, 18))
    shrunk = fit_text(text, path, size=23, min_size=18, max_width=width, max_lines=2)
    assert shrunk.lines == (text,) and shrunk.size == 18
    wrapped = fit_text(
        text, path, size=23, min_size=18, max_width=width, max_lines=2, single_line_min=20
    )
    assert len(wrapped.lines) == 2 and wrapped.size == 23
