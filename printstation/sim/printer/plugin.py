"""The simulated printer as a printer backend plugin (addresses ``simulated:NAME``).

The package names ``backend`` under the ``printstation.printer_backends`` entry point
group; the station's driver loads it the first time it opens a simulated address, and
then talks to it through pyusb exactly as to a printer on a cable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import usb.core

from printstation.config import PrinterConfig
from printstation.drivers.profiles import SIMULATOR_FAMILY, PrinterProfile, get_family
from printstation.drivers.transport import Transport, UsbTransport
from printstation.errors import ConfigError, InputError, PrinterNotFound
from printstation.sim.printer import faults, ops
from printstation.sim.printer.usb_backend import simulated_backend

#: The simulator's training actions (``printer sim``), in the order they are carried out.
ACTIONS = (
    "open_cover",
    "close_cover",
    "clear_jam",
    "replace_ribbon",
    "load",
    "serials",
    "insert",
    "empty_output",
    "empty_reject",
    "clean",
    "unplug",
    "plug",
    "faults",
)


def sim_name(cfg: PrinterConfig) -> str:
    return cfg.uri.split(":", 1)[1] or cfg.name


class SimulatedBackend:
    def connect(
        self, cfg: PrinterConfig, *, state_dir: Path, chip_station: Any = None
    ) -> tuple[Transport, PrinterProfile]:
        name = sim_name(cfg)
        family = get_family(cfg.profile or SIMULATOR_FAMILY, printer=cfg.name)
        backend = simulated_backend(
            name, state_dir, cfg.simulator, chip_station=chip_station, family=family
        )
        profile = backend.printer.profile
        device = usb.core.find(idVendor=profile.vendor_id, backend=backend)
        if device is None:
            raise PrinterNotFound(
                f"printer not found: {cfg.uri} — the simulated printer's cable is pulled "
                f"(plug it in with: printstation printer sim {name} --plug)"
            )
        return UsbTransport(device, name=cfg.name), profile

    def blanks_loaded(self, cfg: PrinterConfig, *, state_dir: Path, serials: list[str]) -> None:
        ops.load_feeder(state_dir, cfg.name, serials)

    def fault_names(self) -> list[str]:
        """The faults ``operate(actions={"faults": [...]})`` can arrange."""
        return faults.fault_names()

    def operate(
        self, cfg: PrinterConfig, *, state_dir: Path, actions: dict[str, Any]
    ) -> list[str] | None:
        """Carry out ``actions`` (ACTIONS) in order; the fault rules are checked first, so
        a bad one changes nothing."""
        for rule in actions.get("faults") or ():
            try:
                faults.parse_rule(rule.replace("card next", "card 1", 1))
            except ConfigError as exc:
                raise InputError(exc.message, where=f"printer {cfg.name}") from None
        where = (state_dir, sim_name(cfg))
        name = cfg.name
        done: list[str] = []
        if actions.get("open_cover"):
            ops.set_cover(*where, open_=True)
            done.append("cover opened")
        if actions.get("close_cover"):
            ops.set_cover(*where, open_=False)
            done.append("cover closed")
        if actions.get("clear_jam"):
            serial = ops.clear_jam(*where)
            done.append(f"card {serial} taken out" if serial else "no card in the path")
        if actions.get("replace_ribbon"):
            done.append(f"new ribbon: {ops.replace_ribbon(*where)} prints")
        serials = list(actions.get("serials") or ())
        if actions.get("load"):
            state = ops.read_state(*where)
            first = state.cards_inserted + len(state.feeder)
            serials += [f"SIM{name}{first + i + 1:06d}" for i in range(actions["load"])]
        if serials:
            held = ops.load_feeder(*where, serials)
            done.append(f"{len(serials)} blanks loaded, {held} in the feeder")
        if actions.get("insert"):
            ops.insert_by_hand(*where, actions["insert"])
            done.append(f"blank {actions['insert']} in the manual slot")
        if actions.get("empty_output"):
            done.append(f"{ops.empty_output(*where)} cards taken from the output hopper")
        if actions.get("empty_reject"):
            done.append(f"{ops.empty_reject(*where)} cards taken from the reject box")
        if actions.get("clean"):
            ops.clean(*where)
            done.append("printer cleaned")
        if actions.get("unplug"):
            ops.set_cable(*where, plugged=False)
            done.append("cable pulled")
        if actions.get("plug"):
            ops.set_cable(*where, plugged=True)
            done.append("cable plugged in")
        for rule in actions.get("faults") or ():
            done.append(f"fault arranged: {ops.add_fault(*where, rule)}")
        return done


backend = SimulatedBackend()
