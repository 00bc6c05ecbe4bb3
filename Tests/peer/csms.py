#!/usr/bin/env python3
"""Independent, schema-validating OCPP 1.6J central system (CSMS) used as a test peer.

It is built on the PyPI ``ocpp`` package (which validates every payload, in both
directions, against the official OCPP 1.6 JSON schemas) and ``websockets``. It
shares no code with ocpp-fleet, so it checks the simulator against an
independent reading of the protocol.

    python csms.py [--host 127.0.0.1] [--port 0] [--port-file PATH]
                   [--summary PATH] [--heartbeat-interval 60]
                   [--boot-status Accepted|Pending|Rejected]
                   [--exercise [--exercise-profiles] | --hostile [--hostile-oversized]]
                   [--exercise-max 20] [--log-level info]
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
import logging
import math
import os
import random
import re
import signal
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from http import HTTPStatus
from urllib.parse import unquote

import ocpp.messages
from ocpp.exceptions import (
    FormationViolationError,
    FormatViolationError,
    InternalError,
    OCPPError,
    OccurenceConstraintViolationError,
    OccurrenceConstraintViolationError,
    UnknownCallErrorCodeError,
)
from ocpp.messages import CallError, MessageType, unpack
from ocpp.routing import after, on
from ocpp.v16 import ChargePoint as V16ChargePoint
from ocpp.v16 import call
from ocpp.v16.enums import Action

import websockets
from hostile import HostileExercise
from profiles import ProfileExercise
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed, NegotiationError
from websockets.protocol import State

# Validation stays ON in both directions (no handler or call uses
# skip_schema_validation). This flag only makes the library validate inline
# instead of hopping to a thread pool for every message, which is faster on a
# small machine; it does not disable anything.
ocpp.messages.ASYNC_VALIDATION = False

LOG = logging.getLogger("csms")
# The library logs every message at INFO and every CALLERROR with a traceback;
# we record those ourselves, so it only speaks at --log-level debug.
OCPP_LOG = logging.getLogger("csms.ocpp")

SUBPROTOCOL = "ocpp1.6"
MAX_LIST = 1000
MAX_LOGGED_VIOLATIONS = 50
EXERCISE_VENDOR = "com.example.peer-csms"
OWN_VENDOR = "ocpp-fleet"
UNKNOWN_CONFIG_KEY = "PeerCsmsUnknownKey"

# Error codes a 1.6 CALLERROR may carry (OCPP-J 1.6 §4.2.3, with the errata's
# "known issues that will not be fixed" spellings).
ERROR_CODES_16 = {
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
}

# Statuses a StatusNotification may report for connector 0 (the whole charge point).
CONNECTOR0_STATUSES = {"Available", "Unavailable", "Faulted"}

RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_timestamp(value):
    """An RFC 3339 timestamp as an aware datetime, or None."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


def valid_timestamp(value) -> bool:
    if not isinstance(value, str):
        return False
    m = RFC3339.match(value)
    if not m:
        return False
    try:
        datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]), min(int(m[6]), 59))
    except ValueError:
        return False
    return int(m[6]) <= 60


def to_16(error: OCPPError) -> OCPPError:
    """Map the library's 2.0-style error codes onto their OCPP 1.6 spellings."""
    if isinstance(error, FormatViolationError):
        return FormationViolationError(description=error.description, details=error.details)
    if isinstance(error, OccurrenceConstraintViolationError):
        return OccurenceConstraintViolationError(description=error.description, details=error.details)
    return error


def error_text(error: OCPPError) -> str:
    cause = error.details.get("cause") if isinstance(error.details, dict) else None
    if isinstance(cause, str):
        cause = cause.split("\n\n", 1)[0]  # drop jsonschema's dump of the schema
    text = f"{error.description}" + (f": {cause}" if cause else "")
    return text[:500]


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


class CPState:
    """Everything known about one charge point id; survives reconnects."""

    def __init__(self, cp_id):
        self.id = cp_id
        self.connections = 0
        self.boots = 0
        self.accepted = False
        self.actions: Counter = Counter()
        self.violations = 0
        self.exercise_started = False
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
        self.connected_at: list = []  # wall-clock time of every accepted handshake
        self.dropped_by_outage = 0

    def to_json(self, outages=()):
        return {
            "connections": self.connections,
            "droppedByOutage": self.dropped_by_outage,
            # outages after whose end this charge point connected again (at any later time)
            "reconnectedAfterOutages": sum(
                1 for o in outages if o.end is not None and any(t >= o.end for t in self.connected_at)),
            "boots": self.boots,
            "bootAccepted": self.accepted,
            "actions": dict(sorted(self.actions.items())),
            "violations": self.violations,
            "openTransactions": sorted(self.open_by_connector.values()),
            "connectorStatus": {str(k): v for k, v in sorted(self.status.items())},
            "exercised": self.exercise_started,
            "profileStage": self.profile_stage,
            "profilesDone": self.profiles_done,
            "hostileDone": self.hostile_done,
        }


