"""A tqdm progress bar fed by a running import job (shared by the importer's commands)."""

from __future__ import annotations

import sys
from types import TracebackType

from tqdm import tqdm

from importer.jobs import Progress


class JobBar:
    """Bytes read (or files, when sizes are unknown) with rows and rows/s alongside."""

    def __init__(self, label: str, enabled: bool = True) -> None:
        self.bar = tqdm(
            desc=label,
            total=None,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            disable=not enabled,
            file=sys.stderr,
            dynamic_ncols=True,
        )

    def __enter__(self) -> JobBar:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.bar.close()

    def update(self, progress: Progress) -> None:
        by_bytes = progress.bytes_total > 0
        total = progress.bytes_total if by_bytes else progress.files_total
        if self.bar.total != total:
            self.bar.total = total
            self.bar.unit = "B" if by_bytes else " files"
            self.bar.unit_scale = by_bytes
        self.bar.n = progress.bytes_done if by_bytes else progress.files_done
        self.bar.set_postfix(
            rows=f"{progress.rows_done:,}",
            rows_s=f"{progress.rows_per_second:,.0f}",
            file="/".join(progress.path.split("/")[-2:]),
            refresh=False,
        )
        self.bar.refresh()
