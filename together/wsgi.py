import os

from together.startup import exit_on_bad_configuration

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "together.settings")

# 3 is gunicorn's "worker failed to boot": the master stops instead of respawning forever.
with exit_on_bad_configuration(exit_code=3):
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
