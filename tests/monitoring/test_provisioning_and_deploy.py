"""Grafana provisioning, docker-compose, Dockerfile and kustomize files: they parse, and every
path, uid and name they reference exists (Docker and kubectl cannot run here)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from maestro.monitoring.contract import METRICS, SCRAPE_JOB, stored_series_names
from tests.monitoring.support import DEPLOY, MONITORING, REPO_ROOT, metric_names

GRAFANA = MONITORING / "grafana"
KUBERNETES = DEPLOY / "kubernetes"
DASHBOARD_FILES = sorted(p.name for p in (GRAFANA / "dashboards").glob("*.json"))


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def compose() -> dict[str, Any]:
    return load_yaml(DEPLOY / "docker-compose.yml")


def bind_mounts(service: str) -> dict[str, Path]:
    """Container path -> host path of a compose service's bind mounts (named volumes skipped)."""
    mounts = {}
    for volume in compose()["services"][service].get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith((".", "/")):
            mounts[target] = (DEPLOY / source).resolve()
    return mounts


def kustomization(directory: Path) -> dict[str, Any]:
    return load_yaml(directory / "kustomization.yaml")


def manifests() -> dict[tuple[str, str], dict[str, Any]]:
    """(kind, name) -> document for every resource file of deploy/kubernetes."""
    documents = {}
    for resource in kustomization(KUBERNETES)["resources"]:
        path = KUBERNETES / resource
        if path.is_file():
            for doc in yaml.safe_load_all(path.read_text()):
                documents[(doc["kind"], doc["metadata"]["name"])] = doc
    return documents


def test_every_yaml_file_parses() -> None:
    paths = [*MONITORING.rglob("*.y*ml"), *DEPLOY.rglob("*.y*ml")]

    assert len(paths) >= 15
    for path in paths:
        assert all(doc is not None for doc in yaml.safe_load_all(path.read_text())), path


def test_dashboard_provider_points_where_compose_mounts_the_dashboards() -> None:
    provisioning = load_yaml(GRAFANA / "provisioning" / "dashboards" / "maestro-ml.yaml")
    (provider,) = provisioning["providers"]
    path = provider["options"]["path"]

    assert provider["type"] == "file"
    assert provider["folder"] == "Maestro ML Platform"
    assert bind_mounts("grafana")[path] == (GRAFANA / "dashboards").resolve()
    assert bind_mounts("grafana")["/etc/grafana/provisioning"] == (GRAFANA / "provisioning")


def test_datasource_is_named_prometheus_with_a_fixed_uid() -> None:
    datasource = load_yaml(GRAFANA / "provisioning" / "datasources" / "prometheus.yaml")
    (prometheus,) = datasource["datasources"]

    assert prometheus["name"] == "Prometheus"
    assert prometheus["type"] == "prometheus"
    assert prometheus["uid"]
    assert prometheus["url"] == "http://prometheus:9090"


def test_compose_provisions_no_grafana_alerts_so_only_the_prometheus_set_is_active() -> None:
    provisioning = bind_mounts("grafana")["/etc/grafana/provisioning"]
    assert not list((provisioning / "alerting").glob("*.y*ml"))
    assert bind_mounts("prometheus")["/etc/prometheus/rules"] == MONITORING / "prometheus" / "rules"


def test_grafana_alerts_are_the_seed_two_attached_to_their_panels() -> None:
    datasource_uid = load_yaml(GRAFANA / "provisioning" / "datasources" / "prometheus.yaml")[
        "datasources"
    ][0]["uid"]
    dashboards = {
        d["uid"]: d
        for d in (json.loads(p.read_text()) for p in (GRAFANA / "dashboards").glob("*.json"))
    }
    expected = {
        "Tenant Quota Warning": ("maestro_tenant_quota_usage_ratio", 0.8, "Tenant Quota Usage"),
        "High Error Rate": ("maestro_http_requests_total", 0.1, "Error Rate by Endpoint"),
    }
    rules = [
        rule
        for path in (GRAFANA / "alerting").glob("*.yaml")
        for group in load_yaml(path).get("groups", [])
        for rule in group["rules"]
    ]

    assert sorted(r["title"] for r in rules) == sorted(expected)
    for rule in rules:
        metric, threshold, panel_title = expected[rule["title"]]
        steps = {step["refId"]: step for step in rule["data"]}
        query = steps["A"]
        condition = steps[rule["condition"]]["model"]
        assert query["datasourceUid"] == datasource_uid
        assert metric in query["model"]["expr"]
        assert condition["conditions"][0]["evaluator"] == {"type": "gt", "params": [threshold]}
        panels = dashboards[rule["annotations"]["__dashboardUid__"]]["panels"]
        panel = next(p for p in panels if str(p["id"]) == rule["annotations"]["__panelId__"])
        assert panel["title"] == panel_title


def test_compose_runs_the_platform_and_its_monitoring_stack() -> None:
    services = compose()["services"]

    assert set(services) >= {
        "api",
        "worker",
        "postgres",
        "redis",
        "prometheus",
        "grafana",
        "alertmanager",
    }
    assert services["api"]["command"][:2] == ["maestro", "serve"]
    assert services["worker"]["command"] == ["maestro", "worker"]
    assert all(k.startswith("MAESTRO_") for k in services["api"]["environment"])
    build = services["api"]["build"]
    assert (DEPLOY / build["context"] / build["dockerfile"]).is_file()


