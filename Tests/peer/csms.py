#!/usr/bin/env python3
"""Independent, schema-validating OCPP 1.6J central system (CSMS) used as a test peer.

It is built on the PyPI ``ocpp`` package (which validates every payload, in both
directions, against the official OCPP 1.6 JSON schemas) and ``websockets``. It
shares no code with ocpp-fleet, so it checks the simulator against an
independent reading of the protocol. What it shares with the 2.0.1 peer (csms201.py) lives
in peercore.py (the record of a run, message routing) and peerserver.py (server, outages,
options).

    python csms.py [--host 127.0.0.1] [--port 0] [--port-file PATH]
                   [--summary PATH] [--heartbeat-interval 60]
                   [--boot-status Accepted|Pending|Rejected] [--basic-auth-password PASSWORD]
                   [--exercise [--exercise-profiles] | --hostile [--hostile-oversized]]
                   [--exercise-max 20] [--exercise-pace 1] [--log-level info]
                   [--silent-from SECONDS --silent-for SECONDS] [--answer-delay SECONDS]
                   [--outage-every SECONDS --outage-length SECONDS [--outage-count N]
                    [--outage-close-share 0.25] [--outage-refuse alternate|503|close]
                   [--outage-hold 2] [--outage-hold-meter-values 0.5]]

When ready it prints exactly one line, ``listening on HOST:PORT``, to stdout.
SIGTERM/SIGINT write the summary (if --summary) and exit 0; SIGUSR1 writes the
summary and keeps running. All logging goes to stderr.

Outage mode (--outage-every): every SECONDS after start the CSMS drops every
connection in the middle of whatever it is doing (most with a transport abort, no
close handshake; --outage-close-share of them with a close frame, code 1012) and
accepts none for --outage-length seconds: the handshake is refused with HTTP 503,
or the listening socket is closed (connection refused) and reopened on the same
port, or alternately one and the other. The summary then tells, per outage, who was
dropped and when each came back, and per transaction how many StartTransaction,
StopTransaction and MeterValues arrived, how many were identical replays of an
earlier one (allowed: a replayed StartTransaction gets the same transactionId), and
how many MeterValues carry a reading taken inside an outage window (proof that
readings taken offline were delivered after the reconnect). Shortly before each
outage (--outage-hold, --outage-hold-meter-values) transaction messages are recorded
but not answered, so the outage catches them in flight and they must be replayed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from collections import Counter

from ocpp.exceptions import (
    FormationViolationError,
    FormatViolationError,
    OCPPError,
    OccurenceConstraintViolationError,
    OccurrenceConstraintViolationError,
)
from ocpp.messages import MessageType
from ocpp.routing import after
from ocpp.v16 import ChargePoint as V16ChargePoint
from ocpp.v16 import call
from ocpp.v16.enums import Action

from hostile import HostileExercise
from peercore import (
    LOG,
    MAX_LIST,
    outage_options,
    PeerCentral,
    PeerCPState,
    RecordingChargePoint,
    finite_number,
    handler,
    now_iso,
    parse_timestamp,
    register_problem,
    valid_timestamp,
)
from peerserver import add_common_arguments, check_common_arguments, run_main, serve
from profiles import ProfileExercise
from websockets.exceptions import ConnectionClosed

SUBPROTOCOL = "ocpp1.6"
EXERCISE_VENDOR = "com.example.peer-csms"
OWN_VENDOR = "ocpp-fleet"
UNKNOWN_CONFIG_KEY = "PeerCsmsUnknownKey"

# Error codes a 1.6 CALLERROR may carry (OCPP-J 1.6 §4.2.3, with the errata's
# "known issues that will not be fixed" spellings).
ERROR_CODES_16 = frozenset({
    "NotImplemented",
    "NotSupported",
    "InternalError",
    "ProtocolError",
    "SecurityError",
    "FormationViolation",
    "PropertyConstraintViolation",
    "OccurenceConstraintViolation",
    "TypeConstraintViolation",
    "GenericError",
})

# Statuses a StatusNotification may report for connector 0 (the whole charge point).
CONNECTOR0_STATUSES = {"Available", "Unavailable", "Faulted"}


def to_16(error: OCPPError) -> OCPPError:
    """Map the library's 2.0-style error codes onto their OCPP 1.6 spellings."""
    if isinstance(error, FormatViolationError):
        return FormationViolationError(description=error.description, details=error.details)
    if isinstance(error, OccurrenceConstraintViolationError):
        return OccurenceConstraintViolationError(description=error.description, details=error.details)
    return error


