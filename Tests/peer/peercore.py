"""What the peer CSMSs share, whatever OCPP version they speak: csms.py (OCPP 1.6J) and
csms201.py (OCPP 2.0.1) each add their own messages and checks on top of this.

- time and file helpers (RFC 3339 timestamps, atomic summary writes);
- `PeerCentral`: the record of a run (connections, violations, exercise mismatches, CALLERRORs
  from charge points, the peer's own faults, outages) and the summary keys that mean the same
  in both versions;
- `RecordingChargePoint`: the library's message routing with recording hooks, one outstanding
  CALL per connection, and the exercise helpers (`_step`, `_expect`).

The WebSocket server, the outages and the command line are in peerserver.py.

Validation stays ON in both directions: no handler or call uses skip_schema_validation.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import random
import re
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from urllib.parse import unquote

import ocpp.messages
from ocpp.exceptions import FormatViolationError, InternalError, OCPPError, UnknownCallErrorCodeError
from ocpp.messages import CallError, MessageType, unpack
from ocpp.routing import on
from websockets.exceptions import ConnectionClosed

# This flag only makes the library validate inline instead of hopping to a thread pool for
# every message, which is faster on a small machine; it does not disable anything.
ocpp.messages.ASYNC_VALIDATION = False

LOG = logging.getLogger("csms")
# The library logs every message at INFO and every CALLERROR with a traceback; we record those
# ourselves, so it only speaks at --log-level debug.
OCPP_LOG = logging.getLogger("csms.ocpp")

MAX_LIST = 1000
MAX_LOGGED_VIOLATIONS = 50

RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)


# --------------------------------------------------------------------------- helpers


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


def error_text(error: OCPPError) -> str:
    cause = error.details.get("cause") if isinstance(error.details, dict) else None
    if isinstance(cause, str):
        cause = cause.split("\n\n", 1)[0]  # drop jsonschema's dump of the schema
    text = f"{error.description}" + (f": {cause}" if cause else "")
    return text[:500]


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


def charge_point_id(path: str) -> str:
    path = path.split("?", 1)[0].split("#", 1)[0]
    return unquote(path.rsplit("/", 1)[-1])


def version_of(dist):
    try:
        from importlib.metadata import version

        return version(dist)
    except Exception:
        return "?"


def register_problem(readings: list, when, value_wh: float):
    """Checks one energy register reading against the earlier ones of the same register and
    records it. A register never decreases in time (not in arrival order: an end-of-transaction
    sample may be older than the periodic ones sent before it). Returns a description of the
    first contradiction, or None."""
    problem = None
    for (t, v) in readings:
        if when is None or t is None:
            continue
        if (t < when and v > value_wh + 1e-6) or (t > when and v + 1e-6 < value_wh):
            problem = f"{v:g} Wh at {t.isoformat()} vs {value_wh:g} Wh at {when.isoformat()}"
            break
    readings.append((when, value_wh))
    return problem


def finite_number(text):
    """A sampled value's text as a finite float, or None."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


class CPCallError(Exception):
    def __init__(self, err: CallError):
        super().__init__(f"{err.error_code}: {err.error_description}")
        self.err = err


class InvalidResponse(Exception):
    pass


# --------------------------------------------------------------------------- outages


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


# --------------------------------------------------------------------------- the record


class PeerCPState:
    """Everything known about one charge point id; survives reconnects. Each version adds
    its own fields in a subclass."""

    def __init__(self, cp_id):
        self.id = cp_id
        self.connections = 0
        self.boots = 0
        self.accepted = False
        self.actions: Counter = Counter()
        self.violations = 0
        self.exercise_started = False
        self.connected_at: list = []  # wall-clock time of every accepted handshake
        self.open_connections: dict = {}  # connection serial -> when it opened
        self.intervals: list = []  # (opened, closed) of every connection that ended
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
            "exercised": self.exercise_started,
        }


