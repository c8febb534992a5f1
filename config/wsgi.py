import gc
import os
from importlib import import_module

import django
from django.conf import settings

from config.handlers import Application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)  # as django.core.wsgi.get_wsgi_application does

# Django's handler, and a shorter middleware chain for the HIT paths (config/handlers.py).
application = Application()
# The URLconf (and with it every view's imports, the dashboard's scipy and statsmodels among
# them: seconds of CPU) is imported at start-up, not on a process's first request: each
# granian worker (config/serve.py) imports this module before it serves; under gunicorn's
# preload_app (bench/gunicorn_conf.py) that is once, in the master, before the workers fork.
import_module(settings.ROOT_URLCONF)
# Everything loaded by this point lives as long as the process, so it is frozen out of the
# cyclic collector's sight: otherwise every full collection walks all of those objects again
# while each of the process's request threads waits for it.
gc.freeze()
