"""Executor `celery`: the Celery application shared by the API (producer) and `maestro worker`.

The message carries only the job id; the row is the truth. Late acknowledgement with
reject-on-worker-lost and a prefetch of one mean a message is never lost with a dying worker and
never sits reserved behind a long job; a duplicate or late delivery finds the row already claimed
or finished and does nothing. What the broker cannot see (a worker host that vanished while its
message is unacknowledged) is covered by the lease: the API's recovery sweep re-queues the row
and sends a fresh message.
"""

from celery import Celery

from maestro.settings import Settings

RUN_JOB_TASK = "maestro.jobs.run"


def broker_url(settings: Settings) -> str:
    url = settings.broker_url or settings.redis_url
    if not url:
        raise ValueError("MAESTRO_EXECUTOR=celery needs MAESTRO_BROKER_URL or MAESTRO_REDIS_URL")
    return url


def create_celery_app(settings: Settings) -> Celery:
    """A Celery app for `settings` (Redis `redis://` or RabbitMQ `amqp://` broker URLs)."""
    app = Celery("maestro", broker=broker_url(settings), set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        task_default_queue=settings.celery_queue,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        # A publish must not hang a request when the broker is down; the sweep re-sends later.
        task_publish_retry_policy={"max_retries": 3, "interval_start": 0.2, "interval_step": 0.5},
    )

    @app.task(name=RUN_JOB_TASK)
    def run_job(job_id: str) -> str:
        from maestro.jobs.runner import run_delivered_job

        return run_delivered_job(job_id, settings)

    return app
