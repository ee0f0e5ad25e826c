"""Mirror statistics: bilateral flows reported by both ends, asymmetry indicators, the
QuantMig undercount index, reconciliation of the two sides and fitting to margins.
"""

from __future__ import annotations

from migdata.mirror.table import MirrorTable

__all__ = ["MirrorTable"]
