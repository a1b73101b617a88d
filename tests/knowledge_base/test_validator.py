"""``make kb-check``: the real knowledge base is clean, and every kind of problem is reported with
file, line and what is wrong."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from knowledge_base.numerals import answer_numbers, chinese_to_int, extract_numbers
from knowledge_base.settings import KB_DIR, PROJECT_ROOT, KnowledgeBaseSettings
from knowledge_base.topics import TOPICS
from knowledge_base.validator import validate

GOOD = """\
- id: ok-entry
  topic: consult_unemployment
  kind: interpretation
  question: 辞职了能领失业金吗？
  phrasings: [辞职能拿失业金吗, 自己走的有失业金吗]
  answer: 需要缴纳失业保险费满一年，并且非因本人意愿中断就业。
  cites: [失业保险条例第十四条]
  external_refs: []
  region: 全国
  status: approved
  source_type: curated
  created: 2026-11-27
  updated: 2026-11-27
"""


def test_real_knowledge_base_is_valid_and_covers_every_topic(kb_settings: KnowledgeBaseSettings) -> None:
    report = validate(kb_settings)
    assert [str(p) for p in report.problems] == []
    assert report.interpretations >= 150
    assert all(report.per_topic[t] >= 10 for t in TOPICS), report.per_topic
    assert report.per_topic["consult_labor_relations"] >= 40


def test_numbers_are_compared_as_numbers() -> None:
    assert chinese_to_int("十二") == 12 and chinese_to_int("一百五十") == 150 and chinese_to_int("二〇二五") == 2025
    assert extract_numbers("十二个月") == extract_numbers("12个月") == {"12"}
    assert "150" in extract_numbers("百分之一百五十") and "100" not in extract_numbers("百分之一百五十")
    assert answer_numbers("依照第四十七条，拨打12333") == set()


def _broken_kb(tmp_path: Path, yaml_text: str) -> KnowledgeBaseSettings:
    kb = tmp_path / "kb"
    shutil.copytree(KB_DIR / "dictionary", kb / "dictionary")
    shutil.copy(KB_DIR / "synonyms.txt", kb / "synonyms.txt")
    shutil.copy(KB_DIR / "metadata_overrides.yml", kb / "metadata_overrides.yml")
    (kb / "interpretations").mkdir()
    (kb / "interpretations" / "broken.yml").write_text(yaml_text, encoding="utf-8")
    return KnowledgeBaseSettings(shared_data_dir=KnowledgeBaseSettings.from_env().shared_data_dir, kb_dir=kb)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("cites: [失业保险条例第十四条]", "cites: [失业保险条例第九十九条]"), "unknown article key '失业保险条例第九十九条'"),
        (("topic: consult_unemployment", "topic: consult_weather"), "unknown topic 'consult_weather'"),
        (("created: 2026-11-27", "created: 2026-13-45"), "bad date in created"),
        (("  region: 全国\n", ""), "missing field(s) region"),
        (("cites: [失业保险条例第十四条]", "cites: [最高人民法院关于审理劳动争议案件适用法律若干问题的解释（二）第一条]"), "of an expired text"),
        (("缴纳失业保险费满一年", "缴纳失业保险费满三年"), "number(s) 3 not found in the cited article text"),
        (("source_type: curated", "source_type: official"), "source_type must be 'curated'"),
        (("region: 全国", "region: 广东省"), None),
    ],
)
def test_each_problem_is_reported_with_file_and_line(tmp_path: Path, change: tuple[str, str], expected: str | None) -> None:
    text = "- id: first-entry\n" + GOOD.split("\n", 1)[1].replace("ok-entry", "x") + GOOD.replace(*change)
    problems = [str(p) for p in validate(_broken_kb(tmp_path, text)).problems]
    if expected is None:
        assert problems == []
        return
    assert any(p.startswith("interpretations/broken.yml:14:") and expected in p for p in problems), problems


def test_duplicate_ids_and_yaml_errors(tmp_path: Path) -> None:
    problems = [str(p) for p in validate(_broken_kb(tmp_path, GOOD + GOOD)).problems]
    assert any("broken.yml:14: duplicate id 'ok-entry' (first at interpretations/broken.yml:1)" in p for p in problems)
    problems = [str(p) for p in validate(_broken_kb(tmp_path / "y", GOOD + "- id: [unclosed\n")).problems]
    assert any(p.startswith("interpretations/broken.yml:15: YAML syntax error") for p in problems), problems


def test_local_text_needs_matching_region(tmp_path: Path) -> None:
    text = GOOD.replace("cites: [失业保险条例第十四条]", "cites: [山东省劳动合同条例第二条]").replace("缴纳失业保险费满一年，并且", "")
    problems = [str(p) for p in validate(_broken_kb(tmp_path, text)).problems]
    assert any("of 山东省 but the entry's region is 全国" in p for p in problems), problems


def test_dictionary_and_synonym_errors(tmp_path: Path) -> None:
    settings = _broken_kb(tmp_path, GOOD)
    (settings.dictionary_dir / "extra.txt").write_text("失业保险金 100 n\n坏 行 多 了\n", encoding="utf-8")
    (settings.kb_dir / "synonyms.txt").write_text("失业保险金 => 失业金\n社会保险 => 社保, 失业金\n", encoding="utf-8")
    problems = [str(p) for p in validate(settings).problems]
    assert any(p.startswith("dictionary/extra.txt:2: not 'word [freq] [pos]'") for p in problems), problems
    assert any("dictionary/extra.txt:1: duplicate word '失业保险金'" in p for p in problems), problems
    assert any(p.startswith("synonyms.txt:2: variant '失业金' already belongs to the group on line 1") for p in problems), problems


def test_cli_prints_json_last_line_also_on_failure(tmp_path: Path) -> None:
    settings = _broken_kb(tmp_path, GOOD.replace("consult_unemployment", "nope"))
    env = {"KB_DIR": str(settings.kb_dir), "SHARED_DATA_DIR": str(settings.shared_data_dir), "PYTHONPATH": str(PROJECT_ROOT), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "knowledge_base.check"], capture_output=True, text=True, env=env, cwd=PROJECT_ROOT)
    assert done.returncode == 1
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["errors"] == 1 and summary["interpretations"] == 1
    assert "broken.yml:1: entry ok-entry: unknown topic 'nope'" in done.stderr
