"""The Celery app: settings come from Django's (CELERY_* names); tasks are autodiscovered."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "together.settings")

app = Celery("together")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
