"""Imports every domain's models so that ``Base.metadata`` knows the whole schema.

Alembic's autogenerate and the migration drift test read the metadata from here.
"""

from aihub.accounts import models as accounts
from aihub.challenges import models as challenges
from aihub.datasets import models as datasets
from aihub.datasets import search_index as dataset_search
from aihub.db import Base
from aihub.evaluation import models as evaluation
from aihub.submissions import models as submissions

metadata = Base.metadata

__all__ = [
    "accounts", "challenges", "dataset_search", "datasets", "evaluation", "metadata",
    "submissions",
]
