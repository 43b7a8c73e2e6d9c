import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minzheng.settings")
application = get_wsgi_application()

# the embedded job backend (MINZHENG_JOBS=thread): recover the jobs of a crashed server process
# and run those still queued, then keep watching (ADR 0003)
from minzheng.foundation.jobs.services import jobs_embedded_start  # noqa: E402

jobs_embedded_start()
