"""The bodies of the OCPP 2.0.1 exercise steps (table STEPS in exercise201.py) and the tables
they read. Each function takes the Exercise (`ex`) and checks one group of CSMS->CP
operations; requirement ids (B06.FR.16, ...) are OCPP 2.0.1 part 2 with the edition 2 errata.

A charge point the fleet simulates has EVSE 1 with connector 1; probes that depend on its
state (a transaction there, its last StatusNotification) read it from what the charge point
reported, and accept the answers a charge point in either state may give when a driver could
have changed it a moment before.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import random

from ocpp.messages import MessageType
from ocpp.v201 import call

from peercore import CPCallError, InvalidResponse, finite_number
from profiles import authority

UNKNOWN_COMPONENT = "PeerUnknownComponent"
UNKNOWN_VARIABLE = "PeerUnknownVariable"
EXERCISE_VENDOR = "com.example.peer-csms"
REMOTE_TOKEN = {"id_token": "PEERREMOTE01", "type": "Central"}
RESERVE_TOKEN = {"id_token": "PEERRESERVE01", "type": "Central"}
CUSTOMER_TOKEN = {"id_token": "PEERCUSTOMER01", "type": "Central"}
NOTICE_WAIT = 5.0  # seconds (at most --exercise-timeout) for a message that follows at once


def _quick(ex) -> float:
    """How long to wait for a message that follows at once (a StatusNotification after a change)."""
    return min(NOTICE_WAIT, ex.opts.exercise_timeout)


def _iso(delta_s: float = 0) -> str:
    when = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=delta_s)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def cv(component, variable, component_instance=None, variable_instance=None, attribute_type=None):
    """A component-variable pair as the library wants it (snake_case keys)."""
    entry = {"component": {"name": component}, "variable": {"name": variable}}
    if component_instance is not None:
        entry["component"]["instance"] = component_instance
    if variable_instance is not None:
        entry["variable"]["instance"] = variable_instance
    if attribute_type is not None:
        entry["attribute_type"] = attribute_type
    return entry


def cv_key(entry):
    comp, var = entry.get("component") or {}, entry.get("variable") or {}
    return (comp.get("name"), comp.get("instance"), var.get("name"), var.get("instance"),
            entry.get("attribute_type") or "Actual")


def label(entry):
    comp, var = entry["component"], entry["variable"]
    inst = f"[{var['instance']}]" if var.get("instance") else ""
    attr = f" ({entry['attribute_type']})" if entry.get("attribute_type") else ""
    return f"{comp['name']}.{var['name']}{inst}{attr}"


# --------------------------------------------------------------------------- B Provisioning

# Variables OCPP 2.0.1 requires of every charging station (part 2 appendix, "Referenced
# Components and Variables"): GetVariables answers Accepted with a value (B06.FR.01).
REQUIRED_VARIABLES = (
    cv("OCPPCommCtrlr", "OfflineThreshold"),
    cv("OCPPCommCtrlr", "MessageAttempts", variable_instance="TransactionEvent"),
    cv("AuthCtrlr", "AuthorizeRemoteStart"),
    cv("AuthCtrlr", "LocalAuthorizeOffline"),
    cv("AuthCtrlr", "LocalPreAuthorize"),
    cv("TxCtrlr", "TxStartPoint"),
    cv("TxCtrlr", "TxStopPoint"),
    cv("TxCtrlr", "EVConnectionTimeOut"),
    cv("TxCtrlr", "StopTxOnEVSideDisconnect"),
    cv("SampledDataCtrlr", "TxUpdatedMeasurands"),
    cv("SecurityCtrlr", "SecurityProfile"),
    cv("DeviceDataCtrlr", "ItemsPerMessage", variable_instance="GetReport"),
)

# (what, component-variable, statuses a correct charge point may answer)
GET_VARIABLE_PROBES = (
    ("unknown component", cv(UNKNOWN_COMPONENT, UNKNOWN_VARIABLE), {"UnknownComponent"}),
    ("unknown variable", cv("OCPPCommCtrlr", UNKNOWN_VARIABLE), {"UnknownVariable"}),
    # B06.FR.?: a WriteOnly variable is never read back; the variable itself is optional
    ("write-only variable", cv("SecurityCtrlr", "BasicAuthPassword"), {"Rejected", "UnknownVariable"}),
    ("attribute type", cv("OCPPCommCtrlr", "OfflineThreshold", attribute_type="Target"),
     {"NotSupportedAttributeType", "Accepted"}),
)


def _set_probes(ex):
    """(what, component-variable, value, statuses) for SetVariables (B05), one request each."""
    current = finite_number(ex.st.variables.get("OfflineThreshold"))
    new = str(int(current) + 1) if current is not None else "61"
    ex.st.variables["OfflineThreshold.new"] = new
    return (
        ("value that breaks the data type", cv("OCPPCommCtrlr", "OfflineThreshold"), "not-a-number", {"Rejected"}),
        ("read-only variable", cv("DeviceDataCtrlr", "ItemsPerMessage", variable_instance="GetVariables"), "1",
         {"Rejected"}),
        ("unknown component", cv(UNKNOWN_COMPONENT, UNKNOWN_VARIABLE), "1", {"UnknownComponent"}),
        ("unknown variable", cv("OCPPCommCtrlr", UNKNOWN_VARIABLE), "1", {"UnknownVariable"}),
        ("writable variable", cv("OCPPCommCtrlr", "OfflineThreshold"), new, {"Accepted", "RebootRequired"}),
    )


async def _get_variables(ex, entries):
    """GetVariables in batches of ItemsPerMessage[GetVariables] (B06.FR.16: more is a CALLERROR).
    Returns {cv_key: result} or None when a call failed."""
    size = ex.st.variables.get("ItemsPerMessageGetVariables", 1)
    results = {}
    for start in range(0, len(entries), size):
        batch = list(entries[start:start + size])
        res = await ex.call(call.GetVariables(get_variable_data=batch))
        if res is None:
            return None
        got = {cv_key(r): r for r in res.get_variable_result}
        for entry in batch:
            if cv_key(entry) not in got:
                ex.miss("GetVariables", f"a result for {label(entry)} (B06)", "none")
        results.update(got)
    return results


async def get_variables(ex):
    # How many items one GetVariables may carry, asked alone.
    items = cv("DeviceDataCtrlr", "ItemsPerMessage", variable_instance="GetVariables")
    results = await _get_variables(ex, [items])
    if results is None:
        return
    result = results.get(cv_key(items))
    if result is not None and ex.expect("GetVariables", "Accepted", result.get("attribute_status")):
        count = finite_number(result.get("attribute_value"))
        if count is None or count < 1:
            ex.miss("GetVariables", "ItemsPerMessage[GetVariables] >= 1", result.get("attribute_value"))
        else:
            ex.st.variables["ItemsPerMessageGetVariables"] = int(count)
    results = await _get_variables(ex, REQUIRED_VARIABLES)
    if results is not None:
        for entry in REQUIRED_VARIABLES:
            result = results.get(cv_key(entry))
            if result is None:
                continue
            status = result.get("attribute_status")
            if ex.expect("GetVariables", f"Accepted for {label(entry)}", f"{status} for {label(entry)}") \
                    and result.get("attribute_value") is None:
                ex.miss("GetVariables", f"attributeValue for {label(entry)} (Accepted)", "none")
            if status == "Accepted":
                ex.st.variables[entry["variable"]["name"]] = result.get("attribute_value")
    results = await _get_variables(ex, [entry for _, entry, _ in GET_VARIABLE_PROBES])
    if results is not None:
        for what, entry, statuses in GET_VARIABLE_PROBES:
            result = results.get(cv_key(entry))
            if result is not None:
                ex.expect("GetVariables", {f"{s} ({what})" for s in statuses},
                          f"{result.get('attribute_status')} ({what})")


async def set_variables(ex):
    for what, entry, value, statuses in _set_probes(ex):
        res = await ex.call(call.SetVariables(set_variable_data=[dict(entry, attribute_value=value)]))
        if res is None:
            continue
        results = res.set_variable_result
        if len(results) != 1:
            ex.miss("SetVariables", f"one result ({what})", f"{len(results)} results")
            continue
        ex.expect("SetVariables", {f"{s} ({what})" for s in statuses}, f"{results[0].get('attribute_status')} ({what})")
        if what == "writable variable" and results[0].get("attribute_status") == "Accepted":
            back = await _get_variables(ex, [cv("OCPPCommCtrlr", "OfflineThreshold")])
            if back is not None:
                got = back.get(cv_key(cv("OCPPCommCtrlr", "OfflineThreshold"))) or {}
                if ex.expect("GetVariables", f"OfflineThreshold {value} after SetVariables",
                             f"OfflineThreshold {got.get('attribute_value')} after SetVariables"):
                    ex.st.variables["OfflineThreshold"] = value


# (reportBase, statuses): FullInventory and ConfigurationInventory are required, SummaryInventory optional.
BASE_REPORTS = (
    ("ConfigurationInventory", {"Accepted"}),
    ("FullInventory", {"Accepted"}),
    ("SummaryInventory", {"Accepted", "NotSupported", "EmptyResultSet"}),
)


async def _report(ex, action, payload, statuses):
    """Sends GetBaseReport/GetReport and, when Accepted, waits for every NotifyReport part.
    Returns the report's items ([reportData]) or None."""
    request_id = payload.request_id
    key = (ex.cp.id, "NotifyReport", request_id)
    series = ex.c.expect_report(ex.cp.id, "NotifyReport", request_id)
    res = await ex.call(payload)
    if res is None or not ex.expect(action, statuses, res.status) or res.status != "Accepted":
        ex.c.reports.pop(key, None)
        return None
    if not await ex.await_condition(lambda: series.complete):
        ex.miss(action, f"NotifyReport parts up to tbc=false for requestId {request_id}",
                f"{len(series.parts)} part(s) within {ex.opts.exercise_timeout:g}s")
        return None
    return [item for part in series.items for item in (part.get("report_data") or [])]


