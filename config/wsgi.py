import os

from django.core.wsgi import get_wsgi_application

from config import env

os.environ.setdefault("DJANGO_SETTINGS_MODULE", env.settings_module())

application = get_wsgi_application()
