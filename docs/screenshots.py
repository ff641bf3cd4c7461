"""The README's pictures: the bundled sample built, then its home page (at a desktop and a phone
width) and an email photographed by headless Chromium: ``python docs/screenshots.py``.

Needs Debian's chromium; writes docs/site-desktop.png, docs/site-phone.png, docs/email.png
(made a third of the size by pngquant, when it is installed).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHOTS = {  # picture: (page of the built sample, width, height)
    "site-desktop.png": ("index.html", 1280, 720),
    "site-phone.png": ("index.html", 390, 720),
    "email.png": ("email/2026-11-20.html", 680, 720),
}


def main() -> None:
    browser = shutil.which("chromium") or sys.exit("needs chromium (apt install chromium)")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shutil.copytree(ROOT / "feeds", work / "feeds")
        shutil.copy(ROOT / "digest.yaml", work / "digest.yaml")
        subprocess.run([sys.executable, "-m", "digest", "build", "--today", "2026-11-23"],
                       cwd=work, check=True, capture_output=True)  # fmt: skip
        for name, (page, width, height) in SHOTS.items():
            target = ROOT / "docs" / name
            subprocess.run(
                [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                 f"--window-size={width},{height}", f"--screenshot={target}",
                 (work / "output" / page).as_uri()],
                check=True, capture_output=True, timeout=60,
            )  # fmt: skip
            if shutil.which("pngquant"):
                subprocess.run(["pngquant", "--force", "--skip-if-larger", "--output",
                                str(target), "64", str(target)], check=False)  # fmt: skip
            print(f"{target.relative_to(ROOT)}: {target.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
