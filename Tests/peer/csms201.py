#!/usr/bin/env python3
"""Independent, schema-validating OCPP 2.0.1 CSMS used as a test peer.

Built on the PyPI ``ocpp`` package's v201 module (which validates every payload, in both
directions, against the official OCPP 2.0.1 JSON schemas) and ``websockets``. It shares no
code with ocpp-fleet. What it shares with the 1.6 peer lives in peercore.py (the record of a
run, message routing) and peerserver.py (server, outages, options); the protocol rules it
checks beyond the schemas in ledger201.py; the CSMS-initiated probes of --exercise in
exercise201.py.

    python csms201.py [--host 127.0.0.1] [--port 0] [--port-file PATH] [--summary PATH]
                      [--heartbeat-interval 60] [--boot-status Accepted|Pending|Rejected]
                      [--basic-auth-password PASSWORD] [--token-status PREFIX=STATUS ...]
                      [--exercise [--exercise-max 20] [--exercise-skip STEP,...]
                       [--exercise-timeout 30] [--exercise-pace 1]]
                      [--offline-tolerance 5] [--log-level info]
                      [--silent-from SECONDS --silent-for SECONDS] [--answer-delay SECONDS]
                      [--outage-every SECONDS --outage-length SECONDS [--outage-count N] ...]

Subprotocol ``ocpp2.0.1`` only (a handshake offering no such subprotocol is refused with
HTTP 400); the charge point id is the last path segment. When ready it prints exactly one line,
``listening on HOST:PORT``, to stdout. SIGTERM/SIGINT write the summary (if --summary) and exit
0; SIGUSR1 writes it and keeps running. All logging goes to stderr.

Every CP->CSMS message of OCPP 2.0.1 is answered (those of blocks the fleet leaves out with a
minimal valid answer); what breaks a rule is a violation in the summary, with a sample. The
outage options are the 1.6 peer's: before each outage TransactionEvent answers are withheld
(Started/Ended for --outage-hold seconds, Updated for --outage-hold-meter-values) so the
outage catches them in flight and the charge point must send them again.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
from collections import Counter

from ocpp.exceptions import NotImplementedError as OCPPNotImplemented
from ocpp.exceptions import NotSupportedError
from ocpp.messages import MessageType
from ocpp.routing import after
from ocpp.v201 import ChargePoint as V201ChargePoint
from ocpp.v201 import call_result
from ocpp.v201.enums import Action

from exercise201 import STEP_NAMES, Exercise
from ledger201 import PartSeries, TransactionLedger, epoch
from peercore import (
    LOG,
    MAX_LIST,
    outage_options,
    PeerCentral,
    PeerCPState,
    RecordingChargePoint,
    handler,
    now_iso,
    valid_timestamp,
)
from peerserver import add_common_arguments, check_common_arguments, run_main, serve

SUBPROTOCOL = "ocpp2.0.1"
OWN_VENDOR = "ocpp-fleet"

# CALLERROR codes of OCPP-J 2.0.1 (part 4, RPC framework: error codes).
ERROR_CODES_201 = frozenset({
    "FormatViolation",
    "GenericError",
    "InternalError",
    "MessageTypeNotSupported",
    "NotImplemented",
    "NotSupported",
    "OccurrenceConstraintViolation",
    "PropertyConstraintViolation",
    "ProtocolError",
    "RpcFrameworkError",
    "SecurityError",
    "TypeConstraintViolation",
})
KNOWN_ACTIONS = frozenset(a.value for a in Action)

# Authorize answers: an idToken (case insensitive) that starts with PREFIX gets STATUS.
DEFAULT_TOKEN_STATUS = ("BLOCKED=Blocked", "INVALID=Invalid", "EXPIRED=Expired", "UNKNOWN=Unknown",
                        "NOCREDIT=NoCredit")
TOKEN_STATUSES = {"Accepted", "Blocked", "ConcurrentTx", "Expired", "Invalid", "NoCredit",
                  "NotAllowedTypeEVSE", "NotAtThisLocation", "NotAtThisTime", "Unknown"}
HEX = re.compile(r"^[0-9A-Fa-f]+$")
# IdTokenEnumType: ISO14443 is the 4 or 7 byte UID in hex, ISO15693 the 8 byte UID in hex.
UID_HEX_LENGTHS = {"ISO14443": (8, 14), "ISO15693": (16,)}


def id_token_problem(token) -> str | None:
    kind, value = token.get("type"), str(token.get("id_token", ""))
    lengths = UID_HEX_LENGTHS.get(kind)
    if lengths and not (HEX.match(value) and len(value) in lengths):
        return f"{kind} idToken {value!r} is not a {' or '.join(str(n // 2) for n in lengths)} byte UID in hex"
    return None


# --------------------------------------------------------------------------- state


class CPState201(PeerCPState):
    """Everything known about one 2.0.1 charge point id; survives reconnects."""

    def __init__(self, cp_id):
        super().__init__(cp_id)
        self.status: dict = {}  # (evseId, connectorId) -> last connectorStatus
        self.boot_reasons: list = []
        self.last_unaccepted_boot = None  # (connection serial, time, interval sent)
        # --exercise: the step reached (kept across reboots and reconnects), the CP->CS
        # messages seen since, in order, for the steps to wait on, and where the answer to our
        # last CALL fell among them.
        self.exercise_stage = 0
        self.exercise_done = False
        self.exercise_task = None
        self.exercise_serial = None  # the connection the exercise task runs on
        self.notices: list = []
        self.answer_mark = 0
        self.notify_event: PartSeries | None = None
        self.variables: dict = {}  # what the exercise learnt (TxStartPoint, ...)

    def evse_free(self, ledger, evse_id=1, connector_id=1):
        """No transaction on the EVSE and its connector last reported Available."""
        busy = any(t.evse == evse_id for t in ledger.open_for(self.id))
        return not busy and self.status.get((evse_id, connector_id)) == "Available"

    def to_json(self, outages=()):
        out = super().to_json(outages)
        out.update({
            "connectorStatus": {f"{e}/{c}": s for (e, c), s in sorted(self.status.items())},
            "bootReasons": self.boot_reasons[-20:],
            "exerciseStage": self.exercise_stage,
            "exerciseDone": self.exercise_done,
        })
        return out


class Central201(PeerCentral):
    state_class = CPState201

    def __init__(self, opts):
        super().__init__(opts)
        self.ledger = TransactionLedger()
        self.reports: dict = {}  # (cp, kind, requestId) -> PartSeries
        self.notices: Counter = Counter()  # "Action:status" of CP->CS notifications
        self.authorizations: Counter = Counter()
        self.boot_reasons: Counter = Counter()
        self.exercise_notes: list = []
        self.token_rules = [(prefix.upper(), status) for prefix, status in
                            (rule.split("=", 1) for rule in opts.token_status)]

    def token_status(self, token) -> str:
        value = str((token or {}).get("id_token", "")).upper()
        for prefix, status in self.token_rules:
            if value.startswith(prefix):
                return status
        return "Accepted"

    def note(self, cp, step, text):
        """Something the exercise could not judge (allowed by the spec, but not checkable)."""
        if len(self.exercise_notes) < MAX_LIST:
            self.exercise_notes.append({"cp": cp, "step": step, "note": text, "at": now_iso()})
        LOG.info("exercise note cp=%s step=%s: %s", cp, step, text)

    def expect_report(self, cp, kind, request_id) -> PartSeries:
        """Registers a report this CSMS asks for, before asking: its parts may follow at once."""
        series = PartSeries(kind, request_id, requested_at=time.time(), numbered=kind != "ReportChargingProfiles")
        self.reports[(cp, kind, request_id)] = series
        return series

    def version_summary(self):
        reports = list(self.reports.values())
        return {
            "transactions": self.ledger.summary(self.held_answers),
            "reports": {
                "requested": len(reports),
                "complete": sum(1 for r in reports if r.complete),
                "incomplete": [dict(r.to_json(), cp=cp) for (cp, _, _), r in sorted(
                    self.reports.items(), key=lambda kv: str(kv[0])) if not r.complete][:MAX_LIST],
            },
            "notifications": dict(sorted(self.notices.items())),
            "authorizations": dict(sorted(self.authorizations.items())),
            "bootReasons": dict(sorted(self.boot_reasons.items())),
            "exerciseDone": sum(1 for c in self.cps.values() if c.exercise_done),
            "exerciseNotes": self.exercise_notes,
            "options": {
                "ocppVersion": "2.0.1",
                "bootStatus": self.opts.boot_status,
                "heartbeatInterval": self.opts.heartbeat_interval,
                "basicAuth": self.opts.basic_auth_password is not None,
                "exercise": self.opts.exercise,
                "exerciseMax": self.opts.exercise_max,
                "exerciseSkip": sorted(self.opts.exercise_skip),
                "offlineTolerance": self.opts.offline_tolerance,
                "tokenStatus": self.opts.token_status,
                **outage_options(self.opts),
            },
        }


# --------------------------------------------------------------------------- charge point


class PeerChargePoint201(RecordingChargePoint, V201ChargePoint):
    ERROR_CODES = ERROR_CODES_201

    def __init__(self, cp_id, connection, central: Central201, serial: int = 0):
        super().__init__(cp_id, connection, central, serial)
        self._boot_accepted_now = False

    async def start(self):
        # A reconnect without a reboot (an outage, a dropped link) resumes the exercise too.
        if self.state.accepted:
            self.maybe_exercise()
        await super().start()

    async def _handle_call(self, msg):
        """OCPP-J 2.0.1: NotImplemented for an action the receiver does not know, NotSupported
        for one it recognizes but does not support (the library answers the other way round)."""
        if msg.action not in self.route_map:
            if msg.action in KNOWN_ACTIONS:
                raise NotSupportedError(details={"cause": f"{msg.action} is not supported by this CSMS"})
            raise OCPPNotImplemented(details={"cause": f"{msg.action} is not an OCPP 2.0.1 action"})
        return await super()._handle_call(msg)

    def _route_answer(self, msg, uid):
        if uid == self._pending_uid:
            self.state.answer_mark = len(self.state.notices)
        super()._route_answer(msg, uid)

    async def raw_call(self, action, payload):
        """A CALL the library cannot build (an action OCPP 2.0.1 does not define); returns the
        answer (CallResult or CallError). A CALLERROR is what a correct charge point sends."""
        uid = str(self._unique_id_generator())
        self.central.exercised[action] += 1
        self.expected_errors.add(uid)
        self._pending_uid, self._pending_action = uid, action
        try:
            async with self._call_lock:
                await self._send(json.dumps([MessageType.Call, uid, action, payload], separators=(",", ":")))
                return await self._get_specific_response(uid, self._response_timeout)
        except asyncio.TimeoutError:
            self._timed_out[uid] = action
            raise
        finally:
            self.expected_errors.discard(uid)
            self._call_errors.pop(uid, None)
            self._pending_uid, self._pending_action = None, None

    def notice(self, action, payload, status_key=None):
        """Records a CP->CS message for the exercise to wait on, and counts it by status."""
        st = self.state
        if st.exercise_started and len(st.notices) < 8 * MAX_LIST:
            st.notices.append((action, payload))
        self.central.notices[f"{action}:{payload.get(status_key) if status_key else ''}"] += 1

    def check_timestamp(self, action, field, value):
        if not valid_timestamp(value):
            self.v(action, "InvalidTimestamp", f"{field} {value!r} is not an RFC 3339 date-time")

    def check_id_token(self, action, token):
        problem = id_token_problem(token or {})
        if problem:
            self.v(action, "InvalidIdToken", problem)

    def id_token_info(self, token):
        status = self.central.token_status(token)
        self.central.authorizations[status] += 1
        return {"status": status}

    # ---- B Provisioning

    @handler(Action.boot_notification)
    async def on_boot_notification(self, charging_station, reason, **kwargs):
        c, st = self.central, self.state
        st.boots += 1
        st.boot_reasons.append(reason)
        c.boot_reasons[reason] += 1
        now = time.time()
        last = st.last_unaccepted_boot
        # B02/B03: not before the interval of the Pending/Rejected answer (a little slack for timers)
        if last is not None and last[0] == self.serial and now - last[1] < last[2] - min(1.0, last[2] * 0.1):
            self.v(Action.boot_notification, "BootRetryTooSoon",
                   f"BootNotification {now - last[1]:.1f}s after a Pending/Rejected answer with interval {last[2]}s")
        mode = c.opts.boot_status
        if mode == "Accepted" or st.accepted:
            status = "Accepted"
        elif mode == "Pending":
            status = "Accepted" if st.boots >= 2 else "Pending"
        else:
            status = "Rejected"
        self._boot_accepted_now = status == "Accepted"
        if status == "Accepted":
            st.accepted = True
            st.last_unaccepted_boot = None
            interval = c.opts.heartbeat_interval
        else:
            interval = c.opts.boot_retry_interval
            st.last_unaccepted_boot = (self.serial, now, interval)
        self.notice("BootNotification", {"reason": reason, "status": status}, "reason")
        return call_result.BootNotification(current_time=now_iso(), interval=interval, status=status)

    @after(Action.boot_notification)
    def after_boot_notification(self, **kwargs):
        if self._boot_accepted_now:
            self._boot_accepted_now = False
            self.maybe_exercise()

    @handler(Action.heartbeat)
    async def on_heartbeat(self, **kwargs):
        self.notice("Heartbeat", {})
        return call_result.Heartbeat(current_time=now_iso())

    @handler(Action.notify_report)
    async def on_notify_report(self, request_id, generated_at, seq_no, **kwargs):
        self.check_timestamp(Action.notify_report, "generatedAt", generated_at)
        self.part(Action.notify_report, "NotifyReport", request_id, seq_no, kwargs.get("tbc", False), kwargs)
        return call_result.NotifyReport()

    def part(self, action, kind, request_id, seq_no, tbc, payload):
        """One part of a report this CSMS asked for (requestId known) and checks its order."""
        series = self.central.reports.get((self.id, kind, request_id))
        if series is None:
            self.v(action, "UnknownRequestId", f"{kind} for requestId {request_id}, which this CSMS never sent")
            series = self.central.expect_report(self.id, kind, request_id)
        _, problems = series.add(seq_no, tbc, payload)
        for code, detail in problems:
            self.v(action, code, detail)

    # ---- C Authorization

    @handler(Action.authorize)
    async def on_authorize(self, id_token, **kwargs):
        self.check_id_token(Action.authorize, id_token)
        info = self.id_token_info(id_token)
        self.notice("Authorize", {"id_token": id_token, "status": info["status"]}, "status")
        return call_result.Authorize(id_token_info=info)

    # ---- E Transactions, J Meter values

    @handler(Action.transaction_event)
    async def on_transaction_event(self, **event):
        c, st = self.central, self.state
        action = Action.transaction_event
        self.check_timestamp(action, "timestamp", event.get("timestamp"))
        if event.get("id_token") is not None:
            self.check_id_token(action, event["id_token"])
        for mv in event.get("meter_value") or []:
            self.check_timestamp(action, "meterValue.timestamp", mv.get("timestamp"))
        intervals = list(st.intervals) + [(t, None) for t in st.open_connections.values()]
        tx, duplicate, problems = c.ledger.record(self.id, self.serial, event, time.time(), intervals,
                                                  c.opts.offline_tolerance, c.started)
        for code, detail in problems:
            self.v(action, code, detail)
        if not duplicate:
            self.notice("TransactionEvent", event, "event_type")
        answer = {}
        if event.get("id_token") is not None:
            answer["id_token_info"] = self.id_token_info(event["id_token"])
        hold = c.opts.outage_hold if event.get("event_type") != "Updated" else c.opts.outage_hold_meter_values
        await self.hold_answer(f"TransactionEvent:{event.get('event_type')}", hold)
        return call_result.TransactionEvent(**answer)

    @handler(Action.meter_values)
    async def on_meter_values(self, evse_id, meter_value, **kwargs):
        for mv in meter_value:
            self.check_timestamp(Action.meter_values, "meterValue.timestamp", mv.get("timestamp"))
        if evse_id < 0:
            self.v(Action.meter_values, "InvalidEvse", f"MeterValues for evseId {evse_id}")
        self.notice("MeterValues", {"evse_id": evse_id, "meter_value": meter_value})
        return call_result.MeterValues()

    # ---- G Availability

    @handler(Action.status_notification)
    async def on_status_notification(self, timestamp, connector_status, evse_id, connector_id, **kwargs):
        action = Action.status_notification
        self.check_timestamp(action, "timestamp", timestamp)
        if evse_id <= 0 or connector_id <= 0:
            self.v(action, "InvalidConnector",
                   f"StatusNotification for evseId {evse_id} connectorId {connector_id} (both must be > 0)")
        self.state.status[(evse_id, connector_id)] = connector_status
        self.notice("StatusNotification", {"evse_id": evse_id, "connector_id": connector_id,
                                           "status": connector_status, "when": epoch(timestamp)}, "status")
        return call_result.StatusNotification()

    # ---- A Security

    @handler(Action.security_event_notification)
    async def on_security_event_notification(self, type, timestamp, **kwargs):
        self.check_timestamp(Action.security_event_notification, "timestamp", timestamp)
        self.notice("SecurityEventNotification", {"type": type, "tech_info": kwargs.get("tech_info")}, "type")
        return call_result.SecurityEventNotification()

    @handler(Action.sign_certificate)
    async def on_sign_certificate(self, csr, **kwargs):
        self.notice("SignCertificate", {"csr": csr, "certificate_type": kwargs.get("certificate_type")})
        return call_result.SignCertificate(status="Accepted")

    # ---- L Firmware, N Diagnostics

    def check_request_id(self, action, status, request_id):
        """requestId is mandatory unless the message was triggered while nothing is going on
        (status Idle)."""
        if request_id is None and status != "Idle":
            self.v(action, "MissingRequestId", f"{action} {status} without requestId")

    @handler(Action.firmware_status_notification)
    async def on_firmware_status_notification(self, status, **kwargs):
        self.check_request_id(Action.firmware_status_notification, status, kwargs.get("request_id"))
        self.notice("FirmwareStatusNotification", {"status": status, "request_id": kwargs.get("request_id")}, "status")
        return call_result.FirmwareStatusNotification()

    @handler(Action.log_status_notification)
    async def on_log_status_notification(self, status, **kwargs):
        self.check_request_id(Action.log_status_notification, status, kwargs.get("request_id"))
        self.notice("LogStatusNotification", {"status": status, "request_id": kwargs.get("request_id")}, "status")
        return call_result.LogStatusNotification()

    @handler(Action.notify_event)
    async def on_notify_event(self, generated_at, seq_no, event_data, **kwargs):
        """A NotifyEvent series has no requestId: a new one starts (at seqNo 0) after a part
        with tbc false."""
        self.check_timestamp(Action.notify_event, "generatedAt", generated_at)
        st = self.state
        if st.notify_event is None or st.notify_event.complete:
            st.notify_event = PartSeries("NotifyEvent", generated_at)
        _, problems = st.notify_event.add(seq_no, kwargs.get("tbc", False), event_data)
        for code, detail in problems:
            self.v(Action.notify_event, code, detail)
        for item in event_data:
            self.notice("NotifyEvent", item, "trigger")
        return call_result.NotifyEvent()

    @handler(Action.notify_customer_information)
    async def on_notify_customer_information(self, data, seq_no, generated_at, request_id, **kwargs):
        self.check_timestamp(Action.notify_customer_information, "generatedAt", generated_at)
        self.part(Action.notify_customer_information, "NotifyCustomerInformation", request_id, seq_no,
                  kwargs.get("tbc", False), {"data": data})
        return call_result.NotifyCustomerInformation()

    @handler(Action.notify_monitoring_report)
    async def on_notify_monitoring_report(self, request_id, seq_no, generated_at, **kwargs):
        self.part(Action.notify_monitoring_report, "NotifyMonitoringReport", request_id, seq_no,
                  kwargs.get("tbc", False), kwargs)
        return call_result.NotifyMonitoringReport()

    # ---- K Smart charging

    @handler(Action.report_charging_profiles)
    async def on_report_charging_profiles(self, request_id, charging_limit_source, charging_profile, evse_id,
                                          **kwargs):
        self.part(Action.report_charging_profiles, "ReportChargingProfiles", request_id, None,
                  kwargs.get("tbc", False), {"evse_id": evse_id, "charging_profile": charging_profile})
        return call_result.ReportChargingProfiles()

    @handler(Action.notify_charging_limit)
    async def on_notify_charging_limit(self, charging_limit, **kwargs):
        self.notice("NotifyChargingLimit", charging_limit)
        return call_result.NotifyChargingLimit()

    @handler(Action.cleared_charging_limit)
    async def on_cleared_charging_limit(self, charging_limit_source, **kwargs):
        self.notice("ClearedChargingLimit", {"source": charging_limit_source})
        return call_result.ClearedChargingLimit()

    # ---- H Reservation, P DataTransfer

    @handler(Action.reservation_status_update)
    async def on_reservation_status_update(self, reservation_id, reservation_update_status, **kwargs):
        self.notice("ReservationStatusUpdate", {"reservation_id": reservation_id,
                                                "status": reservation_update_status}, "status")
        return call_result.ReservationStatusUpdate()

    @handler(Action.data_transfer)
    async def on_data_transfer(self, vendor_id, **kwargs):
        return call_result.DataTransfer(status="Accepted" if vendor_id == OWN_VENDOR else "UnknownVendorId")

    # ---- blocks the fleet leaves out (I tariffs, M ISO 15118, O display): a minimal valid answer

    @handler(Action.notify_ev_charging_needs)
    async def on_notify_ev_charging_needs(self, charging_needs, evse_id, **kwargs):
        return call_result.NotifyEVChargingNeeds(status="Rejected")

    @handler(Action.notify_ev_charging_schedule)
    async def on_notify_ev_charging_schedule(self, time_base, charging_schedule, evse_id, **kwargs):
        return call_result.NotifyEVChargingSchedule(status="Rejected")

    @handler(Action.get_15118_ev_certificate)
    async def on_get_15118_ev_certificate(self, iso15118_schema_version, action, exi_request, **kwargs):
        return call_result.Get15118EVCertificate(status="Failed", exi_response="")

    @handler(Action.get_certificate_status)
    async def on_get_certificate_status(self, ocsp_request_data, **kwargs):
        return call_result.GetCertificateStatus(status="Failed")

    @handler(Action.notify_display_messages)
    async def on_notify_display_messages(self, request_id, **kwargs):
        return call_result.NotifyDisplayMessages()

    @handler(Action.publish_firmware_status_notification)
    async def on_publish_firmware_status_notification(self, status, **kwargs):
        return call_result.PublishFirmwareStatusNotification()

    # ---- CSMS-initiated exercise

    def maybe_exercise(self):
        """Starts the exercise after the first Accepted boot (bounded by --exercise-max), or
        resumes it on a later connection where a reboot or a dropped link cut it off."""
        c, st = self.central, self.state
        if not c.opts.exercise or st.exercise_done:
            return
        if st.exercise_task is not None and not st.exercise_task.done():
            if st.exercise_serial == self.serial:
                return
            st.exercise_task.cancel()  # left over from a connection that is going away
        if not st.exercise_started:
            if c.exercise_sequences >= c.opts.exercise_max:
                return
            st.exercise_started = True
            c.exercise_sequences += 1
        st.exercise_serial = self.serial
        st.exercise_task = self.exercise_task = Exercise(self).start()


# --------------------------------------------------------------------------- server


async def run(opts) -> int:
    return await serve(opts, Central201(opts), PeerChargePoint201, SUBPROTOCOL, "OCPP 2.0.1 peer CSMS")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="Schema-validating OCPP 2.0.1 peer CSMS (python ocpp library).")
    add_common_arguments(p, "TransactionEvent Started and Ended", "TransactionEvent Updated")
    p.add_argument("--exercise", action="store_true",
                   help="after boot, send every CSMS->CP operation in scope and check the answers and the "
                        "messages they cause (see exercise201.py)")
    p.add_argument("--exercise-skip", default="", metavar="STEP,...",
                   help=f"exercise steps to leave out, of: {', '.join(STEP_NAMES)}")
    p.add_argument("--token-status", action="append", default=None, metavar="PREFIX=STATUS",
                   help="Authorize and TransactionEvent answer idTokens starting with PREFIX (case insensitive) "
                        f"with STATUS; repeatable (default: {' '.join(DEFAULT_TOKEN_STATUS)}; others Accepted)")
    p.add_argument("--offline-tolerance", type=float, default=5.0, metavar="SECONDS",
                   help="slack when judging TransactionEvent.offline against this CSMS's connection times "
                        "(default 5)")
    opts = p.parse_args(argv)
    check_common_arguments(p, opts)
    opts.exercise_skip = {name for name in opts.exercise_skip.split(",") if name}
    unknown = opts.exercise_skip - set(STEP_NAMES)
    if unknown:
        p.error(f"--exercise-skip: unknown step(s) {', '.join(sorted(unknown))}")
    opts.token_status = opts.token_status if opts.token_status is not None else list(DEFAULT_TOKEN_STATUS)
    for rule in opts.token_status:
        prefix, sep, status = rule.partition("=")
        if not sep or not prefix or status not in TOKEN_STATUSES:
            p.error(f"--token-status {rule!r}: PREFIX=STATUS with STATUS one of {', '.join(sorted(TOKEN_STATUSES))}")
    if opts.offline_tolerance < 0:
        p.error("--offline-tolerance must not be negative")
    return opts


def main(argv=None) -> int:
    return run_main(parse_args, run, argv)


if __name__ == "__main__":
    sys.exit(main())
