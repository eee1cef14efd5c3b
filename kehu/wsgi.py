import os

from django.core.wsgi import get_wsgi_application

from kehu.core.startup import ensure_data_dir

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")
ensure_data_dir()
application = get_wsgi_application()