def _check_inventory(ex, base, items):
    """B07: ConfigurationInventory lists what can be set (no ReadOnly attribute); no report shows
    the value of a WriteOnly attribute; FullInventory holds what GetVariables could read."""
    for item in items:
        name = f"{item['component']['name']}.{item['variable']['name']}"
        for attr in item.get("variable_attribute") or []:
            mutability = attr.get("mutability", "ReadWrite")
            if base == "ConfigurationInventory" and mutability == "ReadOnly":
                ex.miss("GetBaseReport", "no ReadOnly variable in a ConfigurationInventory", name)
                return
            if mutability == "WriteOnly" and attr.get("value") is not None:
                ex.miss("GetBaseReport", f"no value for WriteOnly {name}", "a value")
    if base != "FullInventory":
        return
    reported = {(i["component"]["name"], i["variable"]["name"]): i for i in items}
    for entry in REQUIRED_VARIABLES:
        pair = (entry["component"]["name"], entry["variable"]["name"])
        if pair not in reported:
            ex.miss("GetBaseReport", f"{label(entry)} in the FullInventory", "missing")
    want = ex.st.variables.get("OfflineThreshold")
    item = reported.get(("OCPPCommCtrlr", "OfflineThreshold"))
    if item is not None and want is not None:
        actual = [a.get("value") for a in item.get("variable_attribute") or [] if a.get("type", "Actual") == "Actual"]
        ex.expect("GetBaseReport", f"OfflineThreshold {want} in the FullInventory",
                  f"OfflineThreshold {actual[0] if actual else None} in the FullInventory")


async def get_base_reports(ex):
    for base, statuses in BASE_REPORTS:
        payload = call.GetBaseReport(request_id=ex.request_id(), report_base=base)
        items = await _report(ex, "GetBaseReport", payload, statuses)
        if items is not None:
            _check_inventory(ex, base, items)