def test_compose_bind_mounts_exist_and_match_the_configs_that_use_them() -> None:
    for service in compose()["services"]:
        for host_path in bind_mounts(service).values():
            assert host_path.exists(), (service, host_path)

    prometheus = bind_mounts("prometheus")
    config = load_yaml(prometheus["/etc/prometheus/prometheus.yml"])
    assert config["rule_files"] == ["rules/*.yml"]
    assert prometheus["/etc/prometheus/rules"] == (MONITORING / "prometheus" / "rules")
    assert (
        bind_mounts("alertmanager")["/etc/alertmanager/alertmanager.yml"]
        == MONITORING / "alertmanager" / "alertmanager.yml"
    )


def test_prometheus_scrapes_the_api_by_its_compose_alias() -> None:
    config = load_yaml(MONITORING / "prometheus" / "prometheus.yml")
    job = next(j for j in config["scrape_configs"] if j["job_name"] == SCRAPE_JOB)
    (target,) = job["static_configs"][0]["targets"]

    host, port = target.split(":")
    assert host in compose()["services"]["api"]["networks"]["default"]["aliases"]
    assert port == "8000"
    (alertmanager,) = config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert alertmanager.split(":")[0] in compose()["services"]


def test_alertmanager_routes_only_to_defined_receivers() -> None:
    config = load_yaml(MONITORING / "alertmanager" / "alertmanager.yml")
    receivers = {r["name"] for r in config["receivers"]}

    routes = [config["route"], *config["route"].get("routes", [])]
    assert {route["receiver"] for route in routes} <= receivers


def test_dockerfile_copies_only_existing_paths() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    sources = [
        source
        for line in re.findall(r"^COPY (?!--from)(.+)$", dockerfile, flags=re.MULTILINE)
        for source in line.split()[:-1]
    ]

    assert sources
    for source in sources:
        assert (REPO_ROOT / source).exists(), source
    assert 'CMD ["maestro", "serve"' in dockerfile


def test_kustomize_resources_exist_and_generator_files_stay_inside_their_root() -> None:
    for resource in kustomization(KUBERNETES)["resources"]:
        path = (KUBERNETES / resource).resolve()
        assert path.is_file() or (path / "kustomization.yaml").is_file(), resource

    dashboards_dir = GRAFANA / "dashboards"
    (generator,) = kustomization(dashboards_dir)["configMapGenerator"]
    assert sorted(generator["files"]) == DASHBOARD_FILES
    assert all("/" not in name for name in generator["files"])
    assert generator["options"]["labels"] == {"grafana_dashboard": "1"}


def test_api_deployment_service_and_servicemonitor_fit_together() -> None:
    docs = manifests()
    deployment = docs[("Deployment", "maestro-api")]
    service = docs[("Service", "maestro-api")]
    monitor = docs[("ServiceMonitor", "maestro-api")]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    (port,) = container["ports"]

    assert port["containerPort"] == 8000
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": port["name"]}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": port["name"]}
    assert all(env["name"].startswith("MAESTRO_") for env in container["env"])
    assert deployment["spec"]["selector"]["matchLabels"] == service["spec"]["selector"]
    assert service["spec"]["ports"][0] == {"name": "http", "port": 8000, "targetPort": "http"}
    service_labels = service["metadata"]["labels"]
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service_labels.items()
    assert monitor["spec"]["endpoints"][0]["port"] == "http"
    assert service_labels[monitor["spec"]["jobLabel"]] == SCRAPE_JOB


def test_prometheusrule_equals_the_rule_files(rule_groups: list[dict[str, Any]]) -> None:
    rule = manifests()[("PrometheusRule", "maestro")]
    script = MONITORING / "generate_prometheusrule.py"

    assert rule["spec"]["groups"] == rule_groups
    assert subprocess.run([sys.executable, str(script), "--check"]).returncode == 0


def test_rule_files_name_only_contract_metrics_in_grafana_alerts_too() -> None:
    allowed = stored_series_names()
    for path in (GRAFANA / "alerting").glob("*.yaml"):
        for group in load_yaml(path)["groups"]:
            for rule in group["rules"]:
                names = metric_names(rule["data"][0]["model"]["expr"])
                assert names <= allowed, rule["title"]


def test_dashboards_readme_names_every_panel_metric_and_real_path() -> None:
    readme = (GRAFANA / "dashboards" / "README.md").read_text()
    titles = [
        panel["title"]
        for path in (GRAFANA / "dashboards").glob("*.json")
        for panel in json.loads(path.read_text())["panels"]
        if panel["type"] != "row"
    ]
    paths = set(re.findall(r"(?<![\w/])((?:monitoring|deploy)/[\w./-]*\w)", readme))

    assert [t for t in titles if f"- {t}" not in readme] == []
    for metric in METRICS:
        assert f"`{metric.name}{{{', '.join(metric.labels)}}}`" in readme, metric.name
    assert paths
    assert [p for p in paths if not (REPO_ROOT / p).exists()] == []
    assert "maestro monitoring check --prometheus" in readme