class Outage:
    """One outage window: every connection dropped at `start`, none accepted until `end`."""

    def __init__(self, index, refusal):
        self.index = index
        self.refusal = refusal  # "503" or "close"
        self.start = time.time()
        self.start_iso = now_iso()
        self.end = None
        self.end_iso = None
        self.aborted = 0  # transport aborted, no close frame
        self.closed_with_frame = 0  # close frame 1012, then the usual close handshake
        self.refused_handshakes = 0  # HTTP 503 during the window
        self.aborted_on_arrival = 0  # handshake completed during the window: dropped at once
        self.dropped_cps: set = set()

    def contains(self, when: float) -> bool:
        return self.start <= when <= (self.end if self.end is not None else time.time())

    def to_json(self, cps, next_start):
        """`next_start`: when the following outage began (None: the run ended first)."""
        delays, reconnected, before_next = [], 0, 0
        for cp_id in self.dropped_cps:
            later = [t for t in cps[cp_id].connected_at if self.end is not None and t >= self.end]
            if later:
                reconnected += 1
                delays.append(later[0] - self.end)
                if next_start is None or later[0] < next_start:
                    before_next += 1
        delays.sort()
        return {
            "index": self.index,
            "start": self.start_iso,
            "end": self.end_iso,
            "refusal": self.refusal,
            "dropped": self.aborted + self.closed_with_frame + self.aborted_on_arrival,
            "aborted": self.aborted,
            "closedWithFrame": self.closed_with_frame,
            "abortedOnArrival": self.aborted_on_arrival,
            "refusedHandshakes": self.refused_handshakes,
            "droppedChargePoints": len(self.dropped_cps),
            # dropped charge points that connected again after the window (at any later time)
            "reconnected": reconnected,
            # ... and before the next outage began
            "reconnectedBeforeNextOutage": before_next,
            "reconnectSeconds": {
                "min": round(delays[0], 3) if delays else None,
                "median": round(delays[len(delays) // 2], 3) if delays else None,
                "max": round(delays[-1], 3) if delays else None,
            },
        }


class Central:
    def __init__(self, opts):
        self.opts = opts
        self.started = time.time()
        self.started_iso = now_iso()
        self.connections = 0
        self.active = 0
        self.rejected_handshakes = 0
        self.duplicate_connections = 0
        self.cps: dict[str, CPState] = {}
        self.live: dict[str, int] = Counter()
        self.actions: Counter = Counter()
        self.violations: list = []
        self.violation_count = 0
        self.call_errors: list = []
        self.call_error_count = 0
        self.csms_errors: list = []
        self.exercised: Counter = Counter()
        self.mismatches: list = []
        self.mismatch_count = 0
        self.exercise_sequences = 0
        self.next_tx = 1
        self.open_tx: dict[int, Tx] = {}
        self.stopped_tx: dict[int, tuple] = {}  # txId -> (cp, stop key)
        self.started_tx = 0
        self.stopped_count = 0
        self.duplicate_starts = 0
        self.duplicate_stops = 0
        self.replayed_starts = 0
        self.replayed_stops = 0
        self.late_responses = 0
        # Every transaction ever started, kept after its stop for delivery accounting.
        self.tx_log: dict[int, Tx] = {}
        # (cp, connector, idTag, meterStart, timestamp) -> txId: a replayed start gets its id back.
        self.start_keys: dict = {}
        self.outages: list[Outage] = []
        self.dropped_by_outage = 0
        # Loop time the next outage begins (None: no more outages), and the event it sets.
        self.next_outage_at: float | None = None
        self.outage_began = asyncio.Event()
        self.held_answers: Counter = Counter()  # action -> answers withheld until an outage
        self.meter_values = 0
        self.offline_meter_values = 0
        self.notices: Counter = Counter()  # "Action:status" of CP->CS notifications
        self.hostile_sequences = 0
        self.silenced: Counter = Counter()  # CALLs left unanswered in the silent window, by action
        self.hostile_frames = 0
        self.hostile_bad_results = 0
        self.hostile_bad_results_armed = 0

    def silent_now(self) -> bool:
        start = self.opts.silent_from
        if start is None:
            return False
        elapsed = time.time() - self.started
        return start <= elapsed < start + self.opts.silent_for

    def holding(self, action) -> bool:
        """Whether the answer to this transaction message is withheld now: the last --outage-hold
        seconds before an outage for StartTransaction and StopTransaction, the last
        --outage-hold-meter-values seconds for MeterValues (which come every second or so and
        would otherwise be nearly all that is held). The message is recorded, its answer never
        sent, so the charge point must replay it after the reconnect."""
        hold = self.opts.outage_hold_meter_values if action == Action.meter_values else self.opts.outage_hold
        if not hold or self.next_outage_at is None or self.outage is not None:
            return False
        return asyncio.get_running_loop().time() >= self.next_outage_at - hold

    @property
    def outage(self) -> Outage | None:
        """The outage in progress, if any."""
        if self.outages and self.outages[-1].end is None:
            return self.outages[-1]
        return None

    def in_outage_window(self, when: float) -> bool:
        return any(o.contains(when) for o in self.outages)

    def cp(self, cp_id) -> CPState:
        st = self.cps.get(cp_id)
        if st is None:
            st = self.cps[cp_id] = CPState(cp_id)
        return st

    # ---- recording

    def violation(self, cp, action, code, detail, kind="protocol", unique_id=None):
        self.violation_count += 1
        if cp is not None and cp in self.cps:
            self.cps[cp].violations += 1
        if len(self.violations) < MAX_LIST:
            entry = {"cp": cp, "action": action, "code": code, "detail": str(detail)[:500], "kind": kind}
            if unique_id is not None:
                entry["uniqueId"] = unique_id
            entry["at"] = now_iso()
            self.violations.append(entry)
        level = logging.WARNING if self.violation_count <= MAX_LOGGED_VIOLATIONS else logging.DEBUG
        LOG.log(level, "violation #%d cp=%s action=%s code=%s: %s",
                self.violation_count, cp, action, code, str(detail)[:300])

    def call_error(self, cp, action, err: CallError):
        self.call_error_count += 1
        if len(self.call_errors) < MAX_LIST:
            self.call_errors.append({
                "cp": cp,
                "action": action,
                "code": err.error_code,
                "description": err.error_description,
                "details": err.error_details,
                "uniqueId": err.unique_id,
                "at": now_iso(),
            })
        LOG.info("CALLERROR from %s to %s: %s %s", cp, action, err.error_code, err.error_description)

    def mismatch(self, cp, action, expected, got):
        self.mismatch_count += 1
        if len(self.mismatches) < MAX_LIST:
            self.mismatches.append({"cp": cp, "action": action, "expected": expected,
                                    "got": str(got)[:500], "at": now_iso()})
        LOG.info("exercise mismatch cp=%s action=%s expected=%s got=%s", cp, action, expected, got)

    def csms_error(self, cp, action, detail):
        """A fault of this peer itself (should never happen; makes tests loud)."""
        if len(self.csms_errors) < MAX_LIST:
            self.csms_errors.append({"cp": cp, "action": action, "detail": str(detail)[:500], "at": now_iso()})
        LOG.error("internal error cp=%s action=%s: %s", cp, action, detail)

    # ---- summary

    def summary(self):
        booted = [c for c in self.cps.values() if c.boots > 0]
        return {
            "connections": self.connections,
            "activeConnections": self.active,
            "rejectedHandshakes": self.rejected_handshakes,
            "duplicateConnections": self.duplicate_connections,
            "chargePoints": len(booted),
            "bootAccepted": sum(1 for c in booted if c.accepted),
            "actions": dict(sorted(self.actions.items())),
            "violations": self.violations,
            "violationCount": self.violation_count,
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
            "outages": len(self.outages),
            "connectionsDroppedByOutage": self.dropped_by_outage,
            "outageWindows": [
                o.to_json(self.cps, self.outages[i + 1].start if i + 1 < len(self.outages) else None)
                for i, o in enumerate(self.outages[:MAX_LIST])
            ],
            "callErrorsFromChargePoints": self.call_errors,
            "callErrorCount": self.call_error_count,
            "exercised": dict(sorted(self.exercised.items())),
            "exerciseSequences": self.exercise_sequences,
            "exerciseMismatches": self.mismatches,
            "exerciseMismatchCount": self.mismatch_count,
            "notifications": dict(sorted(self.notices.items())),
            "profilesDone": sum(1 for c in self.cps.values() if c.profiles_done),
            "silenced": dict(sorted(self.silenced.items())),
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
            "lateResponses": self.late_responses,
            "csmsErrors": self.csms_errors,
            "perChargePoint": {k: v.to_json(self.outages) for k, v in sorted(self.cps.items())},
            "options": {
                "bootStatus": self.opts.boot_status,
                "heartbeatInterval": self.opts.heartbeat_interval,
                "exercise": self.opts.exercise,
                "exerciseMax": self.opts.exercise_max,
                "exerciseProfiles": self.opts.exercise_profiles,
                "outageEvery": self.opts.outage_every,
                "outageLength": self.opts.outage_length,
                "outageCount": self.opts.outage_count,
                "outageCloseShare": self.opts.outage_close_share,
                "outageRefuse": self.opts.outage_refuse,
                "outageHold": self.opts.outage_hold,
                "outageHoldMeterValues": self.opts.outage_hold_meter_values,
            },
            "startedAt": self.started_iso,
            "writtenAt": now_iso(),
            "uptimeSeconds": round(time.time() - self.started, 3),
        }


def atomic_write(path: str, text: str):
    path = os.path.abspath(path)
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


class CPCallError(Exception):
    def __init__(self, err: CallError):
        super().__init__(f"{err.error_code}: {err.error_description}")
        self.err = err


class InvalidResponse(Exception):
    pass


# --------------------------------------------------------------------------- charge point


def handler(action):
    """@on(action) plus bookkeeping common to every CP-initiated request."""

    def wrap(func):
        async def inner(self, *args, **kwargs):
            self._stage = "handler"  # the request passed schema validation
            if action != Action.boot_notification and not self.state.accepted:
                self.v(action, "NotBooted",
                       f"{action} before the first Accepted BootNotification "
                       f"(boots so far: {self.state.boots})")
            try:
                return await func(self, *args, **kwargs)
            except Exception as e:  # our bug: library answers InternalError
                self.central.csms_error(self.id, action, f"handler raised {e!r}")
                raise

        inner.__name__ = func.__name__
        inner.__qualname__ = func.__qualname__
        inner.__doc__ = func.__doc__
        inner.__wrapped__ = func  # so the library sees the real signature
        return on(action)(inner)

    return wrap


class PeerChargePoint(V16ChargePoint):
    def __init__(self, cp_id, connection, central: Central, serial: int = 0):
        super().__init__(cp_id, connection, response_timeout=central.opts.call_timeout, logger=OCPP_LOG)
        self.central = central
        self.state = central.cp(cp_id)
        self.serial = serial  # which connection of the process this is (1, 2, ...)
        self._stage = "idle"
        self._pending_uid = None
        self._pending_action = None
        self._timed_out: dict = {}
        self._call_errors: dict = {}  # uniqueId -> CallError answering our CALL
        self._boot_accepted_now = False
        self.exercise_task: asyncio.Task | None = None
        self.hostile: HostileExercise | None = None
        self.break_next_heartbeat = False

    def v(self, action, code, detail, kind="protocol", unique_id=None):
        self.central.violation(self.id, action, code, detail, kind=kind, unique_id=unique_id)

    # ---- transport

    async def start(self):
        async for message in self._connection:
            if isinstance(message, bytes):
                self.v(None, "BinaryFrame", "OCPP-J requires text frames; got a binary frame", kind="framing")
                try:
                    message = message.decode("utf-8")
                except UnicodeDecodeError:
                    continue
            await self.route_message(message)

    async def route_message(self, raw_msg):
        """Library's route_message with recording hooks.

        The library catches the OCPPError raised by _handle_call (schema
        validation failure, unknown/unsupported action) here and turns it into
        a CALLERROR; unparsable frames it only logs. Both are violations.
        """
        try:
            msg = unpack(raw_msg)
        except OCPPError as e:
            e = to_16(e)
            uid, action = None, None
            try:
                parsed = json.loads(raw_msg)
                if isinstance(parsed, list) and len(parsed) > 2 and parsed[0] == MessageType.Call:
                    uid = parsed[1] if isinstance(parsed[1], str) else None
                    action = parsed[2] if isinstance(parsed[2], str) else None
            except Exception:
                pass
            self.v(action, e.code, f"unparsable message {str(raw_msg)[:200]!r}: {error_text(e)}",
                   kind="callError" if uid else "framing", unique_id=uid)
            if uid is not None:
                await self._send(CallError(uid, e.code, e.description, e.details).to_json())
            return

        uid = msg.unique_id
        if not isinstance(uid, str) or not (0 < len(uid) <= 36):
            self.v(getattr(msg, "action", None), "InvalidUniqueId",
                   f"uniqueId must be a string of 1..36 characters, got {uid!r}", kind="framing")
            if not isinstance(uid, (str, int)):
                return

        if self.hostile is not None and msg.message_type_id != MessageType.Call and self.hostile.expecting(uid):
            if msg.message_type_id == MessageType.CallResult:
                self.hostile.record(uid, "result", msg.payload)
            else:
                self.hostile.record(uid, "error", msg.error_code)
            return

        if (msg.message_type_id == MessageType.Call and msg.action == "Heartbeat" and self.break_next_heartbeat):
            # --hostile: this answer breaks the schema (currentTime must be a date-time string).
            self.break_next_heartbeat = False
            self.central.actions[msg.action] += 1
            self.state.actions[msg.action] += 1
            self.central.hostile_bad_results += 1
            await self._send(json.dumps([3, uid, {"currentTime": 12345}]))
            return

        if msg.message_type_id == MessageType.Call and self.central.silent_now():
            # --silent-from/--silent-for: a backend that has stopped answering. The CALL is
            # counted and dropped; the charge point must time out, retry and stay sound.
            self.central.silenced[str(msg.action)] += 1
            return

        if msg.message_type_id == MessageType.Call and self.central.opts.answer_delay > 0:
            await asyncio.sleep(self.central.opts.answer_delay)

        if msg.message_type_id == MessageType.Call:
            if not isinstance(msg.action, str) or not isinstance(msg.payload, dict):
                err = FormationViolationError(details={"cause": "Action must be a string and payload an object"})
                self.v(msg.action if isinstance(msg.action, str) else None, err.code,
                       f"malformed CALL {str(raw_msg)[:200]!r}", kind="callError", unique_id=uid)
                await self._send(msg.create_call_error(err).to_json())
                return
            self.central.actions[msg.action] += 1
            self.state.actions[msg.action] += 1
            self._stage = "request"
            try:
                await self._handle_call(msg)
            except OCPPError as error:
                error = to_16(error)
                if self._stage == "request":
                    # Schema validation of the CP's request failed, or no handler
                    # (NotImplemented/NotSupported): the CP's fault.
                    self.v(msg.action, error.code, error_text(error), kind="callError", unique_id=uid)
                else:
                    # Our own CALLRESULT failed validation: our fault.
                    self.central.csms_error(self.id, msg.action, f"invalid response: {error_text(error)}")
                await self._send(msg.create_call_error(error).to_json())
            except ConnectionClosed:
                raise
            except Exception as error:
                self.central.csms_error(self.id, msg.action, f"_handle_call raised {error!r}")
                await self._send(msg.create_call_error(InternalError()).to_json())
            finally:
                self._stage = "idle"

        else:  # CallResult or CallError
            if msg.message_type_id == MessageType.CallError:
                code = msg.error_code
                if code not in ERROR_CODES_16:
                    self.v(self._pending_action if uid == self._pending_uid else None, "InvalidErrorCode",
                           f"CALLERROR with an error code that OCPP 1.6 does not define: {code!r}",
                           kind="protocol", unique_id=uid)
            if uid == self._pending_uid:
                if msg.message_type_id == MessageType.CallError:
                    self._call_errors[uid] = msg
                    self.central.call_error(self.id, self._pending_action, msg)
                self._response_queue.put_nowait(msg)
            elif uid in self._timed_out:
                self.central.late_responses += 1
                if msg.message_type_id == MessageType.CallError:
                    self.central.call_error(self.id, self._timed_out[uid], msg)
            else:
                kind = "CALLRESULT" if msg.message_type_id == MessageType.CallResult else "CALLERROR"
                self.v(None, "UnexpectedResponse",
                       f"{kind} with uniqueId {uid!r} that matches no outstanding CALL", unique_id=uid)

    async def ocpp_call(self, payload):
        """call() with validation of request and response; CALLERRORs raise CPCallError.

        Only the (sequential) exercise task calls this, so there is at most one
        outstanding CALL per connection, as OCPP-J requires.
        """
        action = payload.__class__.__name__
        uid = str(self._unique_id_generator())
        self.central.exercised[action] += 1
        self._pending_uid, self._pending_action = uid, action
        try:
            return await super().call(payload, suppress=False, unique_id=uid)
        except asyncio.TimeoutError:
            self._timed_out[uid] = action
            raise
        except (OCPPError, UnknownCallErrorCodeError) as e:
            err = self._call_errors.pop(uid, None)
            if err is not None:
                raise CPCallError(err) from None
            # The CP's CALLRESULT failed schema validation.
            if isinstance(e, OCPPError):
                e = to_16(e)
                self.v(action, e.code, f"invalid CALLRESULT: {error_text(e)}", kind="schema", unique_id=uid)
                raise InvalidResponse(f"{e.code}: {error_text(e)}") from None
            raise InvalidResponse(str(e)) from None
        finally:
            self._call_errors.pop(uid, None)
            self._pending_uid, self._pending_action = None, None

    async def _hold(self, action):
        """Before an outage: keep the answer until the outage has dropped this connection."""
        c = self.central
        if c.holding(action):
            c.held_answers[str(action)] += 1
            began = c.outage_began
            await began.wait()

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
            try:
                value = float(sv.get("value"))
            except (TypeError, ValueError):
                self.v(action, "InvalidMeterValue",
                       f"Energy.Active.Import.Register value {sv.get('value')!r} is not a number")
                continue
            if not math.isfinite(value):
                self.v(action, "InvalidMeterValue", f"Energy.Active.Import.Register value {sv.get('value')!r}")
                continue
            if unit == "kWh":
                value *= 1000.0
            elif unit != "Wh":
                self.v(action, "InvalidMeterValue", f"Energy.Active.Import.Register with unit {unit!r}")
                continue
            key = (sv.get("phase"), sv.get("location", "Outlet"))
            # Monotone in time, not in arrival order: a StopTransaction's Transaction.Begin
            # sample is older (and lower) than the MeterValues sent during the transaction.
            when = parse_timestamp(mv.get("timestamp"))
            readings = tx.registers.setdefault(key, [])
            for (t, v) in readings:
                if when is None or t is None:
                    continue
                if (t < when and v > value + 1e-6) or (t > when and v + 1e-6 < value):
                    self.v(action, "MeterDecreasing",
                           f"transaction {tx.id}: Energy.Active.Import.Register {v:g} Wh at {t.isoformat()} "
                           f"vs {value:g} Wh at {when.isoformat()}")
                    break
            readings.append((when, value))
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

    async def _step(self, payload):
        """One exercise call. Returns the CALLRESULT payload object or None."""
        await asyncio.sleep(random.uniform(0.05, 0.3))
        action = payload.__class__.__name__
        try:
            return await self.ocpp_call(payload)
        except CPCallError as e:
            self.central.mismatch(self.id, action, "CALLRESULT", f"CALLERROR {e.err.error_code}")
        except InvalidResponse as e:
            self.central.mismatch(self.id, action, "schema-valid CALLRESULT", e)
        except asyncio.TimeoutError:
            self.central.mismatch(self.id, action, "CALLRESULT", f"no answer within {self._response_timeout}s")
        return None

    def _expect(self, action, expected, got):
        """expected: a value (equality) or a set of acceptable values."""
        ok = got in expected if isinstance(expected, set) else got == expected
        if not ok:
            exp = "|".join(sorted(expected)) if isinstance(expected, set) else expected
            self.central.mismatch(self.id, action, exp, got)
        return ok

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


def charge_point_id(path: str) -> str:
    path = path.split("?", 1)[0].split("#", 1)[0]
    return unquote(path.rsplit("/", 1)[-1])


async def run(opts) -> int:
    central = Central(opts)
    stop = asyncio.Event()
    live: dict = {}  # open WebSocket -> charge point id
    background: set = set()  # tasks kept referenced until done

    def select_subprotocol(connection, subprotocols):
        if SUBPROTOCOL in subprotocols:
            return SUBPROTOCOL
        LOG.info("rejecting handshake on %s: subprotocols %s", connection.request.path, list(subprotocols))
        raise NegotiationError(f"subprotocol {SUBPROTOCOL} required")

    def process_request(connection, request):
        if not charge_point_id(request.path):
            return connection.respond(HTTPStatus.NOT_FOUND, "charge point id missing from path\n")
        outage = central.outage
        if outage is not None:
            outage.refused_handshakes += 1
            return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "CSMS outage\n")
        return None

    def process_response(connection, request, response):
        if response.status_code != 101:
            central.rejected_handshakes += 1
        return None

    def drop(ws, cp_id, outage: Outage, on_arrival=False):
        """Ends one connection as an outage does: mostly a transport abort, sometimes a close frame."""
        central.dropped_by_outage += 1
        central.cp(cp_id).dropped_by_outage += 1
        outage.dropped_cps.add(cp_id)
        if on_arrival:
            outage.aborted_on_arrival += 1
            ws.transport.abort()
        elif random.random() < opts.outage_close_share:
            outage.closed_with_frame += 1
            task = asyncio.ensure_future(ws.close(1012, "CSMS outage"))
            background.add(task)
            task.add_done_callback(background.discard)
        else:
            outage.aborted += 1
            ws.transport.abort()

    async def on_connect(ws):
        cp_id = charge_point_id(ws.request.path)
        central.connections += 1
        central.active += 1
        st = central.cp(cp_id)
        st.connections += 1
        st.connected_at.append(time.time())
        central.live[cp_id] += 1
        if central.live[cp_id] > 1:
            central.duplicate_connections += 1
            LOG.info("second concurrent connection for %s", cp_id)
        LOG.debug("connected %s from %s", cp_id, ws.remote_address)
        cp = PeerChargePoint(cp_id, ws, central, serial=central.connections)
        live[ws] = cp_id
        try:
            outage = central.outage
            if outage is not None:
                # The handshake passed before the outage began: this connection goes too.
                drop(ws, cp_id, outage, on_arrival=True)
            await cp.start()
        except ConnectionClosed:
            pass
        except Exception as e:
            central.csms_error(cp_id, None, f"connection loop raised {e!r}")
        finally:
            live.pop(ws, None)
            central.active -= 1
            central.live[cp_id] -= 1
            if central.live[cp_id] <= 0:
                del central.live[cp_id]
            if cp.exercise_task is not None and not cp.exercise_task.done():
                cp.exercise_task.cancel()
            LOG.debug("disconnected %s (%s)", cp_id, ws.close_code)

    def write_summary(reason):
        if not opts.summary:
            return
        try:
            atomic_write(opts.summary, json.dumps(central.summary(), indent=2, default=str) + "\n")
            LOG.info("summary written to %s (%s)", opts.summary, reason)
        except Exception as e:
            LOG.error("could not write summary to %s: %r", opts.summary, e)

    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_signal_handler(signal.SIGUSR1, lambda: write_summary("SIGUSR1"))

    ping = opts.ws_ping_interval if opts.ws_ping_interval > 0 else None

    async def listen(port):
        return await serve(
            on_connect,
            opts.host,
            port,
            subprotocols=[SUBPROTOCOL],
            select_subprotocol=select_subprotocol,
            process_request=process_request,
            process_response=process_response,
            ping_interval=ping,
            ping_timeout=ping,
            close_timeout=2,
            max_queue=64,
            backlog=4096,
            logger=logging.getLogger("csms.websockets"),
        )

    servers = [await listen(opts.port)]
    port = servers[0].sockets[0].getsockname()[1]
    if opts.port_file:
        atomic_write(opts.port_file, f"{port}\n")
    sys.stdout.write(f"listening on {opts.host}:{port}\n")
    sys.stdout.flush()
    LOG.info("OCPP 1.6J peer CSMS (ocpp %s, websockets %s) on ws://%s:%d/<any>/<chargePointId>",
             _version("ocpp"), websockets.__version__, opts.host, port)

    async def outages():
        began = loop.time()
        index = 0
        while opts.outage_count is None or index < opts.outage_count:
            index += 1
            central.next_outage_at = began + opts.outage_every * index
            delay = central.next_outage_at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if opts.outage_refuse == "alternate":
                refusal = "503" if index % 2 == 1 else "close"
            else:
                refusal = opts.outage_refuse
            outage = Outage(index, refusal)
            central.outages.append(outage)
            if refusal == "close":
                # Stop listening: connects are refused by the kernel; a handshake under way
                # gets a 503 from websockets (the server is no longer serving).
                servers[-1].server.close()
            for ws, cp_id in list(live.items()):
                if ws.state is State.OPEN:
                    drop(ws, cp_id, outage)
            # Answers held for this outage are released now, onto connections already gone.
            central.outage_began.set()
            central.outage_began = asyncio.Event()
            if opts.outage_count is not None and index >= opts.outage_count:
                central.next_outage_at = None
            else:
                central.next_outage_at = began + opts.outage_every * (index + 1)
            LOG.warning("outage %d: %d connection(s) dropped, refusing (%s) for %gs",
                        index, len(outage.dropped_cps), refusal, opts.outage_length)
            await asyncio.sleep(opts.outage_length)
            if refusal == "close":
                while True:
                    try:
                        servers.append(await listen(port))
                        break
                    except OSError as e:  # the port is not free again yet
                        central.csms_error(None, None, f"reopening port {port} failed: {e!r}")
                        await asyncio.sleep(0.1)
            outage.end = time.time()
            outage.end_iso = now_iso()
            LOG.warning("outage %d over: accepting again", index)

    outage_task = None
    if opts.outage_every is not None:
        outage_task = asyncio.ensure_future(outages())

    await stop.wait()
    if outage_task is not None:
        outage_task.cancel()
    write_summary("shutdown")
    for server in servers:
        server.close()
    try:
        await asyncio.wait_for(asyncio.gather(*(server.wait_closed() for server in servers)), 3)
    except (asyncio.TimeoutError, Exception):
        pass
    return 0


def _version(dist):
    try:
        from importlib.metadata import version

        return version(dist)
    except Exception:
        return "?"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="Schema-validating OCPP 1.6J peer CSMS (python ocpp library).")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--port-file", help="write the bound port number here (atomically)")
    p.add_argument("--summary", help="write the JSON summary here on SIGTERM/SIGINT/SIGUSR1")
    p.add_argument("--heartbeat-interval", type=int, default=60)
    p.add_argument("--boot-retry-interval", type=int, default=None,
                   help="interval sent with Pending/Rejected boots (default: --heartbeat-interval)")
    p.add_argument("--boot-status", choices=["Accepted", "Pending", "Rejected"], default="Accepted")
    p.add_argument("--exercise", action="store_true", help="send CSMS-initiated Core calls after boot")
    p.add_argument("--exercise-profiles", action="store_true",
                   help="after the Core exercise, send every CS->CP operation of the other feature profiles "
                        "and the security extension (needs --exercise; see profiles.py)")
    p.add_argument("--silent-from", type=float, metavar="SECONDS", default=None,
                   help="from SECONDS after start, answer no CALL (connections stay open) ...")
    p.add_argument("--silent-for", type=float, metavar="SECONDS", default=None,
                   help="... for this long (required with --silent-from)")
    p.add_argument("--answer-delay", type=float, metavar="SECONDS", default=0.0,
                   help="delay every answer by SECONDS (a slow backend)")
    p.add_argument("--hostile", action="store_true",
                   help="after boot, send malformed and hostile frames and check the answers (see hostile.py); "
                        "excludes --exercise")
    p.add_argument("--hostile-oversized", action="store_true",
                   help="with --hostile, end with a 2 MiB frame that the charge point must refuse by closing")
    p.add_argument("--exercise-max", type=int, default=20, help="charge points to exercise (at most)")
    p.add_argument("--exercise-timeout", type=float, default=30.0,
                   help="seconds to wait for the StartTransaction/StopTransaction a remote start/stop causes")
    p.add_argument("--call-timeout", type=float, default=30.0, help="seconds to wait for an answer to our CALL")
    p.add_argument("--ws-ping-interval", type=float, default=20.0, help="WebSocket ping interval; 0 disables")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    outage = p.add_argument_group("outages", "drop every connection periodically and refuse new ones for a while")
    outage.add_argument("--outage-every", type=float, metavar="SECONDS",
                        help="begin an outage every SECONDS after start (enables outage mode)")
    outage.add_argument("--outage-length", type=float, metavar="SECONDS", default=None,
                        help="how long each outage refuses connections (required with --outage-every)")
    outage.add_argument("--outage-count", type=int, metavar="N", default=None,
                        help="stop after N outages (default: no limit)")
    outage.add_argument("--outage-close-share", type=float, default=0.25, metavar="FRACTION",
                        help="share of dropped connections closed with a close frame (1012) instead of "
                             "a transport abort (default: 0.25)")
    outage.add_argument("--outage-hold", type=float, default=2.0, metavar="SECONDS",
                        help="for this long before each outage, StartTransaction and StopTransaction are "
                             "recorded but not answered: the outage drops them unanswered and the charge "
                             "point must replay them (default: 2; 0 disables)")
    outage.add_argument("--outage-hold-meter-values", type=float, default=0.5, metavar="SECONDS",
                        help="the same for MeterValues of a transaction (default: 0.5; 0 disables)")
    outage.add_argument("--outage-refuse", choices=["alternate", "503", "close"], default="alternate",
                        help="how connections are refused: HTTP 503 on the handshake, the listening socket "
                             "closed, or one and the other by turns (default)")
    opts = p.parse_args(argv)
    if (opts.silent_from is None) != (opts.silent_for is None):
        p.error("--silent-from and --silent-for go together")
    if opts.silent_for is not None and opts.silent_for <= 0:
        p.error("--silent-for must be positive")
    if opts.answer_delay < 0:
        p.error("--answer-delay must not be negative")
    if opts.hostile and opts.exercise:
        p.error("--hostile and --exercise exclude each other")
    if opts.hostile_oversized and not opts.hostile:
        p.error("--hostile-oversized needs --hostile")
    if opts.exercise_profiles and not opts.exercise:
        p.error("--exercise-profiles needs --exercise")
    if opts.outage_every is not None:
        if opts.outage_every <= 0:
            p.error("--outage-every must be positive")
        if opts.outage_length is None or not (0 < opts.outage_length < opts.outage_every):
            p.error("--outage-length is required with --outage-every, positive and shorter than it")
        if opts.outage_count is not None and opts.outage_count < 1:
            p.error("--outage-count must be at least 1")
        if not (0 <= opts.outage_close_share <= 1):
            p.error("--outage-close-share must lie in [0, 1]")
        for name in ("outage_hold", "outage_hold_meter_values"):
            if not (0 <= getattr(opts, name) <= opts.outage_every - opts.outage_length):
                p.error(f"--{name.replace('_', '-')} must lie between 0 and the time between outages")
    elif opts.outage_length is not None or opts.outage_count is not None:
        p.error("--outage-length and --outage-count need --outage-every")
    if opts.boot_retry_interval is None:
        opts.boot_retry_interval = opts.heartbeat_interval
    return opts


def main(argv=None) -> int:
    # A parent that spawned us from a thread with signals blocked (Swift's Foundation.Process
    # from a test or a service group does) hands that mask down: SIGTERM would never arrive.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT, signal.SIGUSR1})
    opts = parse_args(argv)
    level = getattr(logging, opts.log_level.upper())
    logging.basicConfig(stream=sys.stderr, level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    OCPP_LOG.setLevel(logging.DEBUG if level <= logging.DEBUG else logging.CRITICAL)
    logging.getLogger("csms.websockets").setLevel(logging.DEBUG if level <= logging.DEBUG else logging.WARNING)
    try:
        return asyncio.run(run(opts))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
