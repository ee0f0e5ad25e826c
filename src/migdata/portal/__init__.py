"""The secretariat's web portal over a secretariat project (``migdata serve``).

Member offices upload exchange files and returned questionnaires and read their feedback;
the secretariat runs the project and publishes the regional figures. Everything here is
imported only by the serve path: the web framework and the database layer stay out of
``import migdata`` (install them with ``pip install "migdata[portal]"``).
"""

from __future__ import annotations

__all__: list[str] = []
