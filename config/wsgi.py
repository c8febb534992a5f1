import os
from importlib import import_module

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()
# The URLconf (and with it every view's imports, the dashboard's scipy and statsmodels among
# them: seconds of CPU) now rather than on a process's first request: under gunicorn's
# preload_app (config/gunicorn.py) that is once, in the master, before the workers fork.
import_module(settings.ROOT_URLCONF)
