"""The built extension (scripts/build-web.sh extension → bugport/web/extension/): Manifest V3 with
least privilege, CSP-clean pages, no remote code, the zip matching the unpacked folder, the
capture limits matching the API's, and the shared code really shared (the widget's redaction
module and the dashboard's generated API types are imported, not copied)."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest

from bugport.bug import schemas as bug_schemas
from tests.extension.browser import ROOT, UNPACKED, need_extension_build

SRC = ROOT / "extension" / "src"
ZIP = UNPACKED.parent / "bugport-extension.zip"


@pytest.fixture(scope="module")
def manifest() -> dict[str, object]:
    need_extension_build()
    return json.loads((UNPACKED / "manifest.json").read_text())  # type: ignore[no-any-return]


def test_manifest_v3_least_privilege(manifest: dict[str, object]) -> None:
    assert manifest["manifest_version"] == 3
    assert (
        manifest["version"] == json.loads((ROOT / "extension/package.json").read_text())["version"]
    )
    # Each permission is used by a feature (docs/extension.md says which); nothing broader.
    assert sorted(manifest["permissions"]) == sorted(  # type: ignore[arg-type]
        ["activeTab", "scripting", "storage", "alarms", "offscreen", "tabCapture"]
    )
    # Reaching the API: loopback only; any other server is asked for when it is configured.
    assert manifest["host_permissions"] == ["http://127.0.0.1/*", "http://localhost/*"]
    assert manifest["optional_host_permissions"] == ["https://*/*", "http://*/*"]
    (script,) = manifest["content_scripts"]  # type: ignore[misc]
    assert script["world"] == "MAIN" and script["run_at"] == "document_start"
    assert script["js"] == ["page-capture.js"] and script["all_frames"] is False
    connectable = manifest["externally_connectable"]["matches"]  # type: ignore[index]
    assert "http://127.0.0.1/*" in connectable and not any("*://*" in m for m in connectable)
    csp = manifest["content_security_policy"]["extension_pages"]  # type: ignore[index]
    assert "script-src 'self'" in csp and "unsafe" not in csp and "object-src 'none'" in csp
    for name in (
        "background.js",
        "page-capture.js",
        "capture.html",
        "options.html",
        "offscreen.html",
    ):
        assert (UNPACKED / name).is_file(), name


def test_pages_are_csp_clean_and_load_no_remote_code(manifest: dict[str, object]) -> None:
    for page in UNPACKED.glob("*.html"):
        html = page.read_text()
        scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.S)
        assert scripts, page.name
        for attrs, body in scripts:
            src = re.search(r'src="([^"]+)"', attrs)
            assert src and not re.match(r"(https?:)?//", src.group(1)), (page.name, attrs)
            assert body.strip() == "", f"inline script in {page.name}"
        assert not re.search(r"\son[a-z]+\s*=", html), f"inline handler in {page.name}"
        assert not re.search(r"<link[^>]+href=\"(https?:)?//", html), page.name
    for js in UNPACKED.glob("*.js"):
        code = js.read_text()
        assert "eval(" not in code and "new Function" not in code, js.name
        assert not re.search(r"import\s*\(\s*['\"]https?:", code), js.name
        assert "importScripts" not in code, js.name


def test_zip_holds_the_unpacked_folder(manifest: dict[str, object]) -> None:
    files = sorted(str(p.relative_to(UNPACKED)) for p in UNPACKED.rglob("*") if p.is_file())
    with zipfile.ZipFile(ZIP) as z:
        assert sorted(z.namelist()) == files
        assert json.loads(z.read("manifest.json")) == manifest
        assert z.read("page-capture.js") == (UNPACKED / "page-capture.js").read_bytes()


def _ts_number(src: str, name: str) -> int:
    m = re.search(rf"\b{name}:\s*([0-9_ *]+),", src)
    assert m, name
    value = 1
    for part in m.group(1).replace("_", "").split("*"):
        value *= int(part.strip())
    return value


def test_capture_limits_match_the_api() -> None:
    src = (SRC / "shared" / "limits.ts").read_text()
    assert _ts_number(src, "maxRequestBytes") == bug_schemas.MAX_REQUEST_BYTES
    assert _ts_number(src, "maxLogs") == bug_schemas.MAX_LOGS
    assert _ts_number(src, "maxNetwork") == bug_schemas.MAX_NETWORK
    assert _ts_number(src, "maxLogsBytes") == bug_schemas.MAX_LOGS_BYTES
    assert _ts_number(src, "maxNetworkBytes") == bug_schemas.MAX_NETWORK_BYTES
    assert _ts_number(src, "maxBodyChars") == bug_schemas.MAX_BODY_CHARS
    assert _ts_number(src, "maxHeaders") == bug_schemas.MAX_HEADERS
    fields = bug_schemas.LogIn.model_fields
    assert _ts_number(src, "maxMessageChars") == _max_length(fields["message"])
    assert _ts_number(src, "maxStackChars") == _max_length(fields["stack"])
    assert _ts_number(src, "maxUrlChars") == _max_length(bug_schemas.NetworkIn.model_fields["url"])
    content = bug_schemas.ReportContent.model_fields
    assert _ts_number(src, "maxReproStepsChars") == _max_length(content["repro_steps"])
    assert _ts_number(src, "maxTitleChars") == _max_length(content["title"])
    assert _ts_number(src, "maxDescriptionChars") == _max_length(content["description"])


def _max_length(field: object) -> int:
    for m in getattr(field, "metadata", []):
        if getattr(m, "max_length", None) is not None:
            return int(m.max_length)
    raise AssertionError(f"no max_length on {field}")


def _sources() -> dict[Path, str]:
    return {p: p.read_text() for p in SRC.rglob("*.ts")}


def test_redaction_and_api_types_are_shared_not_copied() -> None:
    sources = _sources()
    redact_users = [p for p, s in sources.items() if "widget/src/redact" in s]
    assert {p.name for p in redact_users} >= {"capture.ts", "submit.ts"}
    assert not [p for p, s in sources.items() if re.search(r"\bclass Redactor\b", s)]
    assert not list((ROOT / "extension").glob("src/**/schema*.d.ts"))
    types = (SRC / "shared" / "types.ts").read_text()
    assert 'from "../../../dashboard/src/api/schema"' in types
    # Every request goes through the one typed client (shared/api.ts), as in the dashboard.
    offenders = [
        p.name
        for p, s in sources.items()
        if p.name != "api.ts"
        and re.search(r"(?<![\w.])fetch\(|new XMLHttpRequest", s)
        and "page" not in p.parts  # the page script wraps the page's own fetch/XHR
    ]
    assert offenders == []