class PeerCentral:
    """The record of one run of a peer CSMS: what every charge point did, and every breach.

    `state_class` makes the per-charge-point record; `version_summary` adds the keys whose
    meaning depends on the OCPP version."""

    state_class = PeerCPState

    def __init__(self, opts):
        self.opts = opts
        self.started = time.time()
        self.started_iso = now_iso()
        self.connections = 0
        self.active = 0
        self.rejected_handshakes = 0
        self.authentication_failures = 0
        self.duplicate_connections = 0
        self.cps: dict = {}
        self.live: Counter = Counter()
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
        self.late_responses = 0
        self.outages: list[Outage] = []
        self.dropped_by_outage = 0
        # Loop time the next outage begins (None: no more outages), and the event it sets.
        self.next_outage_at: float | None = None
        self.outage_began = asyncio.Event()
        self.held_answers: Counter = Counter()  # action -> answers withheld until an outage
        self.silenced: Counter = Counter()  # CALLs left unanswered in the silent window, by action

    def silent_now(self) -> bool:
        start = self.opts.silent_from
        if start is None:
            return False
        elapsed = time.time() - self.started
        return start <= elapsed < start + self.opts.silent_for

    def holding_for(self, hold: float) -> bool:
        """Whether an answer is withheld now: the last `hold` seconds before an outage. The
        message is recorded, its answer never sent, so the charge point must replay it after
        the reconnect."""
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

    def cp(self, cp_id):
        st = self.cps.get(cp_id)
        if st is None:
            st = self.cps[cp_id] = self.state_class(cp_id)
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

    def mismatch(self, cp, action, expected, got, step=None):
        """An exercise answer or follow-up that differs from what the protocol requires."""
        self.mismatch_count += 1
        if len(self.mismatches) < MAX_LIST:
            entry = {"cp": cp, "action": action, "expected": expected, "got": str(got)[:500], "at": now_iso()}
            if step is not None:
                entry["step"] = step
            self.mismatches.append(entry)
        LOG.info("exercise mismatch cp=%s step=%s action=%s expected=%s got=%s", cp, step, action, expected, got)

    def csms_error(self, cp, action, detail):
        """A fault of this peer itself (should never happen; makes tests loud)."""
        if len(self.csms_errors) < MAX_LIST:
            self.csms_errors.append({"cp": cp, "action": action, "detail": str(detail)[:500], "at": now_iso()})
        LOG.error("internal error cp=%s action=%s: %s", cp, action, detail)

    # ---- summary

    def version_summary(self) -> dict:
        return {}

    def summary(self):
        booted = [c for c in self.cps.values() if c.boots > 0]
        common = {
            "connections": self.connections,
            "activeConnections": self.active,
            "rejectedHandshakes": self.rejected_handshakes,
            "authenticationFailures": self.authentication_failures,
            "duplicateConnections": self.duplicate_connections,
            "chargePoints": len(booted),
            "bootAccepted": sum(1 for c in booted if c.accepted),
            "actions": dict(sorted(self.actions.items())),
            "violations": self.violations,
            "violationCount": self.violation_count,
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
            "silenced": dict(sorted(self.silenced.items())),
            "lateResponses": self.late_responses,
            "csmsErrors": self.csms_errors,
            "perChargePoint": {k: v.to_json(self.outages) for k, v in sorted(self.cps.items())},
        }
        common.update(self.version_summary())
        common["startedAt"] = self.started_iso
        common["writtenAt"] = now_iso()
        common["uptimeSeconds"] = round(time.time() - self.started, 3)
        return common


# --------------------------------------------------------------------------- the charge point side


def outage_options(opts) -> dict:
    """The outage options as the summary's `options` lists them (both peers)."""
    return {
        "outageEvery": opts.outage_every,
        "outageLength": opts.outage_length,
        "outageCount": opts.outage_count,
        "outageCloseShare": opts.outage_close_share,
        "outageRefuse": opts.outage_refuse,
        "outageHold": opts.outage_hold,
        "outageHoldMeterValues": opts.outage_hold_meter_values,
    }


def handler(action):
    """@on(action) plus bookkeeping common to every CP-initiated request: a request before the
    first Accepted BootNotification is a violation, and a handler that raises is our fault."""

    def wrap(func):
        async def inner(self, *args, **kwargs):
            self._stage = "handler"  # the request passed schema validation
            if action != "BootNotification" and not self.state.accepted:
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


