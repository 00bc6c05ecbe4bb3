"""A small scripted OCPP 2.0.1 charging station on the PyPI `ocpp` library's v201 module, for
the peer CSMS's own tests (test_csms201.py): one EVSE with one connector, a device model of
the variables the peer probes, transactions with seqNo, reboots that reconnect and boot with
the right reason, and correct answers to every CSMS->CP operation the peer's --exercise sends.

`StationModel.faults` switches in wrong behaviour the peer must catch: "get-unknown-component"
(UnknownVariable instead of UnknownComponent), "trigger-boot" (a BootNotification trigger
Accepted although the station is registered), "unsupported-not-implemented" (NotImplemented for
a known but unsupported action), "ended-not-remote" (a remote stop ended with stoppedReason
Local), "no-reserved-status" (no StatusNotification Reserved), "reset-reason" (the boot after a
reset says PowerUp), "boot-retry-early" (a Pending boot retried before its interval).
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import logging
import uuid

import websockets
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from ocpp.exceptions import NotImplementedError as OCPPNotImplemented
from ocpp.exceptions import NotSupportedError, OccurrenceConstraintViolationError
from ocpp.routing import after, on
from ocpp.v201 import ChargePoint, call, call_result
from ocpp.v201.enums import Action

KNOWN_ACTIONS = frozenset(a.value for a in Action)
ITEMS_PER_MESSAGE = 4
# The library logs every CALLERROR it sends with a traceback; the tests read the peer's summary.
QUIET = logging.getLogger("station201")
QUIET.setLevel(logging.CRITICAL)


def iso(delta_s: float = 0) -> str:
    when = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=delta_s)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


# (component, variable, variable instance) -> [value, mutability, dataType]
def default_variables():
    rw, ro, wo = "ReadWrite", "ReadOnly", "WriteOnly"
    n = str(ITEMS_PER_MESSAGE)
    return {
        ("OCPPCommCtrlr", "OfflineThreshold", None): ["60", rw, "integer"],
        ("OCPPCommCtrlr", "MessageAttempts", "TransactionEvent"): ["3", rw, "integer"],
        ("OCPPCommCtrlr", "HeartbeatInterval", None): ["60", rw, "integer"],
        ("AuthCtrlr", "AuthorizeRemoteStart", None): ["false", rw, "boolean"],
        ("AuthCtrlr", "LocalAuthorizeOffline", None): ["true", rw, "boolean"],
        ("AuthCtrlr", "LocalPreAuthorize", None): ["false", rw, "boolean"],
        ("TxCtrlr", "TxStartPoint", None): ["Authorized", rw, "MemberList"],
        ("TxCtrlr", "TxStopPoint", None): ["Authorized", rw, "MemberList"],
        ("TxCtrlr", "EVConnectionTimeOut", None): ["60", rw, "integer"],
        ("TxCtrlr", "StopTxOnEVSideDisconnect", None): ["true", ro, "boolean"],
        ("SampledDataCtrlr", "TxUpdatedMeasurands", None): ["Energy.Active.Import.Register", rw, "MemberList"],
        ("SecurityCtrlr", "SecurityProfile", None): ["1", ro, "integer"],
        ("SecurityCtrlr", "BasicAuthPassword", None): ["station-password-0123", wo, "string"],
        ("DeviceDataCtrlr", "ItemsPerMessage", "GetReport"): [n, ro, "integer"],
        ("DeviceDataCtrlr", "ItemsPerMessage", "GetVariables"): [n, ro, "integer"],
        ("DeviceDataCtrlr", "ItemsPerMessage", "SetVariables"): [n, ro, "integer"],
    }


class Tx:
    def __init__(self, remote_start_id=None, id_token=None):
        self.id = str(uuid.uuid4())
        self.seq = 0
        self.remote_start_id = remote_start_id
        self.id_token = id_token
        self.energy = 1000.0

    def next_seq(self):
        self.seq += 1
        return self.seq - 1


class StationModel:
    """What survives reconnects and reboots."""

    def __init__(self, cp_id, faults=()):
        self.id = cp_id
        self.faults = set(faults)
        self.variables = default_variables()
        self.boot_reason = "PowerUp"
        self.reset_scheduled = False
        self.status = "Available"
        self.tx: Tx | None = None
        self.local_list_version = 0
        self.reservations: dict = {}
        self.profiles: dict = {}  # id -> (evseId, profile)
        self.monitors: dict = {}
        self.next_monitor = 1
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.queue: list = []  # TransactionEvents waiting for a connection
        self.event_lock = asyncio.Lock()
        self.online = False
        self.station: Station | None = None  # the current connection's
        self.reboot = asyncio.Event()
        self.stopped = False
        self.boots = 0


def component_known(name):
    return name in {c for (c, _, _) in default_variables()}


class Station(ChargePoint):
    def __init__(self, model: StationModel, connection):
        super().__init__(model.id, connection, response_timeout=3, logger=QUIET)
        self.m = model

    # ---- OCPP-J 2.0.1 error codes: NotImplemented for an unknown action, NotSupported for a
    # known one without support (the library answers the other way round)

    async def _handle_call(self, msg):
        if msg.action not in self.route_map:
            if msg.action in KNOWN_ACTIONS and "unsupported-not-implemented" not in self.m.faults:
                raise NotSupportedError(details={"cause": f"{msg.action} is not supported"})
            raise OCPPNotImplemented(details={"cause": f"{msg.action} is unknown"})
        return await super()._handle_call(msg)

    # ---- sending

    async def boot(self):
        """BootNotification until Accepted, waiting the interval a Pending answer gives (B02)."""
        while True:
            res = await self.call(call.BootNotification(
                charging_station={"model": "PeerTestStation", "vendor_name": "ocpp-fleet-tests"},
                reason=self.m.boot_reason))
            if res.status == "Accepted":
                break
            await asyncio.sleep(0.1 if "boot-retry-early" in self.m.faults else res.interval)
        self.m.boots += 1
        self.m.boot_reason = "PowerUp"
        await self.status_notification()
        return res

    async def status_notification(self, status=None):
        if status is not None:
            self.m.status = status
        await self.call(call.StatusNotification(timestamp=iso(), connector_status=self.m.status, evse_id=1,
                                                connector_id=1))

    def tx_event(self, kind, trigger, tx: Tx, **extra):
        """A TransactionEvent payload with the transaction's next seqNo (see emit)."""
        payload = {"event_type": kind, "timestamp": iso(), "trigger_reason": trigger, "seq_no": tx.next_seq(),
                   "transaction_info": {"transaction_id": tx.id}}
        if tx.remote_start_id is not None and kind == "Started":
            payload["transaction_info"]["remote_start_id"] = tx.remote_start_id
        payload.update(extra)
        return payload

    async def emit(self, kind, trigger, tx: Tx, info=None, **extra):
        """Numbers and sends one TransactionEvent under the station's event lock, so seqNos go
        out in the order they were given (E: strictly increasing), queued ones first: marked
        offline when it happened offline, unchanged when the link broke before its answer."""
        async with self.m.event_lock:
            payload = self.tx_event(kind, trigger, tx, **extra)
            payload["transaction_info"].update(info or {})
            if not self.m.online or self.m.queue:
                if not self.m.online:
                    payload["offline"] = True
                self.m.queue.append(payload)
                return
            try:
                await self.call(call.TransactionEvent(**payload))
            except (websockets.exceptions.ConnectionClosed, asyncio.TimeoutError):
                self.m.queue.append(payload)

    async def flush_queue(self):
        async with self.m.event_lock:
            while self.m.queue:
                await self.call(call.TransactionEvent(**self.m.queue[0]))
                self.m.queue.pop(0)

    def meter(self, tx, context="Sample.Periodic"):
        tx.energy += 150.0
        return [{"timestamp": iso(), "sampled_value": [{"value": tx.energy, "context": context,
                                                        "measurand": "Energy.Active.Import.Register",
                                                        "unit_of_measure": {"unit": "Wh"}}]}]

    async def start_transaction(self, trigger="Authorized", remote_start_id=None,
                                id_token=None):
        tx = self.m.tx = Tx(remote_start_id, id_token or {"id_token": "AABBCCDD", "type": "ISO14443"})
        await self.emit("Started", trigger, tx, id_token=tx.id_token, evse={"id": 1, "connector_id": 1},
                        meter_value=self.meter(tx, "Transaction.Begin"))
        if self.m.online:
            await self.status_notification("Occupied")
        return tx

    async def end_transaction(self, trigger="StopAuthorized", reason="Local"):
        tx, self.m.tx = self.m.tx, None
        info = {"stopped_reason": reason} if reason != "Local" else {}
        await self.emit("Ended", trigger, tx, info, meter_value=self.meter(tx, "Transaction.End"))
        if self.m.online:
            await self.status_notification("Available")
        if self.m.reset_scheduled:
            self.m.reset_scheduled = False
            self.request_reboot("RemoteReset")

    def request_reboot(self, reason):
        self.m.boot_reason = reason
        self.m.reboot.set()

    # ---- B Provisioning: device model

    def lookup(self, entry):
        comp, var = entry["component"], entry["variable"]
        if not component_known(comp["name"]):
            return "UnknownComponent", None
        key = (comp["name"], var["name"], var.get("instance"))
        if key not in self.m.variables:
            return "UnknownVariable", None
        return None, key

    @on(Action.get_variables)
    def on_get_variables(self, get_variable_data, **kwargs):
        limit = int(self.m.variables[("DeviceDataCtrlr", "ItemsPerMessage", "GetVariables")][0])
        if len(get_variable_data) > limit:
            raise OccurrenceConstraintViolationError(details={"cause": "too many items"})
        results = []
        for entry in get_variable_data:
            status, key = self.lookup(entry)
            result = {"component": entry["component"], "variable": entry["variable"]}
            if entry.get("attribute_type") not in (None, "Actual"):
                status = status or "NotSupportedAttributeType"
                result["attribute_type"] = entry["attribute_type"]
            if status == "UnknownComponent" and "get-unknown-component" in self.m.faults:
                status = "UnknownVariable"
            if status is None:
                value, mutability, _ = self.m.variables[key]
                if mutability == "WriteOnly":
                    status = "Rejected"
                else:
                    status = "Accepted"
                    result["attribute_value"] = value
            result["attribute_status"] = status
            results.append(result)
        return call_result.GetVariables(get_variable_result=results)

    @on(Action.set_variables)
    def on_set_variables(self, set_variable_data, **kwargs):
        results = []
        for entry in set_variable_data:
            status, key = self.lookup(entry)
            if status is None:
                _, mutability, data_type = self.m.variables[key]
                value = entry["attribute_value"]
                if mutability == "ReadOnly" or (data_type == "integer" and not value.lstrip("-").isdigit()):
                    status = "Rejected"
                else:
                    self.m.variables[key][0] = value
                    status = "Accepted"
            results.append({"attribute_status": status, "component": entry["component"],
                            "variable": entry["variable"]})
        return call_result.SetVariables(set_variable_result=results)

    def report_items(self, keys):
        items = []
        for (comp, var, inst) in keys:
            value, mutability, data_type = self.m.variables[(comp, var, inst)]
            attribute = {"type": "Actual", "mutability": mutability}
            if mutability != "WriteOnly":
                attribute["value"] = value
            variable = {"name": var, **({"instance": inst} if inst else {})}
            items.append({"component": {"name": comp}, "variable": variable, "variable_attribute": [attribute],
                          "variable_characteristics": {"data_type": data_type, "supports_monitoring": True}})
        return items

    async def send_report(self, request_id, items):
        chunks = [items[i:i + ITEMS_PER_MESSAGE] for i in range(0, len(items), ITEMS_PER_MESSAGE)] or [[]]
        for seq, chunk in enumerate(chunks):
            await self.call(call.NotifyReport(request_id=request_id, generated_at=iso(), seq_no=seq,
                                              tbc=seq < len(chunks) - 1, report_data=chunk or None))

    @on(Action.get_base_report)
    def on_get_base_report(self, request_id, report_base, **kwargs):
        return call_result.GetBaseReport(status="NotSupported" if report_base == "SummaryInventory" else "Accepted")

    @after(Action.get_base_report)
    async def after_get_base_report(self, request_id, report_base, **kwargs):
        if report_base == "SummaryInventory":
            return
        keys = [k for k, v in self.m.variables.items()
                if report_base == "FullInventory" or v[1] in ("ReadWrite", "WriteOnly")]
        await self.send_report(request_id, self.report_items(keys))

    def report_keys(self, component_variable, component_criteria):
        if component_criteria:
            return None
        keys = []
        for entry in component_variable or []:
            var = entry.get("variable")
            keys += [k for k in self.m.variables if k[0] == entry["component"]["name"]
                     and (var is None or (k[1] == var["name"] and k[2] == var.get("instance")))]
        return keys

    @on(Action.get_report)
    def on_get_report(self, request_id, component_variable=None, component_criteria=None, **kwargs):
        keys = self.report_keys(component_variable, component_criteria)
        status = "NotSupported" if keys is None else ("Accepted" if keys else "EmptyResultSet")
        return call_result.GetReport(status=status)

    @after(Action.get_report)
    async def after_get_report(self, request_id, component_variable=None, component_criteria=None, **kwargs):
        keys = self.report_keys(component_variable, component_criteria)
        if keys:
            await self.send_report(request_id, self.report_items(keys))

    @on(Action.set_variable_monitoring)
    def on_set_variable_monitoring(self, set_monitoring_data, **kwargs):
        results = []
        for entry in set_monitoring_data:
            status, _ = self.lookup(entry)
            result = {"status": status or "Accepted", "type": entry["type"], "severity": entry["severity"],
                      "component": entry["component"], "variable": entry["variable"]}
            if status is None:
                result["id"] = self.m.next_monitor
                self.m.monitors[self.m.next_monitor] = entry
                self.m.next_monitor += 1
            results.append(result)
        return call_result.SetVariableMonitoring(set_monitoring_result=results)

    @on(Action.clear_variable_monitoring)
    def on_clear_variable_monitoring(self, id, **kwargs):
        return call_result.ClearVariableMonitoring(clear_monitoring_result=[
            {"id": i, "status": "Accepted" if self.m.monitors.pop(i, None) else "NotFound"} for i in id])

    @on(Action.reset)
    def on_reset(self, type, evse_id=None, **kwargs):
        if evse_id is not None:
            return call_result.Reset(status="Rejected")
        if type == "OnIdle" and self.m.tx is not None:
            self.m.reset_scheduled = True  # B12.FR.01: when the transaction has ended
            return call_result.Reset(status="Scheduled")
        return call_result.Reset(status="Accepted")

    @after(Action.reset)
    async def after_reset(self, type, evse_id=None, **kwargs):
        if evse_id is not None or (type == "OnIdle" and self.m.tx is not None):
            return
        if self.m.tx is not None:
            await self.end_transaction("ResetCommand", "ImmediateReset")
        self.request_reboot("PowerUp" if "reset-reason" in self.m.faults else "RemoteReset")

    # ---- C, D Authorization and local list

    @on(Action.clear_cache)
    def on_clear_cache(self, **kwargs):
        return call_result.ClearCache(status="Accepted")

    @on(Action.get_local_list_version)
    def on_get_local_list_version(self, **kwargs):
        return call_result.GetLocalListVersion(version_number=self.m.local_list_version)

    @on(Action.send_local_list)
    def on_send_local_list(self, version_number, update_type, local_authorization_list=None, **kwargs):
        if update_type == "Differential" and version_number <= self.m.local_list_version:
            return call_result.SendLocalList(status="VersionMismatch")
        self.m.local_list_version = version_number
        return call_result.SendLocalList(status="Accepted")

    @on(Action.data_transfer)
    def on_data_transfer(self, vendor_id, **kwargs):
        return call_result.DataTransfer(status="UnknownVendorId")

    # ---- F Remote control

    @on(Action.trigger_message)
    def on_trigger_message(self, requested_message, evse=None, **kwargs):
        accepted = {"Heartbeat", "MeterValues", "FirmwareStatusNotification", "LogStatusNotification",
                    "SignChargingStationCertificate"}
        if requested_message == "StatusNotification":
            ok = evse is not None and evse.get("id") == 1 and evse.get("connector_id") == 1
            return call_result.TriggerMessage(status="Accepted" if ok else "Rejected")
        if requested_message == "BootNotification":
            return call_result.TriggerMessage(status="Accepted" if "trigger-boot" in self.m.faults else "Rejected")
        if requested_message == "TransactionEvent":
            return call_result.TriggerMessage(status="Accepted" if self.m.tx is not None else "Rejected")
        if requested_message in accepted:
            return call_result.TriggerMessage(status="Accepted")
        return call_result.TriggerMessage(status="NotImplemented")

    @after(Action.trigger_message)
    async def after_trigger_message(self, requested_message, evse=None, **kwargs):
        m = requested_message
        if m == "Heartbeat":
            await self.call(call.Heartbeat())
        elif m == "StatusNotification" and evse is not None and evse.get("id") == 1 and evse.get("connector_id") == 1:
            await self.status_notification()
        elif m == "MeterValues":
            await self.call(call.MeterValues(evse_id=1, meter_value=[{"timestamp": iso(), "sampled_value": [
                {"value": 1234.0, "context": "Trigger"}]}]))
        elif m == "FirmwareStatusNotification":
            await self.call(call.FirmwareStatusNotification(status="Idle"))
        elif m == "LogStatusNotification":
            await self.call(call.LogStatusNotification(status="Idle"))
        elif m == "BootNotification" and "trigger-boot" in self.m.faults:
            self.m.boot_reason = "Triggered"
            await self.boot()
        elif m == "TransactionEvent" and self.m.tx is not None:
            await self.emit("Updated", "Trigger", self.m.tx)
        elif m == "SignChargingStationCertificate":
            csr = (x509.CertificateSigningRequestBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, self.m.id),
                                            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ocpp-fleet-tests")]))
                   .sign(self.m.key, hashes.SHA256()))
            await self.call(call.SignCertificate(csr=csr.public_bytes(serialization.Encoding.PEM).decode(),
                                                 certificate_type="ChargingStationCertificate"))

    @on(Action.certificate_signed)
    def on_certificate_signed(self, certificate_chain, **kwargs):
        try:
            leaf = x509.load_pem_x509_certificates(certificate_chain.encode())[0]
            ours = self.m.key.public_key().public_bytes(serialization.Encoding.DER,
                                                       serialization.PublicFormat.SubjectPublicKeyInfo)
            theirs = leaf.public_key().public_bytes(serialization.Encoding.DER,
                                                    serialization.PublicFormat.SubjectPublicKeyInfo)
            status = "Accepted" if ours == theirs else "Rejected"
        except Exception:
            status = "Rejected"
        return call_result.CertificateSigned(status=status)

    @on(Action.unlock_connector)
    def on_unlock_connector(self, evse_id, connector_id, **kwargs):
        if (evse_id, connector_id) != (1, 1):
            return call_result.UnlockConnector(status="UnknownConnector")
        return call_result.UnlockConnector(status="OngoingAuthorizedTransaction" if self.m.tx else "Unlocked")

    @on(Action.request_start_transaction)
    def on_request_start_transaction(self, id_token, remote_start_id, evse_id=None, **kwargs):
        ok = evse_id == 1 and self.m.tx is None and self.m.status == "Available"
        return call_result.RequestStartTransaction(status="Accepted" if ok else "Rejected")

    @after(Action.request_start_transaction)
    async def after_request_start_transaction(self, id_token, remote_start_id, evse_id=None, **kwargs):
        if evse_id == 1 and self.m.tx is None and self.m.status == "Available":
            await self.start_transaction("RemoteStart", remote_start_id, id_token)

    @on(Action.request_stop_transaction)
    def on_request_stop_transaction(self, transaction_id, **kwargs):
        ok = self.m.tx is not None and self.m.tx.id == transaction_id
        return call_result.RequestStopTransaction(status="Accepted" if ok else "Rejected")

    @after(Action.request_stop_transaction)
    async def after_request_stop_transaction(self, transaction_id, **kwargs):
        if self.m.tx is not None and self.m.tx.id == transaction_id:
            await self.end_transaction("RemoteStop", "Local" if "ended-not-remote" in self.m.faults else "Remote")

    @on(Action.get_transaction_status)
    def on_get_transaction_status(self, transaction_id=None, **kwargs):
        if transaction_id is None:
            return call_result.GetTransactionStatus(messages_in_queue=False)
        ongoing = self.m.tx is not None and self.m.tx.id == transaction_id
        return call_result.GetTransactionStatus(messages_in_queue=False, ongoing_indicator=ongoing)

    # ---- G Availability, H Reservation

    @on(Action.change_availability)
    def on_change_availability(self, operational_status, evse=None, **kwargs):
        if evse is not None and evse.get("id") != 1:
            return call_result.ChangeAvailability(status="Rejected")
        if operational_status == "Inoperative" and self.m.tx is not None:
            return call_result.ChangeAvailability(status="Scheduled")
        return call_result.ChangeAvailability(status="Accepted")

    @after(Action.change_availability)
    async def after_change_availability(self, operational_status, evse=None, **kwargs):
        if (evse is None or evse.get("id") == 1) and self.m.tx is None:
            await self.status_notification("Unavailable" if operational_status == "Inoperative" else "Available")

    @on(Action.reserve_now)
    def on_reserve_now(self, id, expiry_date_time, id_token, evse_id=None, **kwargs):
        if evse_id != 1:
            return call_result.ReserveNow(status="Rejected")
        if self.m.tx is not None or self.m.status != "Available":
            return call_result.ReserveNow(status="Occupied")
        self.m.reservations[id] = evse_id
        return call_result.ReserveNow(status="Accepted")

    @after(Action.reserve_now)
    async def after_reserve_now(self, id, **kwargs):
        if id in self.m.reservations and "no-reserved-status" not in self.m.faults:
            await self.status_notification("Reserved")

    @on(Action.cancel_reservation)
    def on_cancel_reservation(self, reservation_id, **kwargs):
        ok = self.m.reservations.pop(reservation_id, None) is not None
        self.cancelled = ok
        return call_result.CancelReservation(status="Accepted" if ok else "Rejected")

    @after(Action.cancel_reservation)
    async def after_cancel_reservation(self, reservation_id, **kwargs):
        if self.cancelled:
            await self.status_notification("Available")

    # ---- K Smart charging

    @on(Action.set_charging_profile)
    def on_set_charging_profile(self, evse_id, charging_profile, **kwargs):
        purpose = charging_profile["charging_profile_purpose"]
        bad = ((purpose == "ChargingStationMaxProfile" and evse_id != 0)
               or purpose == "ChargingStationExternalConstraints"
               or (purpose == "TxProfile" and self.m.tx is None))
        if not bad:
            self.m.profiles[charging_profile["id"]] = (evse_id, charging_profile)
        return call_result.SetChargingProfile(status="Rejected" if bad else "Accepted")

    def matching_profiles(self, criteria):
        found = []
        for profile_id, (evse_id, profile) in self.m.profiles.items():
            if criteria.get("charging_profile_purpose") not in (None, profile["charging_profile_purpose"]):
                continue
            if criteria.get("charging_profile_id") and profile_id not in criteria["charging_profile_id"]:
                continue
            found.append((evse_id, profile))
        return found

    @on(Action.get_charging_profiles)
    def on_get_charging_profiles(self, request_id, charging_profile, **kwargs):
        found = self.matching_profiles(charging_profile)
        return call_result.GetChargingProfiles(status="Accepted" if found else "NoProfiles")

    @after(Action.get_charging_profiles)
    async def after_get_charging_profiles(self, request_id, charging_profile, **kwargs):
        found = self.matching_profiles(charging_profile)
        for i, (evse_id, profile) in enumerate(found):
            await self.call(call.ReportChargingProfiles(request_id=request_id, charging_limit_source="CSO",
                                                        charging_profile=[profile], evse_id=evse_id,
                                                        tbc=i < len(found) - 1))

    @on(Action.get_composite_schedule)
    def on_get_composite_schedule(self, duration, evse_id, charging_rate_unit=None, **kwargs):
        if evse_id not in (0, 1):
            return call_result.GetCompositeSchedule(status="Rejected")
        cap = min([p["charging_schedule"][0]["charging_schedule_period"][0]["limit"]
                   for (_, p) in self.m.profiles.values() if p["charging_profile_purpose"] == "ChargingStationMaxProfile"]
                  or [22000.0])
        periods = [{"start_period": 0, "limit": 22000.0}]
        for (_, p) in self.m.profiles.values():
            if p["charging_profile_purpose"] == "TxDefaultProfile":
                periods = p["charging_schedule"][0]["charging_schedule_period"]
        periods = [{"start_period": q["start_period"], "limit": min(q["limit"], cap)} for q in periods]
        return call_result.GetCompositeSchedule(status="Accepted", schedule={
            "evse_id": evse_id, "duration": duration, "schedule_start": iso(), "charging_rate_unit": "W",
            "charging_schedule_period": periods})

    @on(Action.clear_charging_profile)
    def on_clear_charging_profile(self, charging_profile_id=None, charging_profile_criteria=None, **kwargs):
        gone = [i for i, (_, p) in self.m.profiles.items()
                if i == charging_profile_id or (charging_profile_criteria and p["charging_profile_purpose"]
                                                == charging_profile_criteria.get("charging_profile_purpose"))]
        for i in gone:
            del self.m.profiles[i]
        return call_result.ClearChargingProfile(status="Accepted" if gone else "Unknown")

    # ---- L Firmware, N Diagnostics

    @on(Action.get_log)
    def on_get_log(self, log, log_type, request_id, **kwargs):
        return call_result.GetLog(status="Accepted", filename=f"{log_type}.log")

    @after(Action.get_log)
    async def after_get_log(self, request_id, **kwargs):
        await self.call(call.LogStatusNotification(status="Uploading", request_id=request_id))
        await self.call(call.LogStatusNotification(status="Uploaded", request_id=request_id))

    @on(Action.customer_information)
    def on_customer_information(self, request_id, report, clear, **kwargs):
        named = any(kwargs.get(k) for k in ("customer_identifier", "id_token", "customer_certificate"))
        return call_result.CustomerInformation(status="Accepted" if named else "Invalid")

    @after(Action.customer_information)
    async def after_customer_information(self, request_id, report, clear, **kwargs):
        if any(kwargs.get(k) for k in ("customer_identifier", "id_token", "customer_certificate")):
            for seq in (0, 1):
                await self.call(call.NotifyCustomerInformation(data=f"part {seq}", seq_no=seq, generated_at=iso(),
                                                               request_id=request_id, tbc=seq == 0))

    @on(Action.update_firmware)
    def on_update_firmware(self, request_id, firmware, **kwargs):
        return call_result.UpdateFirmware(status="Accepted")

    @after(Action.update_firmware)
    async def after_update_firmware(self, request_id, **kwargs):
        for status in ("Downloading", "Downloaded", "Installing", "InstallRebooting"):
            await self.call(call.FirmwareStatusNotification(status=status, request_id=request_id))
        self.m.firmware_request = request_id
        self.request_reboot("FirmwareUpdate")


