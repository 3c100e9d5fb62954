"""What the panel, the SSE endpoint and the commands show about jobs: progress, rows/s, ETA.

Committed counters come from the ImportJob row (updated with each file's transaction); the
file in flight comes from the worker's live record in the cache (`jobs.live_progress`).
"""

from __future__ import annotations

from typing import Any

from importer import jobs
from importer.models import ImportJob

RECENT_JOBS = 15


def job_status(job: ImportJob, alive: bool | None = None) -> dict[str, Any]:
    """The job as JSON, with progress (0..1), rowsPerSecond, etaSeconds and a one-line text."""
    data = job.to_dict()
    running = job.state == ImportJob.State.RUNNING
    if alive is None:
        alive = running and jobs.job_alive(job.pk)
    live = jobs.live_progress(job.pk) if running and alive else None
    rows = live["rowsDone"] if live else job.rows_done
    nbytes = live["bytesDone"] if live else job.bytes_done
    files_done = live["filesDone"] if live else job.files_done
    if live:
        rate, byte_rate = live["rowsPerSecond"], live["bytesPerSecond"]
    else:
        rate = job.rows_done / job.seconds if job.seconds else 0.0
        byte_rate = job.bytes_done / job.seconds if job.seconds else 0.0
    if job.state == ImportJob.State.DONE:
        progress = 1.0
    elif job.bytes_total:
        progress = min(nbytes / job.bytes_total, 1.0)
    elif job.files_total:
        progress = files_done / job.files_total
    else:
        progress = 0.0
    eta = None
    if running and alive:
        if job.bytes_total and byte_rate:
            eta = max(job.bytes_total - nbytes, 0) / byte_rate
        elif files_done and job.seconds:
            eta = (job.files_total - files_done) * job.seconds / files_done
    display = job.state
    if running and not alive:
        display = "interrupted"  # its worker died: importing again resumes it
    data.update(
        {
            "displayState": display,
            "progress": round(progress, 4),
            "rowsDone": rows,
            "bytesDone": nbytes,
            "filesDone": files_done,
            "rowsPerSecond": round(rate, 1),
            "etaSeconds": round(eta) if eta is not None else None,
            "currentFile": live["file"] if live else "",
        }
    )
    data["progressText"] = progress_text(data)
    return data


def progress_text(status: dict[str, Any]) -> str:
    state = status["displayState"]
    head = f"({status['filesDone']} of {status['filesTotal']} files)"
    if state == "running":
        parts = [head, status["currentFile"] or "starting", f"{status['rowsDone']:,} rows"]
        if status["rowsPerSecond"]:
            parts.append(f"{status['rowsPerSecond']:,.0f} rows/s")
        if status["etaSeconds"] is not None:
            parts.append(f"ETA {format_duration(status['etaSeconds'])}")
        return " · ".join(parts)
    if state == "queued":
        return f"{head} waiting for a worker"
    if state == "done":
        return f"{head} done: {status['rowsDone']:,} rows, {status['rowsInserted']:,} new"
    if state == "interrupted":
        return f"{head} interrupted (worker stopped); import again to resume"
    if state == "failed":
        return f"{head} failed: {status['error']}"
    return f"{head} {state}"


def format_duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"


def overview() -> dict[str, Any]:
    """Active jobs and the most recent ones, for the panel's one-second poll."""
    active = list(ImportJob.objects.filter(state__in=ImportJob.ACTIVE_STATES).order_by("id"))
    recent = list(
        ImportJob.objects.exclude(state__in=ImportJob.ACTIVE_STATES).order_by("-id")[:RECENT_JOBS]
    )
    alive = jobs.alive_jobs([j.pk for j in active])
    return {
        "active": [job_status(j, j.pk in alive) for j in active],
        "recent": [job_status(j, False) for j in recent],
    }
