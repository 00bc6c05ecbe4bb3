"""--exercise of the OCPP 2.0.1 peer: every CSMS->CP operation in the fleet's scope, sent to a
charge point one after another, each answer checked against what OCPP 2.0.1 requires of a
charge point in its state (where the spec allows several answers, all of them), and the
CP->CSMS messages each causes awaited and checked. A deviation is an exercise mismatch with
the charge point, the step, the action, what was expected and what came.

The steps are the table STEPS below; their bodies, and the tables they read, are in
probes201_config.py (device model, RPC) and probes201_control.py (EVSEs, life cycle). The
step reached is kept per charge point, so a step that reboots the charge point
(UpdateFirmware, Reset) is not sent twice: the sequence resumes on the next connection, after
the boot (or, when the link dropped without a reboot, a moment after the reconnect).
Steps that only wait and check are run again from their start when a reconnect cut them off.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from typing import Awaitable, Callable

from websockets.exceptions import ConnectionClosed

import probes201_config as config
import probes201_control as control


@dataclass(frozen=True)
class Step:
    name: str
    run: Callable[["Exercise"], Awaitable[None]]
    # only waits and checks: run again from its start after a reconnect cut it off
    waits: bool = False


STEPS = (
    Step("GetVariables", config.get_variables),
    Step("SetVariables", config.set_variables),
    Step("GetBaseReport", config.get_base_reports),
    Step("GetReport", config.get_reports),
    Step("SetVariableMonitoring", config.variable_monitoring),
    Step("ClearCache", config.clear_cache),
    Step("DataTransfer", config.data_transfer),
    Step("Unsupported", config.unsupported_operations),
    Step("LocalList", config.local_list),
    Step("TriggerMessage", control.trigger_messages),
    Step("SignCertificate", control.sign_certificate),
    Step("UnlockConnector", control.unlock_connector),
    Step("ChangeAvailability", control.change_availability),
    Step("Reservation", control.reservation),
    Step("SmartCharging", control.smart_charging),
    Step("RemoteTransaction", control.remote_transaction),
    Step("GetLog", control.get_log),
    Step("CustomerInformation", control.customer_information),
    Step("UpdateFirmware", control.update_firmware_send),
    Step("UpdateFirmwareWait", control.update_firmware_wait, waits=True),
    Step("ResetOnIdle", control.reset_on_idle_send),
    Step("ResetOnIdleWait", control.reset_wait, waits=True),
    Step("ResetImmediate", control.reset_immediate_send),
    Step("ResetImmediateWait", control.reset_wait, waits=True),
)
STEP_NAMES = tuple(s.name for s in STEPS)

# After a reconnect, how long to wait for a BootNotification (a reboot) before resuming.
RESUME_GRACE = 2.0


class Exercise:
    """One connection's run of the steps for one charge point (csms201.PeerChargePoint201)."""

    def __init__(self, cp):
        self.cp = cp
        self.st = cp.state
        self.c = cp.central
        self.ledger = cp.central.ledger
        self.opts = cp.central.opts
        self.step_name = None

    def start(self) -> asyncio.Task:
        return asyncio.ensure_future(self._guarded())

    async def _guarded(self):
        try:
            await self.run()
        except (asyncio.CancelledError, ConnectionClosed):
            pass
        except Exception as e:
            self.c.csms_error(self.cp.id, self.step_name, f"exercise raised {e!r}")

    async def run(self):
        st = self.st
        # A resumed run gives a rebooted charge point time to boot first: no CALL before its
        # BootNotification is answered.
        await asyncio.sleep(RESUME_GRACE if st.exercise_stage > 0
                            else random.uniform(0.2, 1.0) * self.opts.exercise_pace)
        while st.exercise_stage < len(STEPS):
            stage = st.exercise_stage
            step = STEPS[stage]
            self.step_name = step.name
            if step.name in self.opts.exercise_skip:
                st.exercise_stage = stage + 1
                continue
            await self.pause()
            if step.waits:
                await step.run(self)
                st.exercise_stage = stage + 1
            else:
                # Counted as done before a reboot it may cause cancels this task: never sent twice.
                st.exercise_stage = stage + 1
                await step.run(self)
        st.exercise_done = True

    # ---- helpers for the steps

    async def pause(self, low=0.05, high=0.2):
        await asyncio.sleep(random.uniform(low, high) * self.opts.exercise_pace)

    async def call(self, payload):
        """One CALL; None (and a mismatch) when no schema-valid CALLRESULT came."""
        return await self.cp._step(payload, step=self.step_name)

    def expect(self, action, expected, got):
        return self.cp._expect(action, expected, got, step=self.step_name)

    def miss(self, action, expected, got):
        self.c.mismatch(self.cp.id, action, expected, got, step=self.step_name)

    def note(self, text):
        self.c.note(self.cp.id, self.step_name, text)

    def mark(self) -> int:
        """Where the next CP->CSMS message will fall in the notice log."""
        return len(self.st.notices)

    async def await_notice(self, action, predicate=lambda n: True, since=0, timeout=None):
        """The first CP->CSMS `action` at index >= since whose payload satisfies `predicate`,
        as (index, payload), or None after `timeout` (default --exercise-timeout)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (self.opts.exercise_timeout if timeout is None else timeout)
        while True:
            for index in range(since, len(self.st.notices)):
                a, n = self.st.notices[index]
                if a == action and predicate(n):
                    return index, n
            if loop.time() >= deadline:
                return None
            await asyncio.sleep(0.05)

    async def await_condition(self, condition, timeout=None) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (self.opts.exercise_timeout if timeout is None else timeout)
        while not condition():
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(0.05)
        return True

    def evse_free(self, evse_id=1, connector_id=1) -> bool:
        return self.st.evse_free(self.ledger, evse_id, connector_id)

    def open_on(self, evse_id=1):
        return [t for t in self.ledger.open_for(self.cp.id) if t.evse == evse_id]

    def request_id(self) -> int:
        return random.randint(1, 2_000_000_000)
