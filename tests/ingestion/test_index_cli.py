"""``trialbot index --source`` as a user runs it (real process, real embedding model), on a tmp index."""

import json
import os
import subprocess
from pathlib import Path

import pytest
from ingestfiles import CTGOV_FIXTURE, DEMO_MARKDOWN

from trialbot.settings import REPO_ROOT

pytestmark = pytest.mark.integration
TRIALBOT = str(REPO_ROOT / ".venv" / "bin" / "trialbot")


def test_index_source_adds_a_directory_and_names_the_skipped_files(tmp_path: Path, make_pdf):
    docs = tmp_path / "trials" / "NCT00000001" / "docs"
    docs.mkdir(parents=True)
    (docs / "01-demo.md").write_text(DEMO_MARKDOWN, encoding="utf-8")
    team = tmp_path / "team"
    team.mkdir()
    (team / "leaflet.pdf").write_bytes(make_pdf("Drug X leaflet (NCT34567890)", [("Costs", ["The drug is free."])]))
    (team / "broken.pdf").write_bytes(b"%PDF-1.7\nthis file was cut short")
    (team / "consent.docx").write_bytes(b"PK\x03\x04")
    env = {**os.environ, "TRIALBOT_INDEX_DIR": str(tmp_path / "index"), "TRIALBOT_DOCS_DIR": str(tmp_path / "trials")}

    def index(*extra: str) -> subprocess.CompletedProcess:
        return subprocess.run([TRIALBOT, "index", "--source", str(team), str(CTGOV_FIXTURE), *extra], env=env,
                              cwd=tmp_path, capture_output=True, text=True, timeout=600)

    result = index()
    assert result.returncode == 0, result.stderr
    skipped = sorted(line for line in result.stderr.splitlines() if line.startswith("skipped "))
    assert len(skipped) == 2
    assert skipped[0].startswith(f"skipped {team / 'broken.pdf'}: not a readable PDF (")
    assert skipped[1] == (f"skipped {team / 'consent.docx'}: unsupported file type .docx (supported: .htm, .html, "
                          ".json, .markdown, .md, .pdf, .text, .txt, .xhtml)")
    assert "Index built:" in result.stdout and "Traceback" not in result.stderr
    manifest = json.loads((tmp_path / "index" / "manifest.json").read_text())
    assert manifest["trials"] == ["NCT00000001", "NCT07520357", "NCT34567890"]
    assert manifest["model"] == "all-MiniLM-L6-v2" and manifest["chunk_count"] > 20
    strict = index("--strict")  # nothing changed: no rebuild, but the skipped files still fail --strict
    assert strict.returncode == 1 and "up to date" in strict.stdout
    assert "consent.docx: unsupported file type .docx" in strict.stderr
