"""The state words the statistics tables keep in English, as the report shows them.

Tables store verdicts, comparisons with the best and transfer states as fixed English
codes (the code, the CSV files and the CSS classes read them); the report translates them
only where it shows them, with `word` (the `word` filter in the templates).
"""

from __future__ import annotations

from ablation.i18n import N_, _

# Every value of stats.overfitting.VERDICTS, stats.best.COMPARISONS and the transfer states.
STATE_WORDS = frozenset(
    {
        # overfitting verdicts
        N_("diverged"),
        N_("underfitting"),
        N_("overfitting"),
        N_("still learning"),
        N_("noisy plateau"),
        N_("good fit"),
        N_("not available"),
        # comparisons with the best
        N_("better"),
        N_("worse"),
        N_("equivalent"),
        N_("unresolved"),
        N_("not tested"),
        N_("not run"),
        N_("no validation"),
        # transfer across datasets
        N_("holds"),
        N_("reversed"),
        N_("does not hold"),
    }
)


def word(value: object) -> object:
    """A state word in the active language; any other value as it is."""
    return _(value) if isinstance(value, str) and value in STATE_WORDS else value
