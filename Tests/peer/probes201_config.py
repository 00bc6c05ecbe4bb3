"""Exercise steps of the OCPP 2.0.1 peer (table STEPS in exercise201.py) about the device model
and the RPC framework: GetVariables, SetVariables, GetBaseReport/GetReport with their
NotifyReport parts, SetVariableMonitoring, ClearCache, DataTransfer, the local authorization
list, and operations of blocks the fleet leaves out. Each function takes the Exercise (`ex`);
requirement ids (B06.FR.16, ...) are OCPP 2.0.1 part 2 with the edition 2 errata.
"""

from __future__ import annotations

import asyncio
import json

from ocpp.messages import MessageType
from ocpp.v201 import call

from peercore import CPCallError, InvalidResponse, finite_number

UNKNOWN_COMPONENT = "PeerUnknownComponent"
UNKNOWN_VARIABLE = "PeerUnknownVariable"
EXERCISE_VENDOR = "com.example.peer-csms"


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
    # B06: a WriteOnly variable is never read back (the variable itself is optional)
    ("write-only variable", cv("SecurityCtrlr", "BasicAuthPassword"), {"Rejected", "UnknownVariable"}),
    ("attribute type", cv("OCPPCommCtrlr", "OfflineThreshold", attribute_type="Target"),
     {"NotSupportedAttributeType", "Accepted"}),
)


def _set_probes(ex):
    """(what, component-variable, value, statuses) for SetVariables (B05), one request each."""
    current = finite_number(ex.st.variables.get("OfflineThreshold"))
    new = str(int(current) + 1) if current is not None else "61"
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
            key = cv_key(entry)
            if key not in got and key[:4] + ("Actual",) in got and key[4] != "Actual":
                got[key] = got[key[:4] + ("Actual",)]  # the result left out the attributeType asked for
            if key not in got:
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
