"""The WSGI application gunicorn serves (`manage.py serve`): Django's, behind the middleware
that reads chunked request bodies (`neuronpedia_site.chunked`)."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

from neuronpedia_site.chunked import ChunkedBodies

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "neuronpedia_site.settings")
application = ChunkedBodies(get_wsgi_application())
