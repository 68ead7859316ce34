"""A real CUPS print queue for tests: a private cupsd with a cups-pdf queue, torn down afterwards.

The private scheduler listens only on a socket in its own directory (``CUPS_SERVER``), so it neither
needs nor disturbs a system cupsd. Where AppArmor confines /usr/sbin/cupsd (it would not let the
filters read a spool under /tmp), the system scheduler is used instead, started if it is not running,
with a throw-away queue. cups-pdf writes its PDFs where /etc/cups/cups-pdf.conf says (``Out``,
${HOME}/PDF on Debian, so /root/PDF for root); the files the tests make there are removed.
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from helpers.waiting import wait_for_files

CUPS_PDF_CONF = Path("/etc/cups/cups-pdf.conf")


class CupsUnavailable(RuntimeError):
    """The CUPS set-up could not be made (the message says what to install or run)."""


@dataclass
class CupsQueue:
    name: str
    server: str | None  # CUPS_SERVER for the private scheduler; None = the system's
    output_dir: Path  # where cups-pdf writes this user's PDFs
    mode: str  # "private" or "system"
    error_log: Path | None = None
    made: list[Path] = field(default_factory=list)
    existing: set[Path] = field(default_factory=set)  # output files from before the tests

    def __post_init__(self) -> None:
        self.existing = set(self.output_dir.glob("*.pdf")) if self.output_dir.is_dir() else set()

    def remove_outputs(self) -> None:
        """Delete what cups-pdf wrote for these tests (failed jobs leave empty PDFs too)."""
        new = set(self.output_dir.glob("*job_*.pdf")) - self.existing if self.output_dir.is_dir() else set()
        for made in set(self.made) | new:
            made.unlink(missing_ok=True)

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ, LC_ALL="C", LANG="C")
        if self.server:
            env["CUPS_SERVER"] = self.server
        return env

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(args, capture_output=True, text=True, env=self.env, timeout=30, check=False)

    def wait_for_output(self, job_id: str, timeout: float = 30.0) -> Path:
        """The PDF cups-pdf made for ``job_id`` (its name ends in ``job_<n>.pdf``)."""
        number = job_id.rsplit("-", 1)[-1]

        def written() -> bool:
            found = sorted(self.output_dir.glob(f"*job_{number}.pdf"))
            return bool(found) and found[0].stat().st_size > 0

        try:
            wait_for_files(self.output_dir, written, timeout, f"cups-pdf's PDF for {job_id}")
        except AssertionError:
            log = self.error_log.read_text(errors="replace")[-3000:] if self.error_log else ""
            raise AssertionError(f"cups-pdf wrote no PDF for {job_id} in {self.output_dir}\n{log}") from None
        made = sorted(self.output_dir.glob(f"*job_{number}.pdf"))[0]
        self.made.append(made)
        return made


def cups_pdf_output_dir(queue: str) -> Path:
    """Where cups-pdf puts the current user's PDFs, from its configuration (``Out``)."""
    out = "/var/spool/cups-pdf/${USER}"
    for conf in (CUPS_PDF_CONF.with_name(f"cups-pdf-{queue}.conf"), CUPS_PDF_CONF):
        if conf.exists():
            match = re.search(r"^\s*Out\s+(\S+)", conf.read_text(errors="replace"), re.M)
            if match:
                out = match.group(1)
                break
    user = pwd.getpwuid(os.getuid())
    return Path(out.replace("${HOME}", user.pw_dir).replace("${USER}", user.pw_name))


def _cups_pdf_ppd(env: dict[str, str]) -> str:
    models = subprocess.run(["lpinfo", "-m"], capture_output=True, text=True, env=env, timeout=60,
                            check=False).stdout
    names = [line.split()[0] for line in models.splitlines() if "CUPS-PDF" in line]
    for preferred in ("CUPS-PDF_opt.ppd", "CUPS-PDF_noopt.ppd"):
        for name in names:
            if name.endswith(preferred):
                return name
    raise CupsUnavailable(f"no cups-pdf driver in `lpinfo -m` ({len(names)} CUPS-PDF entries); "
                          "install printer-driver-cups-pdf (scripts/setup.sh)")


def _wait_running(env: dict[str, str], process: subprocess.Popen | None, socket_dir: Path,
                  timeout: float = 20.0) -> None:
    """Wait until the scheduler answers; it creates its socket in ``socket_dir`` when it listens."""

    def running() -> bool:
        if process is not None and process.poll() is not None:
            raise CupsUnavailable(f"cupsd exited with status {process.returncode}")
        out = subprocess.run(["lpstat", "-r"], capture_output=True, text=True, env=env, timeout=10,
                             check=False).stdout
        return out.strip() == "scheduler is running"

    try:
        wait_for_files(socket_dir, running, timeout, "cupsd to answer")
    except AssertionError:
        raise CupsUnavailable(f"cupsd did not answer within {timeout:.0f} s") from None


