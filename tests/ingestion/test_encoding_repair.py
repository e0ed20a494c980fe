"""Encoding repair: the seed page's lossy Thai mojibake, ordinary mojibake (ftfy), and what is left alone."""

import re
from pathlib import Path

import pytest

from knowledge.chunking import chunk_documents
from knowledge.encoding_repair import load_repair_map, repair_text, repair_thai_mojibake
from knowledge.ingest import read_source

pytestmark = pytest.mark.unit

THAI = re.compile(r"[\u0E00-\u0E7F]")


def lossy_thai(text: str) -> str:
    """How the seed page was damaged: UTF-8 bytes read as TIS-620, bytes without a Thai letter dropped."""
    return re.sub(r"[\u0080-\u009F]", "", text.encode("utf-8").decode("tis_620", errors="ignore"))


def test_seed_page_ingests_without_thai_mojibake(seed_page: Path):
    raw = seed_page.read_bytes()
    assert THAI.search(raw.decode("utf-8")), "the seed page is expected to carry the mojibake"
    documents = read_source(seed_page, raw)
    text = "\n".join(f"{d.title}\n{d.section}\n{d.body}" for d in documents)
    assert not THAI.search(text)
    for expected in ("LVEF ≥ 50%", "ANC ≥ 1.5×10⁹/L", "PLT ≥ 100×10⁹/L", "fever > 38.5°C", "ALT and AST ≤ 3× ULN",
                     "Age 18–75 years", "SHR-A1904 — Hengrui's", "response rates of 40–67%", "© CancerFax"):
        assert expected in text, expected
    chunks = chunk_documents(documents, 500)
    assert chunks and not any(THAI.search(c.text) or THAI.search(c.section) for c in chunks)
    assert all(c.trial_id == "NCT07520357" for c in chunks)


def test_seed_page_list_marks_become_check_and_cross_marks(seed_page: Path):
    documents = read_source(seed_page, seed_page.read_bytes())
    by_section = {d.section: d.body for d in documents}
    inclusion = by_section["Inclusion Criteria — May Be Eligible"]  # "check_circle" icon name removed
    exclusion = by_section["Exclusion Criteria — May Not Be Eligible"]
    assert "- ✓ Histologically confirmed advanced neuroendocrine carcinoma" in inclusion.splitlines()
    assert "- ✗ Previous receipt of claudin 18.2-targeted therapy" in exclusion.splitlines()
    assert inclusion.count("- ✓ ") == 14 and exclusion.count("- ✗ ") == 22


@pytest.mark.parametrize("clean", [
    "ANC ≥ 1.5×10⁹/L; PLT ≥ 100×10⁹/L; TBIL ≤ 1.5× ULN",
    "Unexplained fever > 38.5°C before first dose",
    "SHR-A1904 — a CLDN18.2-targeting ADC — is given every 3 weeks (ECOG 0–1, age 18–75).",
    "© CancerFax · patient navigation",
])
def test_lossy_mojibake_round_trip(clean: str):
    damaged = lossy_thai(clean)
    assert THAI.search(damaged)
    assert repair_text(damaged) == clean


def test_list_item_marks_round_trip():
    damaged = lossy_thai("- ✓Age 18–75 years\n- ×Active hepatitis B")
    assert repair_text(damaged) == "- ✓ Age 18–75 years\n- ✗ Active hepatitis B"


def test_thai_mojibake_that_kept_every_byte_is_undone_exactly():
    clean = "ANC ≥ 1.5×10⁹/L — age 18–75, fever > 38.5°C ✓"
    damaged = clean.encode("utf-8").decode("tis_620", errors="ignore")  # 0x80–0x9F kept as C1 controls
    assert re.search(r"[\u0080-\u009F]", damaged)
    assert repair_text(damaged) == clean


def test_ordinary_mojibake_is_fixed_by_ftfy_first():
    damaged = "LVEF â‰¥ 50% and fever > 38.5Â°C"  # UTF-8 read as Windows-1252
    assert repair_text(damaged) == "LVEF ≥ 50% and fever > 38.5°C"


def test_real_thai_text_is_left_alone():
    thai = "โรงพยาบาลปักกิ่ง โครงการวิจัยทางคลินิก ร่วมกับแพทย์"
    assert repair_text(thai) == thai
    assert repair_thai_mojibake(f"{thai} ≥ 50%") == f"{thai} ≥ 50%"


def test_clean_text_is_unchanged():
    clean = "Patients aged 18 to 75 years can join. “Quotes” stay curly; 10⁹/L stays."
    assert repair_text(clean) == clean


def test_the_map_is_data(tmp_path: Path):
    custom = tmp_path / "map.yml"
    custom.write_text('thai_windows_874:\n  - {seen: "ฅ", meant: "X"}\nicon_ligatures: [star]\n', encoding="utf-8")
    repair_map = load_repair_map(custom)
    assert repair_text("aฅb\nstarTitle", repair_map) == "aXb\nTitle"
    broken = tmp_path / "broken.yml"
    broken.write_text('thai_windows_874:\n  - {seen: "ฅ", meant: "X", context: list_item_start}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="without a context"):
        load_repair_map(broken)
    not_thai = tmp_path / "not_thai.yml"
    not_thai.write_text('thai_windows_874:\n  - {seen: "ab", meant: "X"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="Thai-block"):
        load_repair_map(not_thai)
