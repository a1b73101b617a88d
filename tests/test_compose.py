"""docker-compose.yml is checked statically (no Docker engine here): valid structure, pinned
images, healthchecks, dependency conditions and environment wiring that points at real services."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES: dict = COMPOSE["services"]


def test_expected_services() -> None:
    assert {"elasticsearch", "indexer", "rasa", "actions", "gateway", "postgres"} <= set(SERVICES)


def test_images_are_pinned() -> None:
    for name, service in SERVICES.items():
        image = service.get("image")
        assert image, f"{name} has no image"
        tag = image.rsplit(":", 1)[-1] if ":" in image else ""
        assert tag and tag != "latest" and re.search(r"\d", tag), f"{name}: image {image} is not pinned"
    assert SERVICES["elasticsearch"]["image"].split(":")[-1].startswith("7.17.")


def test_builds_point_at_existing_dockerfiles() -> None:
    for name, service in SERVICES.items():
        if "build" in service:
            assert (ROOT / service["build"]["dockerfile"]).is_file(), name


def test_healthchecks_and_dependency_conditions() -> None:
    for name, service in SERVICES.items():
        if name != "indexer":
            assert "healthcheck" in service, f"{name} has no healthcheck"
        for dep, cond in (service.get("depends_on") or {}).items():
            assert dep in SERVICES, f"{name} depends on unknown {dep}"
            assert cond["condition"] in ("service_healthy", "service_completed_successfully")


def test_environment_wiring() -> None:
    gateway = SERVICES["gateway"]["environment"]
    assert gateway["RASA_URL"] == "http://rasa:5005"
    assert gateway["ACTIONS_URL"] == "http://actions:5055"
    assert gateway["DATABASE_URL"].startswith("postgresql+psycopg://") and "@postgres:5432/" in gateway["DATABASE_URL"]
    assert gateway["ELASTICSEARCH_URL"] == "http://elasticsearch:9200"
    assert SERVICES["rasa"]["environment"]["ACTION_ENDPOINT_URL"] == "http://actions:5055/webhook"
    for name in ("gateway", "actions", "indexer"):
        assert SERVICES[name]["environment"]["SEARCH_BACKEND"] == "elasticsearch"
    wechat = {"WECHAT_TOKEN", "WECHAT_AES_KEY", "WECHAT_APP_ID", "WECHAT_APP_SECRET"}
    assert wechat <= set(gateway)