# (what, GetReport arguments, statuses, the only component-variable the report may hold)
REPORT_QUERIES = (
    ("one variable", {"component_variable": [cv("OCPPCommCtrlr", "OfflineThreshold")]}, {"Accepted"},
     ("OCPPCommCtrlr", "OfflineThreshold")),
    ("unknown component", {"component_variable": [{"component": {"name": UNKNOWN_COMPONENT}}]},
     {"EmptyResultSet"}, None),
    # B08: criteria the charging station does not support give NotSupported
    ("criterion Available", {"component_criteria": ["Available"]}, {"Accepted", "EmptyResultSet", "NotSupported"},
     None),
)


async def get_reports(ex):
    for what, args, statuses, only in REPORT_QUERIES:
        payload = call.GetReport(request_id=ex.request_id(), **args)
        items = await _report(ex, "GetReport", payload, statuses)
        if items is None or only is None:
            continue
        for item in items:
            pair = (item["component"]["name"], item["variable"]["name"])
            if pair != only:
                ex.miss("GetReport", f"only {only[0]}.{only[1]} ({what})", f"{pair[0]}.{pair[1]}")
                break
        if not items:
            ex.miss("GetReport", f"{only[0]}.{only[1]} reported ({what})", "an empty report")


async def variable_monitoring(ex):
    """N04: a monitor on a known variable, one on an unknown component; ClearVariableMonitoring
    of the one set."""
    data = [
        {"value": 1, "type": "Delta", "severity": 8, **cv("OCPPCommCtrlr", "OfflineThreshold")},
        {"value": 1, "type": "Delta", "severity": 8, **cv(UNKNOWN_COMPONENT, UNKNOWN_VARIABLE)},
    ]
    res = await ex.call(call.SetVariableMonitoring(set_monitoring_data=data))
    if res is None:
        return
    results = {(r["component"]["name"], r["variable"]["name"]): r for r in res.set_monitoring_result}
    known = results.get(("OCPPCommCtrlr", "OfflineThreshold"))
    unknown = results.get((UNKNOWN_COMPONENT, UNKNOWN_VARIABLE))
    if unknown is None or known is None:
        ex.miss("SetVariableMonitoring", "one result per monitor", list(results))
        return
    ex.expect("SetVariableMonitoring", "UnknownComponent", unknown.get("status"))
    if not ex.expect("SetVariableMonitoring", {"Accepted", "UnsupportedMonitorType", "Rejected"}, known.get("status")):
        return
    if known.get("status") == "Accepted":
        if known.get("id") is None:
            ex.miss("SetVariableMonitoring", "the monitor's id with Accepted", "none")
            return
        res = await ex.call(call.ClearVariableMonitoring(id=[known["id"]]))
        if res is not None:
            statuses = [r.get("status") for r in res.clear_monitoring_result if r.get("id") == known["id"]]
            ex.expect("ClearVariableMonitoring", ["Accepted"], statuses)


# --------------------------------------------------------------------------- C, P, unsupported


async def clear_cache(ex):
    res = await ex.call(call.ClearCache())
    if res is not None:
        ex.expect("ClearCache", {"Accepted", "Rejected"}, res.status)  # Rejected: no cache (C11)


async def data_transfer(ex):
    res = await ex.call(call.DataTransfer(vendor_id=EXERCISE_VENDOR, message_id="ping", data="peer"))
    if res is not None:
        ex.expect("DataTransfer", "UnknownVendorId", res.status)


# OCPP-J 2.0.1 error codes: NotSupported = the action is recognized but not supported,
# NotImplemented = the action is not known. (action, payload or None for a raw frame, code)
UNSUPPORTED = (
    ("SetDisplayMessage", lambda: call.SetDisplayMessage(message={
        "id": 1, "priority": "NormalCycle", "message": {"format": "UTF8", "content": "peer"}}), "NotSupported"),
    ("CostUpdated", lambda: call.CostUpdated(total_cost=1.5, transaction_id="peer-tx"), "NotSupported"),
    ("PeerUnknownAction", None, "NotImplemented"),
)


async def unsupported_operations(ex):
    for action, make, code in UNSUPPORTED:
        await ex.pause()
        try:
            if make is None:
                msg = await ex.cp.raw_call(action, {})
                if msg.message_type_id == MessageType.CallResult:
                    ex.miss(action, f"CALLERROR {code}", f"CALLRESULT {json.dumps(msg.payload)[:200]}")
                else:
                    ex.expect(action, code, msg.error_code)
                continue
            await ex.cp.ocpp_call(make(), expect_error=True)
            ex.miss(action, f"CALLERROR {code}", "CALLRESULT")
        except CPCallError as e:
            ex.expect(action, code, e.err.error_code)
        except InvalidResponse as e:
            ex.miss(action, f"CALLERROR {code}", f"invalid CALLRESULT: {e}")
        except asyncio.TimeoutError:
            ex.miss(action, f"CALLERROR {code}", f"no answer within {ex.cp._response_timeout}s")


# --------------------------------------------------------------------------- D Local list


async def local_list(ex):
    res = await ex.call(call.GetLocalListVersion())
    if res is None:
        return
    if res.version_number < 0:
        ex.miss("GetLocalListVersion", "versionNumber >= 0", res.version_number)
    base = max(res.version_number, 0)
    entries = [{"id_token": {"id_token": f"PEERLOCAL0{i}", "type": "Central"},
                "id_token_info": {"status": "Accepted"}} for i in (1, 2)]
    res = await ex.call(call.SendLocalList(version_number=base + 1, update_type="Full",
                                           local_authorization_list=entries))
    if res is None or not ex.expect("SendLocalList", "Accepted", res.status):
        return
    res = await ex.call(call.GetLocalListVersion())
    if res is not None:
        ex.expect("GetLocalListVersion", base + 1, res.version_number)
    # D01.FR.19: a differential update needs a newer version than the list's
    blocked = [{"id_token": {"id_token": "PEERLOCAL03", "type": "Central"}, "id_token_info": {"status": "Blocked"}}]
    res = await ex.call(call.SendLocalList(version_number=base + 1, update_type="Differential",
                                           local_authorization_list=blocked))
    if res is not None:
        ex.expect("SendLocalList", "VersionMismatch", res.status)
    removal = [{"id_token": {"id_token": "PEERLOCAL01", "type": "Central"}}]
    res = await ex.call(call.SendLocalList(version_number=base + 2, update_type="Differential",
                                           local_authorization_list=blocked + removal))
    if res is not None:
        ex.expect("SendLocalList", "Accepted", res.status)
    res = await ex.call(call.GetLocalListVersion())
    if res is not None:
        ex.expect("GetLocalListVersion", base + 2, res.version_number)


