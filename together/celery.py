"""The Celery app: settings come from Django's (CELERY_* names); tasks are autodiscovered."""

import os
from pathlib import Path

from celery import Celery
from celery.signals import beat_init, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "together.settings")

app = Celery("together")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
@beat_init.connect
def _make_broker_folders(**_) -> None:
    # kombu's filesystem transport (the embedded default's broker) expects its folders to
    # exist; a fresh checkout has none.
    if not app.conf.broker_url.startswith("filesystem://"):
        return
    options = app.conf.broker_transport_options
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)