def auth_status(id_tag) -> str:
    tag = id_tag if isinstance(id_tag, str) else ""
    if tag.startswith("BLOCKED"):
        return "Blocked"
    if tag.startswith("INVALID"):
        return "Invalid"
    return "Accepted"


# --------------------------------------------------------------------------- state


class Tx:
    __slots__ = (
        "id", "cp", "connector", "id_tag", "meter_start", "timestamp", "since",
        "start_key", "registers", "max_wh_register",
        "start_messages", "replayed_starts", "stop_messages", "replayed_stops", "last_connection",
        "meter_values", "replayed_meter_values", "offline_meter_values", "max_meter_value_delay",
        "meter_value_keys", "stopped_at",
    )

    def __init__(self, tx_id, cp, connector, id_tag, meter_start, timestamp, start_key, connection):
        self.id = tx_id
        self.cp = cp
        self.connector = connector
        self.id_tag = id_tag
        self.meter_start = meter_start
        self.timestamp = timestamp
        self.since = now_iso()
        self.start_key = start_key
        # (phase, location) -> last Energy.Active.Import.Register value in Wh
        self.registers: dict = {}
        # highest register seen that was reported in Wh (exact comparison with meterStop)
        self.max_wh_register = None
        # Delivery accounting (kept after the stop): messages received for this transaction,
        # identical repeats among them, and the connection serial the last one came on.
        self.start_messages = 1
        self.replayed_starts = 0
        self.stop_messages = 0
        self.replayed_stops = 0
        self.last_connection = connection
        self.meter_values = 0
        self.replayed_meter_values = 0
        self.offline_meter_values = 0
        self.max_meter_value_delay = 0.0
        self.meter_value_keys: set = set()
        self.stopped_at = None

    def to_json(self):
        return {
            "id": self.id,
            "cp": self.cp,
            "connector": self.connector,
            "idTag": self.id_tag,
            "meterStart": self.meter_start,
            "timestamp": self.timestamp,
            "since": self.since,
        }

    def delivery_json(self):
        return {
            "id": self.id,
            "cp": self.cp,
            "connector": self.connector,
            "startMessages": self.start_messages,
            "replayedStarts": self.replayed_starts,
            "stopMessages": self.stop_messages,
            "replayedStops": self.replayed_stops,
            "stopped": self.stopped_at is not None,
            "meterValues": self.meter_values,
            "replayedMeterValues": self.replayed_meter_values,
            "offlineMeterValues": self.offline_meter_values,
            "meterValuesFromOutage": self.offline_meter_values > 0,
            "maxMeterValueDelaySeconds": round(self.max_meter_value_delay, 3),
        }


class CPState(PeerCPState):
    """Everything known about one 1.6 charge point id; survives reconnects."""

    def __init__(self, cp_id):
        super().__init__(cp_id)
        # --exercise-profiles: the step reached (kept across reboots) and the CP->CS
        # notifications seen, in order, for the steps to wait on.
        self.profile_stage = 0
        self.profiles_done = False
        self.profile_task: asyncio.Task | None = None
        self.notices: list = []
        self.hostile_started = False
        self.hostile_done = False
        self.oversized_sent_at_connection: int | None = None
        self.open_by_connector: dict = {}  # connectorId -> txId (latest)
        self.status: dict = {}  # connectorId -> last status
        self.remote_start_waiter: asyncio.Future | None = None
        self.stop_waiters: dict = {}  # txId -> Future

    def to_json(self, outages=()):
        out = super().to_json(outages)
        out.update({
            "openTransactions": sorted(self.open_by_connector.values()),
            "connectorStatus": {str(k): v for k, v in sorted(self.status.items())},
            "profileStage": self.profile_stage,
            "profilesDone": self.profiles_done,
            "hostileDone": self.hostile_done,
        })
        return out