class RecordingChargePoint:
    """Mixin over the library's ChargePoint (v16 or v201): routes every frame with recording
    hooks, keeps one outstanding CALL, and offers the exercise helpers.

    A subclass sets `ERROR_CODES` (the CALLERROR codes its version defines) and may override
    `normalize_error` (e.g. 1.6 spellings) and `intercept` (frames it handles itself)."""

    ERROR_CODES: frozenset = frozenset()

    def __init__(self, cp_id, connection, central: PeerCentral, serial: int = 0):
        super().__init__(cp_id, connection, response_timeout=central.opts.call_timeout, logger=OCPP_LOG)
        self.central = central
        self.state = central.cp(cp_id)
        self.serial = serial  # which connection of the process this is (1, 2, ...)
        self._stage = "idle"
        self._pending_uid = None
        self._pending_action = None
        self._timed_out: dict = {}
        self._call_errors: dict = {}  # uniqueId -> CallError answering our CALL
        # uniqueIds of our CALLs that a correct charge point answers with a CALLERROR (probes of
        # unsupported operations): not counted as CALLERRORs from charge points.
        self.expected_errors: set = set()
        self.exercise_task: asyncio.Task | None = None

    def v(self, action, code, detail, kind="protocol", unique_id=None):
        self.central.violation(self.id, action, code, detail, kind=kind, unique_id=unique_id)

    def normalize_error(self, error: OCPPError) -> OCPPError:
        return error

    async def intercept(self, msg, uid) -> bool:
        """Handles a parsed frame before the usual routing; True when it was consumed."""
        return False

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

        The library catches the OCPPError raised by _handle_call (schema validation failure,
        unknown/unsupported action) here and turns it into a CALLERROR; unparsable frames it
        only logs. Both are violations.
        """
        try:
            msg = unpack(raw_msg)
        except OCPPError as e:
            e = self.normalize_error(e)
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

        if await self.intercept(msg, uid):
            return

        if msg.message_type_id == MessageType.Call and self.central.silent_now():
            # --silent-from/--silent-for: a backend that has stopped answering. The CALL is
            # counted and dropped; the charge point must time out, retry and stay sound.
            self.central.silenced[str(msg.action)] += 1
            return

        if msg.message_type_id == MessageType.Call and self.central.opts.answer_delay > 0:
            await asyncio.sleep(self.central.opts.answer_delay)

        if msg.message_type_id == MessageType.Call:
            await self._route_call(msg, raw_msg, uid)
        else:
            self._route_answer(msg, uid)

    async def _route_call(self, msg, raw_msg, uid):
        if not isinstance(msg.action, str) or not isinstance(msg.payload, dict):
            err = self.normalize_error(FormatViolationError(
                details={"cause": "Action must be a string and payload an object"}))
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
            error = self.normalize_error(error)
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

    def _route_answer(self, msg, uid):
        if msg.message_type_id == MessageType.CallError:
            code = msg.error_code
            if code not in self.ERROR_CODES:
                self.v(self._pending_action if uid == self._pending_uid else None, "InvalidErrorCode",
                       f"CALLERROR with an error code that this OCPP version does not define: {code!r}",
                       kind="protocol", unique_id=uid)
        if uid == self._pending_uid:
            if msg.message_type_id == MessageType.CallError:
                self._call_errors[uid] = msg
                if uid not in self.expected_errors:
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

    async def ocpp_call(self, payload, expect_error=False):
        """call() with validation of request and response; CALLERRORs raise CPCallError.

        Only the (sequential) exercise task calls this, so there is at most one outstanding
        CALL per connection, as OCPP-J requires. `expect_error`: a correct charge point answers
        with a CALLERROR, which then does not count as one.
        """
        action = payload.__class__.__name__
        uid = str(self._unique_id_generator())
        if expect_error:
            self.expected_errors.add(uid)
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
                e = self.normalize_error(e)
                self.v(action, e.code, f"invalid CALLRESULT: {error_text(e)}", kind="schema", unique_id=uid)
                raise InvalidResponse(f"{e.code}: {error_text(e)}") from None
            raise InvalidResponse(str(e)) from None
        finally:
            self._call_errors.pop(uid, None)
            self.expected_errors.discard(uid)
            self._pending_uid, self._pending_action = None, None

    async def hold_answer(self, action, hold_seconds):
        """Before an outage: keep the answer until the outage has dropped this connection."""
        c = self.central
        if c.holding_for(hold_seconds):
            c.held_answers[str(action)] += 1
            began = c.outage_began
            await began.wait()

    # ---- exercise helpers

    async def _step(self, payload, step=None):
        """One exercise call. Returns the CALLRESULT payload object or None (a mismatch)."""
        await asyncio.sleep(random.uniform(0.05, 0.3) * self.central.opts.exercise_pace)
        action = payload.__class__.__name__
        try:
            return await self.ocpp_call(payload)
        except CPCallError as e:
            self.central.mismatch(self.id, action, "CALLRESULT", f"CALLERROR {e.err.error_code}", step=step)
        except InvalidResponse as e:
            self.central.mismatch(self.id, action, "schema-valid CALLRESULT", e, step=step)
        except asyncio.TimeoutError:
            self.central.mismatch(self.id, action, "CALLRESULT", f"no answer within {self._response_timeout}s",
                                  step=step)
        return None

    def _expect(self, action, expected, got, step=None):
        """expected: a value (equality) or a set of acceptable values."""
        ok = got in expected if isinstance(expected, (set, frozenset)) else got == expected
        if not ok:
            exp = "|".join(sorted(map(str, expected))) if isinstance(expected, (set, frozenset)) else expected
            self.central.mismatch(self.id, action, exp, got, step=step)
        return ok
