# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deterministic zip archives for Lambda deployment packages.

The same sources always give byte-identical bytes (sorted entries, fixed timestamps, fixed permissions, fixed
compression level, no extra fields), so the code hash of a function only changes when its code changes and a
re-run never updates the function.
"""

from __future__ import absolute_import, division, print_function

import io
import zipfile

FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644
COMPRESS_LEVEL = 9


def build_zip(sources: dict[str, bytes]) -> bytes:
    """Return a deterministic zip of sources, a dict mapping archive paths (str) to contents (bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL) as archive:
        for name in sorted(sources):
            content = sources[name]
            if not isinstance(content, bytes):
                raise TypeError(f"content of {name} must be bytes")
            path = name.replace("\\", "/").lstrip("/")
            if not path or path.endswith("/") or ".." in path.split("/"):
                raise ValueError(f"invalid archive path {name!r}")
            info = zipfile.ZipInfo(path, date_time=FIXED_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so external_attr carries the permissions
            info.external_attr = (0o100000 | FILE_MODE) << 16  # regular file, rw-r--r--
            archive.writestr(info, content, compress_type=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL)
    return buffer.getvalue()