class Central(PeerCentral):
    state_class = CPState

    def __init__(self, opts):
        super().__init__(opts)
        self.next_tx = 1
        self.open_tx: dict[int, Tx] = {}
        self.stopped_tx: dict[int, tuple] = {}  # txId -> (cp, stop key)
        self.started_tx = 0
        self.stopped_count = 0
        self.duplicate_starts = 0
        self.duplicate_stops = 0
        self.replayed_starts = 0
        self.replayed_stops = 0
        # Every transaction ever started, kept after its stop for delivery accounting.
        self.tx_log: dict[int, Tx] = {}
        # (cp, connector, idTag, meterStart, timestamp) -> txId: a replayed start gets its id back.
        self.start_keys: dict = {}
        self.meter_values = 0
        self.offline_meter_values = 0
        self.notices: Counter = Counter()  # "Action:status" of CP->CS notifications
        self.hostile_sequences = 0
        self.hostile_frames = 0
        self.hostile_bad_results = 0
        self.hostile_bad_results_armed = 0

    # ---- summary

    def version_summary(self):
        return {
            "transactions": {
                "started": self.started_tx,
                "stopped": self.stopped_count,
                "open": [tx.to_json() for tx in sorted(self.open_tx.values(), key=lambda t: t.id)],
                # identical repeats (answer lost, or retried after a timeout): allowed, same id back
                "duplicateStarts": self.duplicate_starts,
                "duplicateStops": self.duplicate_stops,
                # ... of which arrived on a later connection than the previous copy
                "replayedStarts": self.replayed_starts,
                "replayedStops": self.replayed_stops,
                # answers withheld before an outage (see --outage-hold): each must come back as a replay
                "heldAnswers": dict(sorted(self.held_answers.items())),
                "startMessages": sum(t.start_messages for t in self.tx_log.values()),
                "stopMessages": sum(t.stop_messages for t in self.tx_log.values()),
                "meterValues": self.meter_values,
                "replayedMeterValues": sum(t.replayed_meter_values for t in self.tx_log.values()),
                "offlineMeterValues": self.offline_meter_values,
                "withOfflineMeterValues": sum(1 for t in self.tx_log.values() if t.offline_meter_values > 0),
                "perTransaction": [t.delivery_json() for t in
                                   sorted(self.tx_log.values(), key=lambda t: t.id)[:MAX_LIST]],
            },
            "notifications": dict(sorted(self.notices.items())),
            "profilesDone": sum(1 for c in self.cps.values() if c.profiles_done),
            "hostile": {
                "sequences": self.hostile_sequences,
                "done": sum(1 for c in self.cps.values() if c.hostile_done),
                "frames": self.hostile_frames,
                "badResultsSent": self.hostile_bad_results,
                # charge points that connected again after the oversized frame closed their connection
                "reconnectedAfterOversized": sum(
                    1 for c in self.cps.values()
                    if c.oversized_sent_at_connection is not None and c.connections > c.oversized_sent_at_connection),
            },
            "options": {
                "bootStatus": self.opts.boot_status,
                "heartbeatInterval": self.opts.heartbeat_interval,
                "exercise": self.opts.exercise,
                "exerciseMax": self.opts.exercise_max,
                "exerciseProfiles": self.opts.exercise_profiles,
                **outage_options(self.opts),
            },
        }


# --------------------------------------------------------------------------- charge point