def _apparmor_confines_cupsd() -> bool:
    try:
        profiles = Path("/sys/kernel/security/apparmor/profiles").read_text()
    except OSError:
        return False
    return any(line.startswith("/usr/sbin/cupsd ") and "(enforce)" in line for line in profiles.splitlines())


def _stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@contextmanager
def cups_pdf_queue(name: str = "kiosk-pdf") -> Iterator[CupsQueue]:
    """A running cupsd with an enabled cups-pdf queue ``name``; needs root (cups-pdf runs as root)."""
    for tool in ("cupsd", "lpadmin", "lpinfo", "lp", "lpstat", "ipptool"):
        if shutil.which(tool) is None:
            raise CupsUnavailable(f"{tool} is missing: run scripts/setup.sh (cups, cups-client, cups-bsd, "
                                  "cups-ipp-utils, printer-driver-cups-pdf)")
    if _apparmor_confines_cupsd():
        with _system_queue(f"{name}-test") as queue:
            yield queue
        return
    with _private_queue(name) as queue:
        yield queue


@contextmanager
def _private_queue(name: str) -> Iterator[CupsQueue]:
    # Not pytest's tmp_path: its parents are 0700 and the filters run as user lp.
    root = Path(tempfile.mkdtemp(prefix="kiosk-cupsd-"))
    process: subprocess.Popen | None = None
    queue: CupsQueue | None = None
    try:
        root.chmod(0o755)
        lp_gid = grp.getgrnam("lp").gr_gid
        for sub in ("etc/ppd", "spool/tmp", "cache", "state", "log", "tmp"):
            (root / sub).mkdir(parents=True)
        os.chown(root / "tmp", 0, lp_gid)
        (root / "tmp").chmod(0o1770)  # the filters (user lp) write their temporary files here
        socket = root / "cups.sock"
        (root / "etc/cupsd.conf").write_text(f"""LogLevel debug
Listen {socket}
Browsing No
WebInterface No
PreserveJobFiles No
DefaultAuthType None
DefaultPolicy kiosk-test
<Policy kiosk-test>
  <Limit All>
    Order deny,allow
  </Limit>
</Policy>
<Location />
  Order deny,allow
</Location>
""")
        (root / "etc/cups-files.conf").write_text(f"""ServerRoot {root}/etc
RequestRoot {root}/spool
CacheDir {root}/cache
StateDir {root}/state
TempDir {root}/tmp
ErrorLog {root}/log/error_log
AccessLog {root}/log/access_log
PageLog {root}/log/page_log
User lp
Group lp
SystemGroup root
""")
        with open(root / "log/cupsd.out", "wb") as console:
            process = subprocess.Popen(["cupsd", "-f", "-c", str(root / "etc/cupsd.conf"),
                                        "-s", str(root / "etc/cups-files.conf")],
                                       stdout=console, stderr=subprocess.STDOUT)
        queue = CupsQueue(name=name, server=str(socket), output_dir=cups_pdf_output_dir(name),
                          mode="private", error_log=root / "log/error_log")
        _wait_running(queue.env, process, root)
        ppd = _cups_pdf_ppd(queue.env)
        # abort-job: a broken document fails its job instead of stopping the whole queue.
        added = queue.run("lpadmin", "-p", name, "-v", "cups-pdf:/", "-m", ppd, "-E",
                          "-o", "printer-error-policy=abort-job")
        if added.returncode != 0:
            raise CupsUnavailable(f"lpadmin failed: {added.stderr.strip()}")
        yield queue
    finally:
        _stop(process)
        if queue is not None:
            queue.remove_outputs()
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def _system_queue(name: str) -> Iterator[CupsQueue]:
    env = dict(os.environ, LC_ALL="C", LANG="C")
    env.pop("CUPS_SERVER", None)
    process: subprocess.Popen | None = None
    running = subprocess.run(["lpstat", "-r"], capture_output=True, text=True, env=env, timeout=10,
                             check=False).stdout.strip() == "scheduler is running"
    if not running:
        process = subprocess.Popen(["cupsd", "-f"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    queue = CupsQueue(name=name, server=None, output_dir=cups_pdf_output_dir(name), mode="system",
                      error_log=Path("/var/log/cups/error_log"))
    try:
        _wait_running(env, process, Path("/run/cups"))  # the system socket: /run/cups/cups.sock
        added = queue.run("lpadmin", "-p", name, "-v", "cups-pdf:/", "-m", _cups_pdf_ppd(env), "-E",
                          "-o", "printer-error-policy=abort-job")
        if added.returncode != 0:
            raise CupsUnavailable(f"lpadmin failed: {added.stderr.strip()}")
        yield queue
    finally:
        queue.run("lpadmin", "-x", name)
        queue.remove_outputs()
        _stop(process)
