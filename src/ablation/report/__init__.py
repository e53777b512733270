"""The self-contained HTML report: one file, figures inlined, no network requests.

`render_report` writes `reports/summary.html` from the statistics tables
(`ReportInputs`) and the figure files; `headline_findings` writes the sentences
at its top from the same tables; `ablation.report.build.partial_report` makes the
page from the runs finished so far.

Names are imported on first use: the workflow imports `ablation.report.inputs`
while it parses, and that must not load matplotlib.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "TABLES": "ablation.report.inputs",
    "ReportInputs": "ablation.report.inputs",
    "build_html": "ablation.report.render",
    "render_report": "ablation.report.render",
    "headline_findings": "ablation.report.findings",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'ablation.report' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
