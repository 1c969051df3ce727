"""The platform's own job kinds (training, feature discovery) and what their handlers share."""

from sqlalchemy import select

from maestro.db.models import Dataset, Tenant, User
from maestro.jobs.context import JobContext, JobFailed
from maestro.services.principal import Principal, Role
from maestro.services.training import JOB_USERNAME


def job_principal(ctx: JobContext) -> Principal:
    """The job acts as the user who submitted it, with that user's current role.

    A user deleted since then leaves the job acting as a tenant member, so the work the tenant
    asked for still completes.
    """
    with ctx.db.session() as session:
        slug = session.scalar(select(Tenant.slug).where(Tenant.id == ctx.tenant_id))
        user = session.get(User, ctx.user_id) if ctx.user_id else None
    if slug is None:
        raise JobFailed("the tenant of this job no longer exists")
    if user is None or user.tenant_id != ctx.tenant_id:
        return Principal("", JOB_USERNAME, Role.MEMBER, ctx.tenant_id, slug)
    return Principal(user.id, user.username, Role(user.role), ctx.tenant_id, slug)


def load_dataset_row(ctx: JobContext, dataset_id: str) -> Dataset:
    with ctx.db.session() as session:
        dataset = session.scalar(
            select(Dataset).where(Dataset.id == dataset_id, Dataset.tenant_id == ctx.tenant_id)
        )
    if dataset is None:
        raise JobFailed(f"dataset {dataset_id!r} no longer exists")
    return dataset
