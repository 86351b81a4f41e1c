"""The console's front-end libraries ship inside the package, pinned, and load nothing from
a network: each file matches the sha256 that scripts/vendor-js.sh recorded from the npm
package, and no page or library names an http(s) address to load code from.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from pathlib import Path

import pytest

CONSOLE = Path(__file__).resolve().parents[2] / "printstation" / "console"
VENDOR = CONSOLE / "static" / "vendor"
#: An http(s) address anywhere in a file (htmx's and the extension's builds carry none).
URL = re.compile(rb"https?://", re.IGNORECASE)
#: A <script src=...> or <link href=...> in a template.
LOADED = re.compile(r"""<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*["']([^"']+)["']""", re.I)


def versions() -> list[dict[str, str]]:
    packages = tomllib.loads((VENDOR / "VERSIONS.toml").read_text())["package"]
    assert isinstance(packages, list)
    return packages


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_one_pinned_version_of_htmx_2_0_and_its_sse_extension() -> None:
    pinned = {p["name"]: p["version"] for p in versions()}
    assert set(pinned) == {"htmx.org", "htmx-ext-sse"}
    assert re.fullmatch(r"2\.0\.\d+", pinned["htmx.org"]), pinned
    assert pinned["htmx-ext-sse"] == "2.2.4"
    for package in versions():
        assert package["integrity"].startswith("sha512-"), package


@pytest.mark.parametrize("package", versions(), ids=lambda p: p["name"])
def test_each_vendored_file_and_licence_matches_its_recorded_sha256(
    package: dict[str, str],
) -> None:
    assert sha256(VENDOR / package["file"]) == package["sha256"]
    assert sha256(VENDOR / package["licence"]) == package["licence_sha256"]
    assert "BSD" in (VENDOR / package["licence"]).read_text()


def test_the_vendor_folder_holds_only_what_versions_names() -> None:
    named = {"VERSIONS.toml"}
    for package in versions():
        named |= {package["file"], package["licence"]}
    assert {p.name for p in VENDOR.iterdir()} == named


@pytest.mark.parametrize("name", ["htmx.min.js", "sse.js"])
def test_a_vendored_library_names_no_network_address(name: str) -> None:
    text = (VENDOR / name).read_bytes()
    assert len(text) > 1000
    assert URL.search(text) is None, f"{name} names an http(s) address"


def test_the_console_pages_load_scripts_and_styles_only_from_the_package() -> None:
    templates = sorted((CONSOLE / "templates").rglob("*.html"))
    assert templates, "the console has no templates"
    loaded = [(t.name, ref) for t in templates for ref in LOADED.findall(t.read_text())]
    assert any(ref.endswith("vendor/htmx.min.js") for _, ref in loaded), loaded
    for name, ref in loaded:
        assert not re.match(r"(?:https?:)?//", ref), f"{name} loads {ref} from a network"
