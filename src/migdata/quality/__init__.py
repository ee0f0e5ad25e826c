"""Quality of migration statistics against the ESS criteria.

Dimensions, the scoring rubric of questionnaire answers, the QuantMig register undercount
sub-scores, ESS quality indicators (CC1, CC2, R1, AC3, TP1, TP3) and the quality profile.
"""

from __future__ import annotations

from migdata.quality.indicators import ac3, cc1, cc1_from_ratio, cc2, r1, tp1, tp3

__all__ = ["ac3", "cc1", "cc1_from_ratio", "cc2", "r1", "tp1", "tp3"]
