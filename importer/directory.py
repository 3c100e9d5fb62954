"""Exports in a local directory (a copy of the bucket, or a converter's output)."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from importer.locations import FileInfo, Listing, LocationError, ReaderOptions, local_path


class DirectoryReader:
    def __init__(self, root: Path, location: str) -> None:
        self.root = root
        self.location = location

    @classmethod
    def from_location(cls, location: str, options: ReaderOptions) -> DirectoryReader:
        root = local_path(location)
        if root is None or not root.is_dir():
            raise LocationError(f"{location}: no such directory.")
        return cls(root, location)

    def _resolve(self, path: str) -> Path:
        target = (self.root / path).resolve()
        # Paths come from listings, but keep a crafted "../" from leaving the export root.
        if target != self.root and self.root not in target.parents:
            raise LocationError(f"{path}: outside of {self.location}.")
        return target

    def list_dir(self, path: str) -> Listing:
        folder = self._resolve(path)
        listing = Listing()
        if not folder.is_dir():
            return listing
        for entry in sorted(folder.iterdir()):
            rel = entry.relative_to(self.root).as_posix()
            if entry.is_dir():
                listing.dirs.append(entry.name)
            elif entry.is_file():
                stat = entry.stat()
                listing.files.append(FileInfo(rel, stat.st_size, f"{stat.st_mtime_ns:x}"))
        return listing

    def open(self, path: str) -> BinaryIO:
        target = self._resolve(path)
        try:
            return target.open("rb")
        except OSError as exc:
            raise LocationError(f"{path}: {exc.strerror or exc}") from exc
