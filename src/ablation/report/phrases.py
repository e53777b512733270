"""Phrases the headline sentences share: counts with their plural forms, intervals in
words, a p-value inside a sentence, a finding of one dataset among several (and the
tables split by dataset for it).

Each phrase is a whole message of the catalogs, placed into a sentence's placeholder where
it reads on its own (a parenthesis, `n = 3 seeds`), never a piece a sentence is glued from.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ablation import i18n
from ablation.i18n import _, ngettext
from ablation.report.formatting import DASH, clip_share, is_missing, p_value


def n_seeds(n: Any) -> str:
    """`n = 3 seeds`."""
    n = int(n)
    return ngettext("n = {n} seed", "n = {n} seeds", n).format(n=n)


def n_runs(n: Any) -> str:
    """`n = 48 runs`."""
    n = int(n)
    return ngettext("n = {n} run", "n = {n} runs", n).format(n=n)


def with_seeds(n: Any) -> str:
    """`With 3 seeds`, the opening of a sentence."""
    n = int(n)
    return ngettext("With {n} seed", "With {n} seeds", n).format(n=n)


def interval_clause(row: Any, level: str) -> str:
    """`95% confidence interval 97.80–98.10%`, or why there is none."""
    if is_missing(row.get("ci_low")):
        return _("one seed, so no interval")
    return _("{level} confidence interval {range}").format(
        level=level, range=share_range(row["ci_low"], row["ci_high"])
    )


def share_range(low: Any, high: Any) -> str:
    """An interval of fractions in words, clipped to 0–100 %: `97.80–98.10%`."""
    low, high = clip_share(low, high)
    return i18n.number(f"{low * 100:.2f}") + DASH + i18n.percent(f"{high * 100:.2f}")


def p_clause(value: float) -> str:
    """`= 0.211` or `< 0.001`, for reading inside a sentence."""
    text = p_value(value)
    return text if text.startswith("<") else f"= {text}"


def and_list(items: list[str]) -> str:
    """`a, b and c` in the active language."""
    if len(items) <= 1:
        return "".join(items)
    return _("{items} and {last}").format(items=", ".join(items[:-1]), last=items[-1])


def on_dataset(dataset: str | None, sentence: str) -> str:
    """A sentence about one dataset of several (`On mnist, the best is ...`).

    English folds the dataset into the sentence, lowering its first letter: done to the
    English text only. A translation writes the dataset ahead of the whole sentence, so
    no translated text is re-cased. (The sentences of this package's own findings take
    the dataset in their message; this is for sentences made elsewhere.)
    """
    if dataset is None:
        return sentence
    if i18n.current() == i18n.SOURCE:
        return f"On {dataset}, {sentence[:1].lower()}{sentence[1:]}"
    return _("On {dataset}: {sentence}").format(dataset=dataset, sentence=sentence)


def by_dataset(board: pd.DataFrame) -> list[tuple[str | None, pd.DataFrame]]:
    """`[(dataset, rows)]` when the study has several datasets, else `[(None, board)]`.

    The rows of one dataset lose their `dataset` column: the sentence that reads them
    starts "On mnist, ...", so a configuration label must not name it again.
    """
    if "dataset" not in board or board["dataset"].nunique() <= 1:
        return [(None, board)]
    return [(name, of_dataset(board, name)) for name in sorted(board["dataset"].unique())]


def of_dataset(board: pd.DataFrame, name: str | None) -> pd.DataFrame:
    if name is None or "dataset" not in board:
        return board
    return board[board["dataset"] == name].drop(columns="dataset")
