"""make release's last step: the zip's `bootstrap` is an ELF for the release's architecture,
and (where this machine can run it) answers `--version` with the release's version.

Usage: python scripts/release_check.py ZIP ARCH VERSION
"""

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

# ELF e_machine values (the System V ABI's): what Lambda's x86_64 and arm64 run.
MACHINES = {"x86_64": 0x3E, "arm64": 0xB7}


def main() -> int:
    zip_path, arch, version = sys.argv[1], sys.argv[2], sys.argv[3]
    with zipfile.ZipFile(zip_path) as z, tempfile.TemporaryDirectory() as tmp:
        names = z.namelist()
        if names != ["bootstrap"]:
            print(f"{zip_path}: holds {names}, not exactly bootstrap")
            return 1
        bootstrap = Path(z.extract("bootstrap", tmp))
        mode = z.getinfo("bootstrap").external_attr >> 16
        head = bootstrap.read_bytes()[:20]
        if head[:4] != b"\x7fELF" or head[4] != 2:
            print(f"{zip_path}: bootstrap is not a 64-bit ELF")
            return 1
        machine = int.from_bytes(head[18:20], "little")
        if machine != MACHINES[arch]:
            print(f"{zip_path}: bootstrap is for ELF machine {machine:#x}, not {arch}")
            return 1
        if mode and not mode & 0o111:
            print(f"{zip_path}: bootstrap is not executable in the zip (mode {mode:o})")
            return 1
        if arch != "x86_64":
            print(f"{zip_path}: {arch} ELF (not run here)")
            return 0
        bootstrap.chmod(0o755)
        said = subprocess.run([str(bootstrap), "--version"], capture_output=True, text=True, timeout=30)
        if not said.stdout.startswith(f"cidrwatch {version} ("):
            print(f"{zip_path}: bootstrap --version said {said.stdout.strip()!r}, not {version}")
            return 1
        print(f"{zip_path}: x86_64 ELF, {said.stdout.strip()}")
        return 0


if __name__ == "__main__":
    sys.exit(main())