# --------------------------------------------------------------------------- F Remote control


def _evse11(n):
    return n.get("evse_id") == 1 and n.get("connector_id") == 1


# (requestedMessage, evse, statuses, the message that must follow when Accepted, its predicate)
TRIGGERS = (
    ("Heartbeat", None, {"Accepted"}, "Heartbeat", None),
    ("StatusNotification", {"id": 1, "connector_id": 1}, {"Accepted"}, "StatusNotification", _evse11),
    ("StatusNotification", None, {"Rejected"}, None, None),  # F06.FR.12: needs EVSE and connector
    ("StatusNotification", {"id": 99, "connector_id": 1}, {"Rejected"}, None, None),  # no such EVSE
    ("MeterValues", {"id": 1}, {"Accepted", "Rejected"}, "MeterValues", lambda n: n.get("evse_id") == 1),
    # nothing is being updated or uploaded yet: Idle, without requestId (L01.FR.25, N01)
    ("FirmwareStatusNotification", None, {"Accepted"}, "FirmwareStatusNotification",
     lambda n: n.get("status") == "Idle"),
    ("LogStatusNotification", None, {"Accepted"}, "LogStatusNotification", lambda n: n.get("status") == "Idle"),
    ("BootNotification", None, {"Rejected"}, None, None),  # F06.FR.17: already Accepted
    # ISO 15118 certificates and local controllers are out of scope
    ("SignV2GCertificate", None, {"Rejected", "NotImplemented"}, None, None),
    ("SignCombinedCertificate", None, {"Rejected", "NotImplemented"}, None, None),
    ("PublishFirmwareStatusNotification", None, {"Rejected", "NotImplemented"}, None, None),
)


async def _trigger(ex, requested, evse, statuses, follows, predicate):
    args = {"requested_message": requested}
    if evse is not None:
        args["evse"] = evse
    since = ex.mark()
    res = await ex.call(call.TriggerMessage(**args))
    what = f"{requested}{' for EVSE ' + str(evse) if evse else ''}"
    if res is None or not ex.expect("TriggerMessage", {f"{s} ({what})" for s in statuses}, f"{res.status} ({what})"):
        return
    if res.status != "Accepted" or follows is None:
        return
    found = await ex.await_notice(follows, predicate or (lambda n: True), since=since, timeout=_quick(ex) * 2)
    if found is None:
        ex.miss("TriggerMessage", f"{follows} after TriggerMessage({what})", "none")
    elif found[0] < ex.st.answer_mark:
        ex.miss("TriggerMessage", f"the answer before the triggered {follows} (F06.FR.04)",
                f"{follows} first")


async def trigger_messages(ex):
    for row in TRIGGERS:
        await _trigger(ex, *row)
    # TransactionEvent: Updated with triggerReason Trigger while a transaction runs on EVSE 1
    open_tx = ex.open_on(1)
    if open_tx:
        tx_id = open_tx[0].id
        await _trigger(ex, "TransactionEvent", {"id": 1}, {"Accepted"}, "TransactionEvent",
                       lambda n: (n.get("transaction_info") or {}).get("transaction_id") == tx_id
                       and n.get("trigger_reason") == "Trigger")
    else:
        await _trigger(ex, "TransactionEvent", {"id": 1}, {"Accepted", "Rejected"}, None, None)


async def sign_certificate(ex):
    """A02/A03: the charge point's CSR, signed by a throwaway CA, installed with CertificateSigned."""
    since = ex.mark()
    res = await ex.call(call.TriggerMessage(requested_message="SignChargingStationCertificate"))
    if res is None or not ex.expect("TriggerMessage", "Accepted", res.status):
        return
    found = await ex.await_notice("SignCertificate", since=since)
    if found is None:
        ex.miss("TriggerMessage", "SignCertificate after SignChargingStationCertificate", "none")
        return
    notice = found[1]
    if notice.get("certificate_type") not in (None, "ChargingStationCertificate"):
        ex.miss("SignCertificate", "certificateType ChargingStationCertificate", notice.get("certificate_type"))
    chain, problem = authority().sign(notice.get("csr", ""))
    if chain is None:
        ex.miss("SignCertificate", "a valid PKCS#10 CSR", problem)
        return
    res = await ex.call(call.CertificateSigned(certificate_chain=chain, certificate_type="ChargingStationCertificate"))
    if res is not None:
        ex.expect("CertificateSigned", "Accepted", res.status)
    garbage = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n"
    res = await ex.call(call.CertificateSigned(certificate_chain=garbage, certificate_type="ChargingStationCertificate"))
    if res is not None:
        ex.expect("CertificateSigned", "Rejected", res.status)


async def unlock_connector(ex):
    """F05: Unlocked/UnlockFailed when idle, OngoingAuthorizedTransaction with a transaction
    (F05.FR.02), UnknownConnector for what does not exist."""
    for evse_id, connector_id in ((99, 1), (1, 99)):
        res = await ex.call(call.UnlockConnector(evse_id=evse_id, connector_id=connector_id))
        if res is not None:
            ex.expect("UnlockConnector", "UnknownConnector", res.status)
    busy = bool(ex.open_on(1))
    res = await ex.call(call.UnlockConnector(evse_id=1, connector_id=1))
    if res is not None:
        await _judge_by_state(ex, "UnlockConnector", res.status, busy, lambda: bool(ex.open_on(1)),
                              {"OngoingAuthorizedTransaction"}, {"Unlocked", "UnlockFailed"})


