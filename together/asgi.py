import os

from together.startup import exit_on_bad_configuration

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "together.settings")

with exit_on_bad_configuration():
    from django.core.asgi import get_asgi_application

    application = get_asgi_application()
