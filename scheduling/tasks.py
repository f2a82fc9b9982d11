"""Celery tasks: thin and idempotent. Each loads by id and calls one service."""

from __future__ import annotations

from celery import Task, shared_task

from scheduling import invites

MAX_INVITE_RETRIES = 6
# The longest a retry waits. The invite sweep (INVITE_STUCK_AFTER_SECONDS) must stay longer,
# or it would re-queue invites that are only waiting for this.
MAX_INVITE_BACKOFF = 300


class InviteTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        # Whatever escaped the service (a database error, a bug), the invite must not stay
        # pending with no word: record a final state people can act on (Retry).
        invite_id = args[0] if args else kwargs.get("invite_id")
        if invite_id is not None:
            invites.invite_record_failure(invite_id=invite_id, error=exc)


@shared_task(bind=True, base=InviteTask, max_retries=MAX_INVITE_RETRIES, acks_late=True)
def invite_deliver(self, invite_id: int) -> str:
    # Run eagerly (the embedded default) there is no worker to come back later: the first
    # failure is final and the person gets the Retry button.
    final = self.request.retries >= self.max_retries or bool(self.request.is_eager)
    try:
        invite = invites.invite_deliver(invite_id=invite_id, final_attempt=final)
    except invites.InviteTemporaryFailure as error:
        # The one retry layer for invite writes: exponential backoff (2, 4, 8 ... s) or the
        # provider's Retry-After, both capped (a longer wait is the sweep's business).
        countdown = min(error.retry_after or 2 ** (self.request.retries + 1), MAX_INVITE_BACKOFF)
        raise self.retry(exc=error, countdown=countdown) from error
    return invite.state


@shared_task
def invites_sweep() -> int:
    from scheduling import services

    return services.invites_sweep()


@shared_task
def reminders_send() -> int:
    return invites.reminders_send()