async def _judge_by_state(ex, action, status, busy, busy_now, when_busy, when_idle):
    """Checks an answer that depends on whether a transaction runs. A driver may have started or
    ended one an instant before the charge point answered: when the answer fits the other state,
    look again a second later and accept it if the state did change."""
    expected = when_busy if busy else when_idle
    if status in expected:
        return
    await asyncio.sleep(1.0)
    if busy_now() != busy:
        expected = when_busy | when_idle
    ex.expect(action, {f"{s} ({'busy' if busy else 'idle'})" for s in expected},
              f"{status} ({'busy' if busy else 'idle'})")


# --------------------------------------------------------------------------- G Availability


async def _status_after(ex, since, evse_id, predicate, what):
    found = await ex.await_notice("StatusNotification",
                                  lambda n: n.get("evse_id") == evse_id and predicate(n.get("status")),
                                  since=since, timeout=_quick(ex))
    if found is None:
        ex.miss("ChangeAvailability", f"StatusNotification {what} for EVSE {evse_id}", "none")


async def change_availability(ex):
    """G03 (EVSE) and G04 (station): Inoperative then Operative, with the StatusNotifications
    that follow; Scheduled while a transaction runs; Rejected for an EVSE that does not exist."""
    res = await ex.call(call.ChangeAvailability(operational_status="Inoperative", evse={"id": 99}))
    if res is not None:
        ex.expect("ChangeAvailability", "Rejected", res.status)
    for scope in ({"id": 1}, None):
        args = {"evse": scope} if scope is not None else {}
        where = "EVSE 1" if scope else "station"

        def busy_now():
            return bool(ex.open_on(1)) if scope else bool(ex.ledger.open_for(ex.cp.id))

        busy = busy_now()
        since = ex.mark()
        res = await ex.call(call.ChangeAvailability(operational_status="Inoperative", **args))
        if res is None:
            continue
        await _judge_by_state(ex, f"ChangeAvailability ({where})", res.status, busy, busy_now,
                              {"Scheduled"}, {"Accepted"})
        if res.status == "Accepted" and ex.st.status.get((1, 1)) != "Unavailable":
            await _status_after(ex, since, 1, lambda s: s == "Unavailable", "Unavailable")
        since = ex.mark()
        res = await ex.call(call.ChangeAvailability(operational_status="Operative", **args))
        if res is not None and ex.expect("ChangeAvailability", "Accepted", res.status) \
                and ex.st.status.get((1, 1)) == "Unavailable":
            await _status_after(ex, since, 1, lambda s: s != "Unavailable", "back from Unavailable")


# --------------------------------------------------------------------------- H Reservation


async def reservation(ex):
    """H01/H02: a reservation of a free EVSE 1 (Reserved, then Available after the cancel),
    one of an EVSE that does not exist, a cancel of an unknown one, and one without EVSE
    (optional: H01.FR.19)."""
    reservation_id = random.randint(1000, 9999)
    free = ex.evse_free(1)
    since = ex.mark()
    res = await ex.call(call.ReserveNow(id=reservation_id, expiry_date_time=_iso(120), id_token=RESERVE_TOKEN,
                                        evse_id=1))
    if res is not None:
        if not free:
            ex.expect("ReserveNow", {"Accepted", "Occupied", "Faulted", "Unavailable", "Rejected"}, res.status)
        elif res.status != "Accepted":
            await asyncio.sleep(1.0)  # a driver may have taken EVSE 1 an instant earlier
            if ex.evse_free(1):
                ex.expect("ReserveNow", "Accepted (EVSE 1 free)", f"{res.status} (EVSE 1 free)")
        if res.status == "Accepted":
            found = await ex.await_notice("StatusNotification", lambda n: _evse11(n) and n["status"] == "Reserved",
                                          since=since, timeout=_quick(ex))
            if found is None:
                ex.miss("ReserveNow", "StatusNotification Reserved for EVSE 1 connector 1", "none")
            since = ex.mark()
            res = await ex.call(call.CancelReservation(reservation_id=reservation_id))
            if res is not None and ex.expect("CancelReservation", "Accepted", res.status) and found is not None:
                if await ex.await_notice("StatusNotification", lambda n: _evse11(n) and n["status"] != "Reserved",
                                         since=since, timeout=_quick(ex)) is None:
                    ex.miss("CancelReservation", "StatusNotification Available for EVSE 1 connector 1", "none")
    res = await ex.call(call.ReserveNow(id=reservation_id + 1, expiry_date_time=_iso(120), id_token=RESERVE_TOKEN,
                                        evse_id=99))
    if res is not None:
        ex.expect("ReserveNow", "Rejected", res.status)
    res = await ex.call(call.CancelReservation(reservation_id=reservation_id + 5000))
    if res is not None:
        ex.expect("CancelReservation", "Rejected", res.status)
    res = await ex.call(call.ReserveNow(id=reservation_id + 2, expiry_date_time=_iso(120), id_token=RESERVE_TOKEN))
    if res is not None and ex.expect("ReserveNow", {"Accepted", "Rejected", "Occupied", "Unavailable", "Faulted"},
                                     res.status) and res.status == "Accepted":
        res = await ex.call(call.CancelReservation(reservation_id=reservation_id + 2))
        if res is not None:
            ex.expect("CancelReservation", "Accepted", res.status)


# --------------------------------------------------------------------------- K Smart charging


def _profile(profile_id, purpose, stack_level, periods, start_delta=0):
    return {"id": profile_id, "stack_level": stack_level, "charging_profile_purpose": purpose,
            "charging_profile_kind": "Absolute",
            "charging_schedule": [{"id": profile_id, "start_schedule": _iso(start_delta), "charging_rate_unit": "W",
                                   "charging_schedule_period": [{"start_period": s, "limit": lim}
                                                                for s, lim in periods]}]}


