"""Projects: one folder described by ``migdata.toml``, created by ``migdata init`` and run by
``migdata run`` (or :meth:`Project.run`), for a national office or a regional secretariat.
"""

from __future__ import annotations

from migdata.project.init import init_project
from migdata.project.run import Project, RunResult, StepRecord

__all__ = ["Project", "RunResult", "StepRecord", "init_project"]
