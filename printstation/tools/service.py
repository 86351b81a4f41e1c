"""Installing the console as a system service: ``printstation install-service``.

The console (``printstation serve``) runs as a dedicated system account that owns the
station's folder and its key files, under systemd with the unit the package ships
(``printstation/console/service/printstation.service``). ``plan`` works out what the
install does for one station, without touching anything, so ``--dry-run`` shows it and
tests check it; ``apply`` carries a plan out (as root).

The steps, in order: create the account (``useradd --system``) when it is missing; give
it the station's folder (and a SQLite database kept elsewhere); make the key folders
0700 and the key files 0600; write the unit; and, when systemd runs this machine,
``systemctl daemon-reload`` and ``systemctl enable --now``. Without systemd (a
container) the plan ends with the command that starts the console by hand.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from printstation.config import StationConfig, load_config
from printstation.errors import ConfigError

UNIT_NAME = "printstation.service"
UNIT_PATH = Path("/etc/systemd/system") / UNIT_NAME
#: The udev rule that gives the service account the station's USB printers.
UDEV_RULE_PATH = Path("/etc/udev/rules.d/70-printstation.rules")
DEFAULT_USER = "printstation"
#: Folders ``ProtectHome=yes`` hides; a station kept under one needs them bound back.
HOME_FOLDERS = (Path("/home"), Path("/root"), Path("/run/user"))
PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600


@dataclass(frozen=True)
class Step:
    """One thing the install does: ``kind`` is ``useradd``, ``chown``, ``chmod``,
    ``write``, ``run`` or ``note``; ``target`` what it acts on; ``argv`` the command
    (``useradd``, ``run``); ``mode`` (``chmod``, ``write``); ``content`` (``write``)."""

    kind: str
    target: str
    detail: str
    argv: tuple[str, ...] = ()
    mode: int | None = None
    #: What a ``write`` step writes.
    content: str | None = None

    def describe(self) -> str:
        if self.argv:
            return f"{'run':7} {' '.join(self.argv)}"
        if self.mode is not None:
            return f"{self.kind:7} {self.target} ({self.mode:04o}): {self.detail}"
        return f"{self.kind:7} {self.target}: {self.detail}"


@dataclass(frozen=True)
class ServicePlan:
    station: str
    user: str
    group: str
    config: str
    home: str
    executable: str
    unit_path: str
    unit: str
    systemd_running: bool
    steps: tuple[Step, ...]


def systemd_running() -> bool:
    """Whether systemd is this machine's init (sd_booted's test)."""
    return Path("/run/systemd/system").is_dir()


def user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def primary_group(user: str) -> str:
    """The name of ``user``'s primary group; ``user`` itself for an account not yet made
    (``useradd --user-group`` makes a group of the same name)."""
    try:
        return grp.getgrgid(pwd.getpwnam(user).pw_gid).gr_name
    except KeyError:
        return user


def default_executable() -> Path:
    """The ``printstation`` script beside the running interpreter (the virtualenv's)."""
    script = Path(sys.executable).with_name("printstation")
    if script.exists():
        return script
    found = shutil.which("printstation")
    return Path(found) if found else script


def sqlite_path(url: str) -> Path | None:
    prefix = "sqlite:///"
    if url.startswith(prefix) and len(url) > len(prefix):
        return Path(url[len(prefix) :].split("?", 1)[0])
    return None


def _under(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _in_home(path: Path) -> bool:
    return any(_under(path, folder) for folder in HOME_FOLDERS)


def _writable_paths(config: StationConfig) -> list[Path]:
    """The folders the service writes: the station's, and a SQLite database's elsewhere."""
    home = config.home.resolve()
    paths = [home]
    database = sqlite_path(config.database_url)
    if database is not None and not _under(database.resolve(), home):
        paths.append(database.resolve().parent)
    return paths


def _readable_paths(config: StationConfig, config_file: Path, executable: Path) -> list[Path]:
    """Folders it only reads that live outside the writable ones: the configuration's,
    the PKI files' and the virtualenv's."""
    paths = [config_file.parent, executable.parent.parent]
    if config.pki is not None:
        paths += [p.resolve().parent for p in (config.pki.ca_cert, config.pki.signer_key)]
    return paths


def _word(value: str | Path) -> str:
    """``value`` as one word of a unit's line: a space, quote, backslash or systemd
    specifier (%) would split or change it, so such a path is refused, not quoted."""
    text = str(value)
    if not text or any(c in text for c in " \t\n\\\"'%$;"):
        raise ConfigError(f"{text!r} cannot be written into a systemd unit as one word")
    return text


def render_unit(
    config: StationConfig, config_file: Path, executable: Path, user: str, group: str
) -> str:
    """The unit the package ships, filled in for this station."""
    template = (files("printstation") / "console" / "service" / UNIT_NAME).read_text("utf-8")
    writable = _writable_paths(config)
    readable = [
        p
        for p in dict.fromkeys(_readable_paths(config, config_file, executable))
        if not any(_under(p, w) for w in writable)
    ]
    # PrivateTmp= gives the service a /tmp of its own: a station kept in /tmp (a trial
    # one) would vanish behind it, so such a station keeps the machine's.
    in_tmp = any(_under(p, Path(t)) for p in writable for t in ("/tmp", "/var/tmp"))
    private_tmp = "PrivateTmp=no" if in_tmp else "PrivateTmp=yes"
    if any(_in_home(p) for p in [*writable, *readable]):
        # A station under a home folder: hide the homes, bind back only what it needs.
        lines = ["ProtectHome=tmpfs"]
        bound = [p for p in writable if _in_home(p)]
        if bound:
            lines.append("BindPaths=" + " ".join(_word(p) for p in bound))
        bound_ro = [p for p in readable if _in_home(p)]
        if bound_ro:
            lines.append("BindReadOnlyPaths=" + " ".join(_word(p) for p in bound_ro))
        protection = "\n".join(lines)
    else:
        protection = "ProtectHome=yes"
    fields = {
        "@STATION@": config.name.replace("%", "%%"),
        "@USER@": _word(user),
        "@GROUP@": _word(group),
        "@HOME@": _word(config.home.resolve()),
        "@EXECUTABLE@": _word(executable),
        "@CONFIG@": _word(config_file),
        "@READ_WRITE@": " ".join(_word(p) for p in writable),
        "@HOME_PROTECTION@": protection,
        "@PRIVATE_TMP@": private_tmp,
    }
    for key, value in fields.items():
        template = template.replace(key, value)
    return template


def _key_steps(config: StationConfig) -> list[Step]:
    """0700 on the key folders, 0600 on the key files (``doctor`` checks the same)."""
    keys = (config.home / "keys").resolve()
    steps = [Step("chmod", str(keys), "the key folder", mode=PRIVATE_FOLDER)]
    if keys.is_dir():
        steps += [
            Step("chmod", str(f), "a key file", mode=PRIVATE_FILE)
            for f in sorted(keys.iterdir())
            if f.is_file()
        ]
    if config.pki is not None:
        folder = config.pki.signer_key.resolve().parent
        if folder != keys:
            steps.append(Step("chmod", str(folder), "the PKI folder", mode=PRIVATE_FOLDER))
        private = {config.pki.signer_key.resolve(), *folder.glob("*.key")}
        steps += [
            Step("chmod", str(f), "a private key", mode=PRIVATE_FILE)
            for f in sorted(private)
            if all(s.target != str(f) for s in steps)
        ]
    return steps


def usb_rule(config: StationConfig, group: str) -> str | None:
    """A udev rule giving ``group`` read and write on the station's USB printers (by the
    vendor and product of each ``usb:`` address; a vendor left open, every card printer
    vendor the profiles know), or None when the station has no USB printer."""
    from printstation.drivers.profiles import known_vendor_ids
    from printstation.drivers.transport import parse_usb_uri

    wanted: set[tuple[int, int | None]] = set()
    for printer in config.printers:
        if printer.uri.startswith("usb:"):
            address = parse_usb_uri(printer.uri)
            vendors = [address.vendor] if address.vendor is not None else known_vendor_ids()
            wanted |= {(vendor, address.product) for vendor in vendors}
    if not wanted:
        return None
    lines = [
        "# Written by printstation install-service: the console's service account uses",
        "# the station's card printers on USB.",
    ]
    for vendor, product in sorted(wanted, key=lambda w: (w[0], w[1] or -1)):
        match = f'ATTR{{idVendor}}=="{vendor:04x}"'
        if product is not None:
            match += f', ATTR{{idProduct}}=="{product:04x}"'
        lines.append(f'SUBSYSTEM=="usb", {match}, MODE="0660", GROUP="{_word(group)}"')
    return "\n".join(lines) + "\n"


def plan(
    config_path: str | os.PathLike[str] | None = None,
    user: str = DEFAULT_USER,
    *,
    executable: Path | None = None,
    unit_path: Path = UNIT_PATH,
    udev_rule_path: Path = UDEV_RULE_PATH,
    with_systemd: bool | None = None,
    account_exists: bool | None = None,
) -> ServicePlan:
    """What installing the console's service for the station at ``config_path`` does."""
    config = load_config(config_path)
    assert config.source is not None
    config_file = config.source
    executable = (executable or default_executable()).absolute()
    exists = user_exists(user) if account_exists is None else account_exists
    group = primary_group(user) if exists else user
    running = systemd_running() if with_systemd is None else with_systemd
    home = config.home.resolve()
    unit = render_unit(config, config_file, executable, user, group)
    steps: list[Step] = []
    if not exists:
        steps.append(
            Step(
                "useradd",
                user,
                "the service account",
                argv=(
                    "useradd",
                    "--system",
                    "--user-group",
                    "--home-dir",
                    str(home),
                    "--no-create-home",
                    "--shell",
                    "/usr/sbin/nologin",
                    "--comment",
                    "printstation console",
                    user,
                ),
            )
        )
    for path in _writable_paths(config):
        steps.append(Step("chown", str(path), f"to {user}:{group}, with all it holds"))
    if not _under(config_file, home):
        steps.append(Step("chown", str(config_file), f"to {user}:{group}"))
    if config.pki is not None:
        pki = config.pki.signer_key.resolve().parent
        if not any(_under(pki, p) for p in _writable_paths(config)):
            steps.append(Step("chown", str(pki), f"to {user}:{group}, with all it holds"))
    steps += _key_steps(config)
    steps.append(
        Step("write", str(unit_path), "the console's systemd unit", mode=0o644, content=unit)
    )
    rule = usb_rule(config, group)
    if rule is not None:
        steps.append(
            Step(
                "write",
                str(udev_rule_path),
                f"lets {group} use the station's USB printers",
                mode=0o644,
                content=rule,
            )
        )
        if running:
            steps.append(Step("run", "udev", "", argv=("udevadm", "control", "--reload")))
            steps.append(
                Step("run", "udev", "", argv=("udevadm", "trigger", "--subsystem-match=usb"))
            )
    if running:
        steps.append(Step("run", UNIT_NAME, "", argv=("systemctl", "daemon-reload")))
        steps.append(Step("run", UNIT_NAME, "", argv=("systemctl", "enable", "--now", UNIT_NAME)))
    else:
        steps.append(
            Step(
                "note",
                UNIT_NAME,
                "systemd is not running on this machine; start the console with "
                f"'systemctl daemon-reload && systemctl enable --now {UNIT_NAME}' once it "
                f"is, or by hand: runuser -u {user} -- {executable} --config {config_file} "
                "serve --host 127.0.0.1 --port 8080",
            )
        )
    return ServicePlan(
        station=config.name,
        user=user,
        group=group,
        config=str(config_file),
        home=str(home),
        executable=str(executable),
        unit_path=str(unit_path),
        unit=unit,
        systemd_running=running,
        steps=tuple(steps),
    )


def _chown_tree(path: Path, user: str) -> None:
    account = pwd.getpwnam(user)
    os.chown(path, account.pw_uid, account.pw_gid, follow_symlinks=False)
    if path.is_dir() and not path.is_symlink():
        for root, dirs, names in os.walk(path):
            for name in [*dirs, *names]:
                os.chown(Path(root) / name, account.pw_uid, account.pw_gid, follow_symlinks=False)


def apply(service: ServicePlan) -> list[str]:
    """Carry out ``service``'s steps (as root); returns the notes for the person."""
    if os.geteuid() != 0:
        raise ConfigError("installing the service needs root: run it with sudo (or --dry-run)")
    notes: list[str] = []
    for step in service.steps:
        if step.kind in ("useradd", "run"):
            subprocess.run(step.argv, check=True)
        elif step.kind == "chown":
            _chown_tree(Path(step.target), service.user)
        elif step.kind == "chmod":
            assert step.mode is not None
            if Path(step.target).exists():
                os.chmod(step.target, step.mode)
        elif step.kind == "write":
            target = Path(step.target)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(step.content or "", encoding="utf-8")
            os.chmod(target, step.mode or 0o644)
        elif step.kind == "note":
            notes.append(step.detail)
    return notes