TX_DEFAULT = 501
STATION_MAX = 502
# (what, evseId, profile, statuses)
PROFILES = (
    ("TxDefaultProfile on the station", 0, _profile(TX_DEFAULT, "TxDefaultProfile", 1, [(0, 7400.0), (300, 3700.0)]),
     {"Accepted"}),
    ("ChargingStationMaxProfile", 0, _profile(STATION_MAX, "ChargingStationMaxProfile", 0, [(0, 22000.0)], -60),
     {"Accepted"}),
    # a station maximum only on evseId 0
    ("ChargingStationMaxProfile on EVSE 1", 1, _profile(505, "ChargingStationMaxProfile", 0, [(0, 11000.0)]),
     {"Rejected"}),
    # K01.FR.22: the CSMS may not set external constraints
    ("ChargingStationExternalConstraints", 1, _profile(506, "ChargingStationExternalConstraints", 0,
                                                       [(0, 11000.0)]), {"Rejected"}),
)


async def smart_charging(ex):
    for what, evse_id, profile, statuses in PROFILES:
        res = await ex.call(call.SetChargingProfile(evse_id=evse_id, charging_profile=profile))
        if res is not None:
            ex.expect("SetChargingProfile", {f"{s} ({what})" for s in statuses}, f"{res.status} ({what})")
    if not ex.open_on(1):
        # K01.FR.03: a TxProfile needs a transaction
        profile = dict(_profile(503, "TxProfile", 2, [(0, 6000.0)]))
        res = await ex.call(call.SetChargingProfile(evse_id=1, charging_profile=profile))
        if res is not None:
            ex.expect("SetChargingProfile", "Rejected (TxProfile without transaction)",
                      f"{res.status} (TxProfile without transaction)")
    await _charging_profiles_report(ex)
    await _composite_schedule(ex)
    for args, status in (({"charging_profile_id": TX_DEFAULT}, "Accepted"),
                         ({"charging_profile_id": 99999}, "Unknown"),
                         ({"charging_profile_criteria": {"charging_profile_purpose": "ChargingStationMaxProfile"}},
                          "Accepted")):
        res = await ex.call(call.ClearChargingProfile(**args))
        if res is not None:
            ex.expect("ClearChargingProfile", status, res.status)


async def _charging_profiles_report(ex):
    """K09: GetChargingProfiles, then ReportChargingProfiles up to tbc=false holding our profile."""
    request_id = ex.request_id()
    key = (ex.cp.id, "ReportChargingProfiles", request_id)
    series = ex.c.expect_report(ex.cp.id, "ReportChargingProfiles", request_id)
    res = await ex.call(call.GetChargingProfiles(request_id=request_id,
                                                 charging_profile={"charging_profile_purpose": "TxDefaultProfile"}))
    if res is None or not ex.expect("GetChargingProfiles", "Accepted", res.status):
        ex.c.reports.pop(key, None)
    elif not await ex.await_condition(lambda: series.complete):
        ex.miss("GetChargingProfiles", f"ReportChargingProfiles up to tbc=false for requestId {request_id}",
                f"{len(series.parts)} part(s)")
    else:
        ids = [p.get("id") for part in series.items for p in part.get("charging_profile") or []]
        if TX_DEFAULT not in ids:
            ex.miss("GetChargingProfiles", f"profile {TX_DEFAULT} reported", ids)
    request_id = ex.request_id()
    res = await ex.call(call.GetChargingProfiles(request_id=request_id,
                                                 charging_profile={"charging_profile_id": [99999]}))
    if res is not None:
        ex.expect("GetChargingProfiles", "NoProfiles", res.status)


async def _composite_schedule(ex):
    """K08: EVSE 1 without a transaction runs under the TxDefaultProfile capped by the station
    maximum: at most 7400 W for the first 300 s, at most 3700 W from then on."""
    idle = not ex.open_on(1)
    res = await ex.call(call.GetCompositeSchedule(duration=600, evse_id=1, charging_rate_unit="W"))
    if res is not None and ex.expect("GetCompositeSchedule", "Accepted", res.status):
        schedule = res.schedule or {}
        if schedule.get("evse_id") != 1 or schedule.get("charging_rate_unit") != "W":
            ex.miss("GetCompositeSchedule", "a schedule for EVSE 1 in W",
                    f"evseId {schedule.get('evse_id')}, {schedule.get('charging_rate_unit')}")
        periods = [(p.get("start_period"), p.get("limit")) for p in schedule.get("charging_schedule_period") or []]
        if idle:
            def limit_at(t):
                current = None
                for start, lim in periods:
                    if start <= t:
                        current = lim
                return current
            early, late = limit_at(0), limit_at(320)
            if early is None or early > 7400.01 or late is None or late > 3700.01:
                ex.miss("GetCompositeSchedule", "<= 7400 W from 0 s, <= 3700 W from ~300 s", periods)
    res = await ex.call(call.GetCompositeSchedule(duration=600, evse_id=99))
    if res is not None:
        ex.expect("GetCompositeSchedule", "Rejected", res.status)


# --------------------------------------------------------------------------- E/F Transactions


def _points(ex, name):
    return {p.strip() for p in str(ex.st.variables.get(name) or "").split(",") if p.strip()}