class PeerChargePoint(RecordingChargePoint, V16ChargePoint):
    ERROR_CODES = ERROR_CODES_16

    def __init__(self, cp_id, connection, central: Central, serial: int = 0):
        super().__init__(cp_id, connection, central, serial)
        self._boot_accepted_now = False
        self.hostile: HostileExercise | None = None
        self.break_next_heartbeat = False

    def normalize_error(self, error: OCPPError) -> OCPPError:
        return to_16(error)

    async def intercept(self, msg, uid) -> bool:
        """--hostile: answers to the hostile frames, and the broken Heartbeat.conf."""
        if self.hostile is not None and msg.message_type_id != MessageType.Call and self.hostile.expecting(uid):
            if msg.message_type_id == MessageType.CallResult:
                self.hostile.record(uid, "result", msg.payload)
            else:
                self.hostile.record(uid, "error", msg.error_code)
            return True

        if (msg.message_type_id == MessageType.Call and msg.action == "Heartbeat" and self.break_next_heartbeat):
            # --hostile: this answer breaks the schema (currentTime must be a date-time string).
            self.break_next_heartbeat = False
            self.central.actions[msg.action] += 1
            self.state.actions[msg.action] += 1
            self.central.hostile_bad_results += 1
            await self._send(json.dumps([3, uid, {"currentTime": 12345}]))
            return True
        return False

    async def _hold(self, action):
        """Before an outage: keep the answer until the outage has dropped this connection: the
        last --outage-hold seconds for StartTransaction and StopTransaction, the last
        --outage-hold-meter-values seconds for MeterValues (which come every second or so and
        would otherwise be nearly all that is held)."""
        opts = self.central.opts
        await self.hold_answer(action, opts.outage_hold_meter_values if action == Action.meter_values
                               else opts.outage_hold)

    # ---- CP-initiated Core actions

    @handler(Action.boot_notification)
    async def on_boot_notification(self, charge_point_vendor, charge_point_model, **kwargs):
        st = self.state
        st.boots += 1
        mode = self.central.opts.boot_status
        if mode == "Accepted" or st.accepted:
            status = "Accepted"
        elif mode == "Pending":
            status = "Accepted" if st.boots >= 2 else "Pending"
        else:
            status = "Rejected"
        self._boot_accepted_now = status == "Accepted"
        if status == "Accepted":
            st.accepted = True
            interval = self.central.opts.heartbeat_interval
        else:
            interval = self.central.opts.boot_retry_interval
        LOG.debug("boot %s (%s %s) -> %s", self.id, charge_point_vendor, charge_point_model, status)
        return _result("BootNotification", current_time=now_iso(), interval=interval, status=status)

    @after(Action.boot_notification)
    def after_boot_notification(self, **kwargs):
        if self._boot_accepted_now and self.central.opts.hostile:
            self._boot_accepted_now = False
            self.maybe_hostile()
        if self._boot_accepted_now and self.central.opts.exercise:
            self._boot_accepted_now = False
            self.maybe_exercise()
            self.maybe_resume_profiles()

    @handler(Action.heartbeat)
    async def on_heartbeat(self, **kwargs):
        return _result("Heartbeat", current_time=now_iso())

    @handler(Action.authorize)
    async def on_authorize(self, id_tag, **kwargs):
        return _result("Authorize", id_tag_info={"status": auth_status(id_tag)})

    @handler(Action.start_transaction)
    async def on_start_transaction(self, connector_id, id_tag, meter_start, timestamp, **kwargs):
        c, st = self.central, self.state
        action = Action.start_transaction
        self._check_timestamp(action, "timestamp", timestamp)
        if connector_id <= 0:
            self.v(action, "InvalidConnector", f"StartTransaction on connectorId {connector_id} (must be > 0)")
        if meter_start < 0:
            self.v(action, "InvalidMeter", f"meterStart {meter_start} is negative")
        key = (connector_id, id_tag, meter_start, timestamp)
        known = c.start_keys.get((self.id, key))
        if known is not None:
            # Retransmission of the same request (its answer was lost, or it timed out):
            # idempotent, the same transactionId again.
            tx = c.tx_log[known]
            c.duplicate_starts += 1
            tx.start_messages += 1
            if tx.last_connection != self.serial:
                c.replayed_starts += 1
                tx.replayed_starts += 1
            tx.last_connection = self.serial
            if tx.stopped_at is not None:
                self.v(action, "StartAfterStop",
                       f"StartTransaction repeated for transaction {known}, which was already stopped")
            return _result("StartTransaction", transaction_id=tx.id, id_tag_info={"status": auth_status(id_tag)})
        existing = st.open_by_connector.get(connector_id)
        if existing is not None and existing in c.open_tx:
            self.v(action, "ConnectorBusy",
                   f"StartTransaction on connector {connector_id} while transaction {existing} is open there")
        tx_id = c.next_tx
        c.next_tx += 1
        tx = Tx(tx_id, self.id, connector_id, id_tag, meter_start, timestamp, key, self.serial)
        c.open_tx[tx_id] = tx
        c.tx_log[tx_id] = tx
        c.start_keys[(self.id, key)] = tx_id
        c.started_tx += 1
        st.open_by_connector[connector_id] = tx_id
        waiter = st.remote_start_waiter
        if waiter is not None and not waiter.done() and connector_id == 1 and id_tag == "REMOTE-1":
            waiter.set_result(tx_id)
        await self._hold(action)
        return _result("StartTransaction", transaction_id=tx_id, id_tag_info={"status": auth_status(id_tag)})

    @handler(Action.stop_transaction)
    async def on_stop_transaction(self, meter_stop, timestamp, transaction_id, **kwargs):
        c, st = self.central, self.state
        action = Action.stop_transaction
        self._check_timestamp(action, "timestamp", timestamp)
        id_tag = kwargs.get("id_tag")
        answer = _result("StopTransaction", id_tag_info={"status": auth_status(id_tag)} if id_tag is not None else None)
        stop_key = (meter_stop, timestamp, kwargs.get("reason"), id_tag)
        tx = c.open_tx.get(transaction_id)
        if tx is None:
            stopped = c.stopped_tx.get(transaction_id)
            logged = c.tx_log.get(transaction_id)
            if logged is not None:
                logged.stop_messages += 1
            if stopped is None:
                self.v(action, "UnknownTransaction", f"StopTransaction for unknown transactionId {transaction_id}")
            elif stopped == (self.id, stop_key):
                c.duplicate_stops += 1  # identical retransmission (its answer was lost)
                if logged is not None and logged.last_connection != self.serial:
                    c.replayed_stops += 1
                    logged.replayed_stops += 1
                if logged is not None:
                    logged.last_connection = self.serial
            else:
                self.v(action, "TransactionAlreadyStopped",
                       f"StopTransaction for transactionId {transaction_id}, which was already stopped")
            return answer
        if tx.cp != self.id:
            self.v(action, "TransactionOwnerMismatch",
                   f"StopTransaction for transaction {transaction_id}, which belongs to {tx.cp}")
            return answer
        for mv in kwargs.get("transaction_data") or []:
            self._check_meter_value(action, tx, mv)
        if meter_stop < tx.meter_start:
            self.v(action, "MeterStopBelowStart",
                   f"transaction {transaction_id}: meterStop {meter_stop} < meterStart {tx.meter_start}")
        elif tx.max_wh_register is not None and meter_stop + 0.5 < tx.max_wh_register:
            self.v(action, "MeterStopBelowRegister",
                   f"transaction {transaction_id}: meterStop {meter_stop} < last "
                   f"Energy.Active.Import.Register {tx.max_wh_register:g} Wh")
        del c.open_tx[transaction_id]
        tx.stop_messages += 1
        tx.stopped_at = now_iso()
        tx.last_connection = self.serial
        c.stopped_tx[transaction_id] = (self.id, stop_key)
        c.stopped_count += 1
        if st.open_by_connector.get(tx.connector) == transaction_id:
            del st.open_by_connector[tx.connector]
        waiter = st.stop_waiters.pop(transaction_id, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(True)
        await self._hold(action)
        return answer

    @handler(Action.meter_values)
    async def on_meter_values(self, connector_id, meter_value, **kwargs):
        c = self.central
        action = Action.meter_values
        if connector_id < 0:
            self.v(action, "InvalidConnector", f"MeterValues for connectorId {connector_id}")
        tx_id = kwargs.get("transaction_id")
        tx = None
        if tx_id is not None:
            tx = c.open_tx.get(tx_id)
            if tx is None:
                what = "stopped" if tx_id in c.stopped_tx else "unknown"
                self.v(action, "TransactionNotOpen", f"MeterValues for {what} transactionId {tx_id}")
            elif tx.cp != self.id:
                self.v(action, "TransactionOwnerMismatch", f"MeterValues for transaction {tx_id} of {tx.cp}")
                tx = None
            elif tx.connector != connector_id:
                self.v(action, "ConnectorMismatch",
                       f"MeterValues on connector {connector_id} for transaction {tx_id} on connector {tx.connector}")
        for mv in meter_value:
            self._check_meter_value(action, tx, mv)
        if tx is not None:
            self._account_meter_values(tx, meter_value)
            await self._hold(action)
        return _result("MeterValues")

    def _account_meter_values(self, tx: Tx, meter_value):
        """Counts a transaction's MeterValues: identical repeats, and readings taken in an outage."""
        c = self.central
        c.meter_values += 1
        tx.meter_values += 1
        key = json.dumps(meter_value, sort_keys=True, default=str)
        if key in tx.meter_value_keys:
            tx.replayed_meter_values += 1
        else:
            tx.meter_value_keys.add(key)
        arrived = time.time()
        taken = [parsed.timestamp() for parsed in (parse_timestamp(mv.get("timestamp")) for mv in meter_value)
                 if parsed is not None]
        if taken:
            tx.max_meter_value_delay = max(tx.max_meter_value_delay, arrived - min(taken))
        # Nothing is accepted during an outage: a reading timestamped inside one was taken
        # offline and is arriving now, after a reconnect.
        if any(c.in_outage_window(when) for when in taken):
            c.offline_meter_values += 1
            tx.offline_meter_values += 1

    @handler(Action.status_notification)
    async def on_status_notification(self, connector_id, error_code, status, **kwargs):
        action = Action.status_notification
        if "timestamp" in kwargs:
            self._check_timestamp(action, "timestamp", kwargs["timestamp"])
        if connector_id < 0:
            self.v(action, "InvalidConnector", f"StatusNotification for connectorId {connector_id}")
        elif connector_id == 0 and status not in CONNECTOR0_STATUSES:
            self.v(action, "InvalidConnectorStatus",
                   f"connector 0 may only be Available, Unavailable or Faulted; got {status}")
        self.state.status[connector_id] = status
        self.notice("StatusNotification", connector_id=connector_id, status=status, error_code=error_code)
        return _result("StatusNotification")

    @handler(Action.data_transfer)
    async def on_data_transfer(self, vendor_id, **kwargs):
        return _result("DataTransfer", status="Accepted" if vendor_id == OWN_VENDOR else "UnknownVendorId")

    # Not Core, but legitimate CP-initiated 1.6 messages and the security extension's.
    def notice(self, action, **payload):
        notices = self.state.notices
        if len(notices) < 4 * MAX_LIST:
            notices.append((action, payload))
        self.central.notices[f"{action}:{payload.get('status') or payload.get('type') or ''}"] += 1

    @handler(Action.diagnostics_status_notification)
    async def on_diagnostics_status_notification(self, status, **kwargs):
        self.notice("DiagnosticsStatusNotification", status=status)
        return _result("DiagnosticsStatusNotification")

    @handler(Action.firmware_status_notification)
    async def on_firmware_status_notification(self, status, **kwargs):
        self.notice("FirmwareStatusNotification", status=status)
        return _result("FirmwareStatusNotification")

    @handler(Action.log_status_notification)
    async def on_log_status_notification(self, status, **kwargs):
        self.notice("LogStatusNotification", status=status, request_id=kwargs.get("request_id"))
        return _result("LogStatusNotification")

    @handler(Action.signed_firmware_status_notification)
    async def on_signed_firmware_status_notification(self, status, **kwargs):
        self.notice("SignedFirmwareStatusNotification", status=status, request_id=kwargs.get("request_id"))
        return _result("SignedFirmwareStatusNotification")

    @handler(Action.security_event_notification)
    async def on_security_event_notification(self, type, timestamp, **kwargs):
        self._check_timestamp(Action.security_event_notification, "timestamp", timestamp)
        self.notice("SecurityEventNotification", type=type, tech_info=kwargs.get("tech_info"))
        return _result("SecurityEventNotification")

    @handler(Action.sign_certificate)
    async def on_sign_certificate(self, csr, **kwargs):
        self.notice("SignCertificate", csr=csr)
        return _result("SignCertificate", status="Accepted")

    # ---- checks

    def _check_timestamp(self, action, field, value):
        if not valid_timestamp(value):
            self.v(action, "InvalidTimestamp", f"{field} {value!r} is not an RFC 3339 date-time")

    def _check_meter_value(self, action, tx: Tx | None, mv):
        self._check_timestamp(action, "meterValue.timestamp", mv.get("timestamp"))
        if tx is None:
            return
        for sv in mv.get("sampled_value") or []:
            if sv.get("measurand", "Energy.Active.Import.Register") != "Energy.Active.Import.Register":
                continue
            if sv.get("format", "Raw") != "Raw":
                continue
            unit = sv.get("unit", "Wh")
            value = finite_number(sv.get("value"))
            if value is None:
                self.v(action, "InvalidMeterValue",
                       f"Energy.Active.Import.Register value {sv.get('value')!r} is not a finite number")
                continue
            if unit == "kWh":
                value *= 1000.0
            elif unit != "Wh":
                self.v(action, "InvalidMeterValue", f"Energy.Active.Import.Register with unit {unit!r}")
                continue
            key = (sv.get("phase"), sv.get("location", "Outlet"))
            # Monotone in time, not in arrival order: a StopTransaction's Transaction.Begin
            # sample is older (and lower) than the MeterValues sent during the transaction.
            problem = register_problem(tx.registers.setdefault(key, []), parse_timestamp(mv.get("timestamp")), value)
            if problem is not None:
                self.v(action, "MeterDecreasing", f"transaction {tx.id}: Energy.Active.Import.Register {problem}")
            if unit == "Wh" and key == (None, "Outlet"):
                tx.max_wh_register = value if tx.max_wh_register is None else max(tx.max_wh_register, value)

    # ---- CSMS-initiated exercise

    def maybe_exercise(self):
        c, st = self.central, self.state
        if st.exercise_started or c.exercise_sequences >= c.opts.exercise_max:
            return
        st.exercise_started = True
        c.exercise_sequences += 1
        self.exercise_task = asyncio.ensure_future(self._exercise_guarded())

    def maybe_hostile(self):
        c, st = self.central, self.state
        if not c.opts.hostile or st.hostile_started or c.hostile_sequences >= c.opts.exercise_max:
            return
        st.hostile_started = True
        c.hostile_sequences += 1
        self.exercise_task = asyncio.ensure_future(self._hostile_guarded())

    async def _hostile_guarded(self):
        try:
            await asyncio.sleep(random.uniform(0.5, 1.5))
            await HostileExercise(self).run()
        except (asyncio.CancelledError, ConnectionClosed):
            pass
        except Exception as e:
            self.central.csms_error(self.id, None, f"hostile exercise raised {e!r}")

    def maybe_resume_profiles(self):
        """Starts (after the Core exercise) or resumes (after a reboot) the profile exercise."""
        st = self.state
        if not self.central.opts.exercise_profiles or not st.exercise_started or st.profiles_done:
            return
        if st.profile_stage == 0 or (st.profile_task is not None and not st.profile_task.done()):
            return  # not begun (the Core exercise starts it), or running on this connection
        st.profile_task = self.exercise_task = asyncio.ensure_future(self._profiles_guarded())

    async def _profiles_guarded(self):
        try:
            await ProfileExercise(self).run()
        except (asyncio.CancelledError, ConnectionClosed):
            pass
        except Exception as e:
            self.central.csms_error(self.id, None, f"profile exercise raised {e!r}")

    async def _exercise_guarded(self):
        try:
            await self.exercise()
            if self.central.opts.exercise_profiles:
                self.state.profile_task = asyncio.current_task()
                await ProfileExercise(self).run()
        except (asyncio.CancelledError, ConnectionClosed):
            pass
        except Exception as e:
            self.central.csms_error(self.id, None, f"exercise raised {e!r}")

    async def exercise(self):
        c, st = self.central, self.state
        await asyncio.sleep(random.uniform(0.2, 1.0))

        # GetConfiguration, all keys: the Core keys must be there.
        res = await self._step(call.GetConfiguration())
        current_hb = None
        if res is not None:
            keys = {k.get("key"): k for k in (res.configuration_key or [])}
            for needed in ("HeartbeatInterval", "NumberOfConnectors"):
                if needed not in keys:
                    c.mismatch(self.id, "GetConfiguration", f"key {needed} reported", "missing")
            noc = keys.get("NumberOfConnectors")
            if noc is not None and noc.get("readonly") is not True:
                c.mismatch(self.id, "GetConfiguration", "NumberOfConnectors readonly", noc.get("readonly"))
            if "HeartbeatInterval" in keys:
                current_hb = keys["HeartbeatInterval"].get("value")

        # GetConfiguration with one unknown key.
        res = await self._step(call.GetConfiguration(key=["HeartbeatInterval", UNKNOWN_CONFIG_KEY]))
        if res is not None:
            self._expect("GetConfiguration", [UNKNOWN_CONFIG_KEY], list(res.unknown_key or []))
            if not any(k.get("key") == "HeartbeatInterval" for k in (res.configuration_key or [])):
                c.mismatch(self.id, "GetConfiguration", "HeartbeatInterval in configurationKey", "missing")

        # ChangeConfiguration: writable, unknown and read-only keys.
        base = c.opts.heartbeat_interval
        new_hb = str(base + 1) if current_hb == str(base) else str(base)
        res = await self._step(call.ChangeConfiguration(key="HeartbeatInterval", value=new_hb))
        if res is not None and self._expect("ChangeConfiguration", "Accepted", res.status):
            res = await self._step(call.GetConfiguration(key=["HeartbeatInterval"]))
            if res is not None:
                got = [k.get("value") for k in (res.configuration_key or []) if k.get("key") == "HeartbeatInterval"]
                self._expect("GetConfiguration", [new_hb], got)
        res = await self._step(call.ChangeConfiguration(key=UNKNOWN_CONFIG_KEY, value="1"))
        if res is not None:
            self._expect("ChangeConfiguration", "NotSupported", res.status)
        res = await self._step(call.ChangeConfiguration(key="NumberOfConnectors", value="7"))
        if res is not None:
            self._expect("ChangeConfiguration", "Rejected", res.status)

        # DataTransfer with a vendor the CP cannot know.
        res = await self._step(call.DataTransfer(vendor_id=EXERCISE_VENDOR, message_id="ping", data="peer"))
        if res is not None:
            self._expect("DataTransfer", "UnknownVendorId", res.status)

        # ClearCache: Accepted or Rejected are both legal (schema-checked).
        await self._step(call.ClearCache())

        res = await self._step(call.ChangeAvailability(connector_id=0, type="Operative"))
        if res is not None:
            self._expect("ChangeAvailability", {"Accepted", "Scheduled"}, res.status)

        # UnlockConnector only when no transaction is open on connector 1.
        if 1 not in st.open_by_connector:
            await self._step(call.UnlockConnector(connector_id=1))

        # RemoteStart, then RemoteStop of the transaction it produced.
        # OCPP 1.6 §5.11: a charge point may reject a remote start on a connector in use. Only
        # an Available connector 1 (per its last StatusNotification) must accept; a driver may
        # be plugging in or presenting a card at the same moment otherwise.
        busy = 1 in st.open_by_connector or st.status.get(1) != "Available"
        loop = asyncio.get_running_loop()
        st.remote_start_waiter = loop.create_future()
        res = await self._step(call.RemoteStartTransaction(connector_id=1, id_tag="REMOTE-1"))
        if res is None:
            return
        if busy:
            self._expect("RemoteStartTransaction", {"Accepted", "Rejected"}, res.status)
        if res.status != "Accepted":
            if not busy:
                self._expect("RemoteStartTransaction", "Accepted", res.status)
            return
        timeout = c.opts.exercise_timeout
        try:
            tx_id = await asyncio.wait_for(asyncio.shield(st.remote_start_waiter), timeout)
        except asyncio.TimeoutError:
            c.mismatch(self.id, "RemoteStartTransaction",
                       "StartTransaction connector 1 idTag REMOTE-1", f"none within {timeout:g}s")
            return
        finally:
            st.remote_start_waiter = None
        await asyncio.sleep(random.uniform(0.5, 2.0))
        if tx_id not in c.open_tx:
            return  # already stopped by the CP itself
        stopped = loop.create_future()
        st.stop_waiters[tx_id] = stopped
        res = await self._step(call.RemoteStopTransaction(transaction_id=tx_id))
        if res is not None and res.status == "Rejected":
            # The charge point may have ended the transaction itself an instant earlier, its
            # StopTransaction still on the way: Rejected is right then, if that Stop arrives.
            try:
                await asyncio.wait_for(asyncio.shield(stopped), timeout)
                return
            except asyncio.TimeoutError:
                pass
            finally:
                st.stop_waiters.pop(tx_id, None)
        if res is None or not self._expect("RemoteStopTransaction", "Accepted", res.status):
            st.stop_waiters.pop(tx_id, None)
            return
        try:
            await asyncio.wait_for(asyncio.shield(stopped), timeout)
        except asyncio.TimeoutError:
            c.mismatch(self.id, "RemoteStopTransaction", f"StopTransaction for {tx_id}", f"none within {timeout:g}s")
        finally:
            st.stop_waiters.pop(tx_id, None)


def _result(action, **kwargs):
    from ocpp.v16 import call_result

    cls = getattr(call_result, action)
    return cls(**{k: v for k, v in kwargs.items() if v is not None})


# --------------------------------------------------------------------------- server


# --------------------------------------------------------------------------- server


async def run(opts) -> int:
    return await serve(opts, Central(opts), PeerChargePoint, SUBPROTOCOL, "OCPP 1.6J peer CSMS")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="Schema-validating OCPP 1.6J peer CSMS (python ocpp library).")
    add_common_arguments(p, "StartTransaction and StopTransaction", "MeterValues of a transaction")
    p.add_argument("--exercise", action="store_true", help="send CSMS-initiated Core calls after boot")
    p.add_argument("--exercise-profiles", action="store_true",
                   help="after the Core exercise, send every CS->CP operation of the other feature profiles "
                        "and the security extension (needs --exercise; see profiles.py)")
    p.add_argument("--hostile", action="store_true",
                   help="after boot, send malformed and hostile frames and check the answers (see hostile.py); "
                        "excludes --exercise")
    p.add_argument("--hostile-oversized", action="store_true",
                   help="with --hostile, end with a 2 MiB frame that the charge point must refuse by closing")
    opts = p.parse_args(argv)
    check_common_arguments(p, opts)
    if opts.hostile and opts.exercise:
        p.error("--hostile and --exercise exclude each other")
    if opts.hostile_oversized and not opts.hostile:
        p.error("--hostile-oversized needs --hostile")
    if opts.exercise_profiles and not opts.exercise:
        p.error("--exercise-profiles needs --exercise")
    return opts


def main(argv=None) -> int:
    return run_main(parse_args, run, argv)


if __name__ == "__main__":
    sys.exit(main())