async def run_station(url, model: StationModel, script=None, subprotocol="ocpp2.0.1", headers=None):
    """Connects, boots, starts `script(model)` once (after the first boot; it reaches the
    current connection as model.station), and keeps the station connected, reconnecting after
    reboots and dropped links, until model.stopped. Queued TransactionEvents go first after
    each boot."""
    script_task = None
    while not model.stopped:
        try:
            async with websockets.connect(f"{url}/{model.id}", subprotocols=[subprotocol],
                                          additional_headers=headers, open_timeout=5) as ws:
                station = model.station = Station(model, ws)
                reader = asyncio.ensure_future(station.start())
                model.online = True
                model.reboot.clear()
                await station.boot()
                if getattr(model, "firmware_request", None) is not None:
                    await station.call(call.FirmwareStatusNotification(status="Installed",
                                                                       request_id=model.firmware_request))
                    model.firmware_request = None
                await station.flush_queue()
                if script is not None and script_task is None:
                    script_task = asyncio.ensure_future(script(model))
                rebooting = asyncio.ensure_future(model.reboot.wait())
                try:
                    await asyncio.wait([reader, rebooting], return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for task in (reader, rebooting):
                        task.cancel()
                    await asyncio.gather(reader, rebooting, return_exceptions=True)
        except (OSError, websockets.exceptions.WebSocketException, asyncio.TimeoutError):
            pass
        finally:
            model.online = False
        if not model.stopped:
            await asyncio.sleep(0.2)
    if script_task is not None:
        script_task.cancel()


def basic_auth(user, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}