async def remote_transaction(ex):
    """E14 GetTransactionStatus, F01/F02 RequestStartTransaction (the TransactionEvent that
    carries its remoteStartId, triggerReason RemoteStart), F03 RequestStopTransaction (Rejected
    for an unknown transaction: F03.FR.08)."""
    res = await ex.call(call.GetTransactionStatus())
    if res is not None and res.ongoing_indicator is not None:
        ex.miss("GetTransactionStatus", "no ongoingIndicator without transactionId (E14)", res.ongoing_indicator)
    res = await ex.call(call.GetTransactionStatus(transaction_id="peer-unknown-tx"))
    if res is not None and res.ongoing_indicator:
        ex.miss("GetTransactionStatus", "ongoingIndicator false for an unknown transaction", res.ongoing_indicator)
    res = await ex.call(call.RequestStopTransaction(transaction_id="peer-unknown-tx"))
    if res is not None:
        ex.expect("RequestStopTransaction", "Rejected", res.status)

    free = ex.evse_free(1)
    remote_start_id = random.randint(1, 2_000_000_000)
    since = ex.mark()
    res = await ex.call(call.RequestStartTransaction(id_token=REMOTE_TOKEN, remote_start_id=remote_start_id, evse_id=1))
    if res is None:
        return
    if res.status != "Accepted":
        if free:
            await asyncio.sleep(1.0)  # a driver may have taken EVSE 1 an instant earlier
            if ex.evse_free(1):
                ex.expect("RequestStartTransaction", "Accepted (EVSE 1 free)", f"{res.status} (EVSE 1 free)")
        return
    found = await ex.await_notice("TransactionEvent",
                                  lambda n: (n.get("transaction_info") or {}).get("remote_start_id") == remote_start_id,
                                  since=since)
    required = "Authorized" in _points(ex, "TxStartPoint") or res.transaction_id is not None
    if found is None:
        if required:
            ex.miss("RequestStartTransaction", f"TransactionEvent with remoteStartId {remote_start_id}",
                    f"none within {ex.opts.exercise_timeout:g}s")
        else:
            ex.note(f"no transaction after the remote start: TxStartPoint {_points(ex, 'TxStartPoint')} waits "
                    "for an EV that did not come")
        return
    event = found[1]
    tx_id = event["transaction_info"]["transaction_id"]
    ex.expect("TransactionEvent", "RemoteStart", event.get("trigger_reason"))
    if res.transaction_id is not None and res.transaction_id != tx_id:
        ex.miss("RequestStartTransaction", f"transactionId {res.transaction_id} in the TransactionEvent", tx_id)
    if (event.get("id_token") or {}).get("id_token", REMOTE_TOKEN["id_token"]) != REMOTE_TOKEN["id_token"]:
        ex.miss("TransactionEvent", f"idToken {REMOTE_TOKEN['id_token']}", event.get("id_token"))
    await _remote_stop(ex, tx_id)


async def _remote_stop(ex, tx_id):
    tx = ex.ledger.get(ex.cp.id, tx_id)
    await ex.pause(0.5, 1.5)
    res = await ex.call(call.GetTransactionStatus(transaction_id=tx_id))
    if res is not None and tx is not None and not tx.ended:
        ex.expect("GetTransactionStatus", True, res.ongoing_indicator)
    since = ex.mark()
    res = await ex.call(call.RequestStopTransaction(transaction_id=tx_id))
    if res is None:
        return
    if res.status == "Rejected" and tx is not None and await ex.await_condition(lambda: tx.ended, _quick(ex)):
        return  # ended by the charge point itself an instant earlier (F03.FR.08 then applies)
    if not ex.expect("RequestStopTransaction", "Accepted", res.status):
        return
    found = await ex.await_notice("TransactionEvent",
                                  lambda n: (n.get("transaction_info") or {}).get("transaction_id") == tx_id
                                  and n.get("trigger_reason") == "RemoteStop", since=since)
    if found is None:
        ex.miss("RequestStopTransaction", f"TransactionEvent triggerReason RemoteStop for {tx_id}", "none")
        return
    stops_on_remote = _points(ex, "TxStopPoint") & {"Authorized", "PowerPathClosed", "EnergyTransfer"}
    if tx is not None and (stops_on_remote or found[1].get("event_type") == "Ended"):
        if not await ex.await_condition(lambda: tx.ended):
            ex.miss("RequestStopTransaction", f"TransactionEvent Ended for {tx_id}", "none")
            return
        ex.expect("TransactionEvent", "Remote", tx.stopped_reason)
        res = await ex.call(call.GetTransactionStatus(transaction_id=tx_id))
        if res is not None:
            ex.expect("GetTransactionStatus", False, bool(res.ongoing_indicator))


# --------------------------------------------------------------------------- N Diagnostics


LOG_TERMINAL = {"Uploaded", "UploadFailure", "BadMessage", "NotSupportedOperation", "PermissionDenied"}


async def get_log(ex):
    for log_type in ("DiagnosticsLog", "SecurityLog"):
        request_id = ex.request_id()
        since = ex.mark()
        res = await ex.call(call.GetLog(log={"remote_location": "ftp://127.0.0.1/logs/"}, log_type=log_type,
                                        request_id=request_id, retries=1, retry_interval=2))
        if res is None or not ex.expect("GetLog", "Accepted", res.status):
            continue
        found = await ex.await_notice("LogStatusNotification",
                                      lambda n: n.get("request_id") == request_id and n.get("status") in LOG_TERMINAL,
                                      since=since)
        if found is None:
            ex.miss("GetLog", f"LogStatusNotification {'|'.join(sorted(LOG_TERMINAL))} for {request_id}", "none")


async def customer_information(ex):
    """N09: a report for an idToken comes as NotifyCustomerInformation parts up to tbc=false;
    a request naming no customer is not Accepted."""
    request_id = ex.request_id()
    key = (ex.cp.id, "NotifyCustomerInformation", request_id)
    series = ex.c.expect_report(ex.cp.id, "NotifyCustomerInformation", request_id)
    res = await ex.call(call.CustomerInformation(request_id=request_id, report=True, clear=False,
                                                 id_token=CUSTOMER_TOKEN))
    if res is None or not ex.expect("CustomerInformation", "Accepted", res.status):
        ex.c.reports.pop(key, None)
    elif not await ex.await_condition(lambda: series.complete):
        ex.miss("CustomerInformation", f"NotifyCustomerInformation up to tbc=false for {request_id}",
                f"{len(series.parts)} part(s)")
    res = await ex.call(call.CustomerInformation(request_id=ex.request_id(), report=True, clear=False))
    if res is not None:
        ex.expect("CustomerInformation", {"Invalid", "Rejected"}, res.status)


