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
# them: seconds of CPU) now rather than on a process's first request: each granian worker
# (config/serve.py) imports this module before it serves; under gunicorn's preload_app
# (bench/gunicorn_conf.py) that is once, in the master, before the workers fork.
import_module(settings.ROOT_URLCONF)
# What is loaded now lives as long as the process: out of the cyclic collector's sight. Its
# full collections walked those 200,000 objects each time, 150-350 ms under load during which
# a gthread worker's every thread waited (the long tail of bench/load.py's latencies).
gc.freeze()
