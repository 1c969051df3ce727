"""Model cards: facts from the registry, the training job, the dataset and its latest feature
discovery, judgement from the human-written sections stored with `PUT .../card`.

Each render is counted in `maestro_model_card_generations_total` (format, success or failure);
an unknown format is counted as a failure under `format="invalid"`, so the label stays bounded.
"""

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from maestro.db.models import ModelCardSections
from maestro.errors import NotFound, ValidationFailed
from maestro.ml.model_card import HUMAN_FIELDS, ModelCard, build_card, completeness, render
from maestro.observability import metrics
from maestro.services.datasets import DatasetService
from maestro.services.discovery import DiscoveryService
from maestro.services.principal import Principal
from maestro.services.registry import RegistryService
from maestro.services.training import TrainingService

FORMATS = ("markdown", "html", "json")
MEDIA_TYPES = {
    "markdown": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "json": "application/json",
}
MAX_FIELD_CHARS = 10_000
MAX_LIST_ITEMS = 50
MAX_SECTIONS_BYTES = 64 * 1024


class CardService:
    def __init__(
        self,
        registry: RegistryService,
        datasets: DatasetService,
        training: TrainingService,
        discovery: DiscoveryService,
    ) -> None:
        self.registry = registry
        self.datasets = datasets
        self.training = training
        self.discovery = discovery

    def render(
        self, session: Session, principal: Principal, name: str, ref: str, fmt: str
    ) -> tuple[str, str]:
        """The card as text and its media type; counted as one generation either way."""
        with _generation(principal, fmt):
            if fmt not in FORMATS:
                raise ValidationFailed(
                    f"unknown card format '{fmt}'; use one of: {', '.join(FORMATS)}",
                    details={"field": "format"},
                )
            card = self.build(session, principal, name, ref)
            text = render(card, fmt)  # type: ignore[arg-type]
            if fmt == "json":
                document = json.loads(text)
                document["completeness"] = completeness_report(card)
                text = json.dumps(document, indent=2, default=str)
            return text, MEDIA_TYPES[fmt]

    def build(self, session: Session, principal: Principal, name: str, ref: str) -> ModelCard:
        model = self.registry.get_model(session, principal, name).model
        details = self.registry.get_version(session, principal, name, ref)
        version = details.version
        meta = dict(version.metadata_ or {})
        training = None
        job_id = meta.get("training_job_id")
        if isinstance(job_id, str):
            result = self.training.result(session, principal, job_id) or {}
            training = result.get("training")
        dataset_id = (training or {}).get("dataset_id") or meta.get("dataset_id")
        dataset = discovery = None
        if isinstance(dataset_id, str):
            try:
                row = self.datasets.get(session, principal, dataset_id)
            except NotFound:
                row = None  # deleted since: the card says what the version recorded
            if row is not None:
                dataset = {
                    "id": row.id,
                    "name": row.name,
                    "rows": row.rows,
                    "columns": row.columns,
                    "size_bytes": row.size_bytes,
                }
                discovery = self.discovery.latest_report(session, principal, row.id)
        return build_card(
            {"name": model.name, "description": model.description, "tags": _tags(model.tags)},
            {
                "version": version.version,
                "created_at": version.created_at.isoformat(),
                "format": version.format,
                "size_bytes": version.size_bytes,
                "sha256": version.sha256,
                "metadata": meta,
            },
            training,
            dataset,
            discovery,
            self._sections(session, version.id),
        )

    def get_sections(
        self, session: Session, principal: Principal, name: str, ref: str
    ) -> dict[str, Any]:
        version = self.registry.get_version(session, principal, name, ref).version
        return self._sections(session, version.id)

    def put_sections(
        self,
        session: Session,
        principal: Principal,
        name: str,
        ref: str,
        sections: Mapping[str, Any],
    ) -> dict[str, Any]:
        """Replace the human-written sections of one version; returns them with completeness."""
        principal.require_write()
        clean = validate_sections(sections)
        version = self.registry.get_version(session, principal, name, ref).version
        row = session.scalar(
            select(ModelCardSections).where(ModelCardSections.version_id == version.id)
        )
        if row is None:
            row = ModelCardSections(
                tenant_id=principal.require_tenant(), version_id=version.id, sections=clean
            )
            session.add(row)
        else:
            row.sections = clean
        row.updated_by = principal.user_id
        session.flush()
        card = self.build(session, principal, name, ref)
        return {"sections": clean, "completeness": completeness_report(card)}

    def _sections(self, session: Session, version_id: str) -> dict[str, Any]:
        row = session.scalar(
            select(ModelCardSections).where(ModelCardSections.version_id == version_id)
        )
        return dict(row.sections) if row is not None else {}


def completeness_report(card: ModelCard) -> dict[str, Any]:
    from maestro.ml.model_card import SECTIONS

    empty = completeness(card)
    return {
        "complete": not empty,
        "empty_sections": empty,
        "filled": len(SECTIONS) - len(empty),
        "total": len(SECTIONS),
    }


def validate_sections(sections: Mapping[str, Any]) -> dict[str, Any]:
    """Known fields only; each a string or a list of strings, bounded in size."""
    unknown = sorted(set(sections) - set(HUMAN_FIELDS))
    if unknown:
        raise ValidationFailed(
            f"unknown card section(s): {', '.join(unknown)}; known: {', '.join(HUMAN_FIELDS)}",
            details={"fields": unknown},
        )
    clean: dict[str, Any] = {}
    for key, value in sections.items():
        if value is None:
            continue
        items = value if isinstance(value, list) else [value]
        if not all(isinstance(i, str) for i in items):
            raise ValidationFailed(
                f"card section '{key}' must be a string or a list of strings",
                details={"field": key},
            )
        if len(items) > MAX_LIST_ITEMS or any(len(i) > MAX_FIELD_CHARS for i in items):
            raise ValidationFailed(
                f"card section '{key}' is too long (at most {MAX_LIST_ITEMS} items of "
                f"{MAX_FIELD_CHARS} characters)",
                details={"field": key},
            )
        clean[key] = value
    if len(json.dumps(clean).encode()) > MAX_SECTIONS_BYTES:
        raise ValidationFailed(f"card sections exceed {MAX_SECTIONS_BYTES} bytes in total")
    return clean


def _tags(tags: Mapping[str, str] | None) -> list[str]:
    return [f"{k}:{v}" if v else k for k, v in (tags or {}).items()]


@contextmanager
def _generation(principal: Principal, fmt: str) -> Iterator[None]:
    status = "failure"
    try:
        yield
        status = "success"
    finally:
        metrics.MODEL_CARD_GENERATIONS.labels(
            tenant_id=principal.tenant_slug or metrics.ANONYMOUS_TENANT,
            format=fmt if fmt in FORMATS else "invalid",
            status=status,
        ).inc()