# --------------------------------------------------------------------------- L Firmware


# Progress of an update (L01); failures end it at any point.
FIRMWARE_ORDER = ("DownloadScheduled", "Downloading", "Downloaded", "SignatureVerified", "InstallScheduled",
                  "Installing", "InstallRebooting", "Installed")
FIRMWARE_RANK = dict({s: i for i, s in enumerate(FIRMWARE_ORDER)}, DownloadPaused=1)
FIRMWARE_TERMINAL = {"Installed", "DownloadFailed", "InstallationFailed", "InvalidSignature",
                     "InstallVerificationFailed"}


async def update_firmware_send(ex):
    st = ex.st
    st.variables["firmware.since"] = ex.mark()
    st.variables["firmware.boots"] = st.boots
    request_id = ex.request_id()
    st.variables["firmware.request"] = request_id
    firmware = {"location": "https://127.0.0.1/firmware/sim-2.0.1.bin", "retrieve_date_time": _iso(0),
                "signing_certificate": authority().pem,
                "signature": base64.b64encode(b"peer-csms signature").decode()}
    res = await ex.call(call.UpdateFirmware(request_id=request_id, firmware=firmware, retries=1, retry_interval=2))
    st.variables["firmware.status"] = res.status if res is not None else None
    if res is not None:
        ex.expect("UpdateFirmware", {"Accepted", "InvalidCertificate"}, res.status)


async def update_firmware_wait(ex):
    st = ex.st
    since, request_id = st.variables.get("firmware.since", 0), st.variables.get("firmware.request")
    status = st.variables.get("firmware.status")
    if status == "InvalidCertificate":
        # L01.FR.02: a signing certificate that fails verification is a security event
        if await ex.await_notice("SecurityEventNotification",
                                 lambda n: n.get("type") == "InvalidFirmwareSigningCertificate", since=since) is None:
            ex.miss("UpdateFirmware", "SecurityEventNotification InvalidFirmwareSigningCertificate", "none")
        return
    if status != "Accepted":
        return
    found = await ex.await_notice("FirmwareStatusNotification",
                                  lambda n: n.get("request_id") == request_id and n.get("status") in FIRMWARE_TERMINAL,
                                  since=since, timeout=ex.opts.exercise_timeout * 2)
    if found is None:
        ex.miss("UpdateFirmware", f"FirmwareStatusNotification {'|'.join(sorted(FIRMWARE_TERMINAL))}", "none")
        return
    seen = [n.get("status") for a, n in st.notices[since:found[0] + 1]
            if a == "FirmwareStatusNotification" and n.get("request_id") == request_id]
    ranks = [FIRMWARE_RANK[s] for s in seen if s in FIRMWARE_RANK]
    if ranks != sorted(ranks):
        ex.miss("FirmwareStatusNotification", " -> ".join(FIRMWARE_ORDER), " -> ".join(seen))
    if "InstallRebooting" in seen:
        boot = [n for a, n in st.notices[since:] if a == "BootNotification"]
        if not boot or boot[0].get("reason") != "FirmwareUpdate":
            ex.miss("BootNotification", "reason FirmwareUpdate after InstallRebooting",
                    boot[0].get("reason") if boot else "no boot")


# --------------------------------------------------------------------------- B Reset


async def _reset_send(ex, kind):
    st = ex.st
    st.variables["reset.kind"] = kind
    st.variables["reset.boots"] = st.boots
    st.variables["reset.since"] = ex.mark()
    st.variables["reset.open"] = [t.id for t in ex.ledger.open_for(ex.cp.id)]
    busy = bool(st.variables["reset.open"])
    res = await ex.call(call.Reset(type=kind))
    st.variables["reset.status"] = res.status if res is not None else None
    if res is None:
        return
    if kind == "OnIdle":
        # B12.FR.01: OnIdle waits for running transactions
        await _judge_by_state(ex, "Reset OnIdle", res.status, busy, lambda: bool(ex.ledger.open_for(ex.cp.id)),
                              {"Scheduled"}, {"Accepted"})
    else:
        ex.expect("Reset", "Accepted", res.status)


async def reset_on_idle_send(ex):
    # an EVSE that does not exist cannot be reset
    res = await ex.call(call.Reset(type="OnIdle", evse_id=99))
    if res is not None:
        ex.expect("Reset", "Rejected", res.status)
    await _reset_send(ex, "OnIdle")


async def reset_immediate_send(ex):
    await _reset_send(ex, "Immediate")


async def reset_wait(ex):
    """B11/B12: the charge point reboots and boots with reason RemoteReset; an Immediate reset
    ends its transactions with stoppedReason ImmediateReset (B12.FR.04)."""
    st = ex.st
    kind, status = st.variables.get("reset.kind"), st.variables.get("reset.status")
    if status not in ("Accepted", "Scheduled"):
        return
    boots = st.variables.get("reset.boots", 0)
    timeout = ex.opts.exercise_timeout * (3 if status == "Scheduled" else 1)
    if not await ex.await_condition(lambda: st.boots > boots, timeout):
        if status == "Scheduled":
            ex.note(f"Reset {kind} Scheduled: no reboot within {timeout:g}s (a transaction still running)")
        else:
            ex.miss("Reset", f"a BootNotification after Reset {kind}", f"none within {timeout:g}s")
        return
    reason = st.boot_reasons[boots] if len(st.boot_reasons) > boots else None
    ex.expect("BootNotification", "RemoteReset", reason)
    if kind != "Immediate":
        return
    for tx_id in st.variables.get("reset.open", []):
        tx = ex.ledger.get(ex.cp.id, tx_id)
        if tx is None or not await ex.await_condition(lambda: tx.ended):
            ex.miss("Reset", f"TransactionEvent Ended for {tx_id} after Reset Immediate", "none")
        else:
            ex.expect("TransactionEvent", "ImmediateReset", tx.stopped_reason)
