#!/usr/bin/env python3
"""Generates the typed OCPP 2.0.1 messages of Sources/OCPP/V201 from the official JSON schemas.

The schemas ship in the PyPI `ocpp` package (`ocpp/v201/schemas/`, "OCPP 2.0.1 FINAL"). Every
constraint they state becomes a check in the decoder: `required`, JSON `type`, `enum`,
`maxLength`, `minItems`/`maxItems`, `minimum`/`maximum`, `format: date-time` and
`additionalProperties: false`. Hand-writing some 80 payloads would copy the schemas by eye;
generating them keeps the Swift types and the schemas in step, and the schema-conformance test
(Tests/OCPPTests/V201SchemaConformanceTests.swift) checks the result against the same files.

    scripts/generate-v201.py [SCHEMA_DIR]

Writes `Sources/OCPP/V201/Generated/*.swift` (one file per action, plus the definitions
several actions share) and `Tests/OCPPTests/Fixtures/v201-samples.jsonl` (a rich and a minimal payload per
message, derived from the schemas, one JSON line each; every enum value is decoded by the
mutations the conformance test derives from the rich one). Only the actions in `IN_SCOPE` get types; the others are
listed in `V201.Action` so that a charge point can answer them NotSupported.
"""
import glob
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Sources/OCPP/V201/Generated")
SAMPLES = os.path.join(ROOT, "Tests/OCPPTests/Fixtures/v201-samples.jsonl")

# Charge-point side of issue 10: every CP->CSMS message and CSMS->CP operation we model.
IN_SCOPE = [
    # CP -> CSMS
    "Authorize", "BootNotification", "FirmwareStatusNotification", "Heartbeat", "LogStatusNotification",
    "MeterValues", "NotifyCustomerInformation", "NotifyEvent", "NotifyReport", "ReportChargingProfiles",
    "ReservationStatusUpdate", "SecurityEventNotification", "SignCertificate", "StatusNotification",
    "TransactionEvent",
    # both
    "DataTransfer",
    # CSMS -> CP
    "CancelReservation", "CertificateSigned", "ChangeAvailability", "ClearCache", "ClearChargingProfile",
    "ClearVariableMonitoring", "CustomerInformation", "GetBaseReport", "GetChargingProfiles",
    "GetCompositeSchedule", "GetLocalListVersion", "GetLog", "GetReport", "GetTransactionStatus",
    "GetVariables", "RequestStartTransaction", "RequestStopTransaction", "ReserveNow", "Reset",
    "SendLocalList", "SetChargingProfile", "SetNetworkProfile", "SetVariableMonitoring", "SetVariables",
    "TriggerMessage", "UnlockConnector", "UpdateFirmware",
]

CP_INITIATED = {
    "Authorize", "BootNotification", "ClearedChargingLimit", "DataTransfer", "FirmwareStatusNotification",
    "Get15118EVCertificate", "GetCertificateStatus", "Heartbeat", "LogStatusNotification", "MeterValues",
    "NotifyChargingLimit", "NotifyCustomerInformation", "NotifyDisplayMessages", "NotifyEVChargingNeeds",
    "NotifyEVChargingSchedule", "NotifyEvent", "NotifyMonitoringReport", "NotifyReport",
    "PublishFirmwareStatusNotification", "ReportChargingProfiles", "ReservationStatusUpdate",
    "SecurityEventNotification", "SignCertificate", "StatusNotification", "TransactionEvent",
}

SWIFT_KEYWORDS = {
    "as", "break", "case", "catch", "class", "continue", "default", "defer", "do", "else", "enum",
    "extension", "fallthrough", "false", "for", "func", "guard", "if", "import", "in", "init", "inout",
    "internal", "is", "let", "nil", "operator", "private", "protocol", "public", "repeat", "return",
    "self", "static", "struct", "subscript", "super", "switch", "throw", "throws", "true", "try",
    "typealias", "var", "where", "while", "Type", "Any", "Self",
}


def schema_dir():
    if len(sys.argv) > 1:
        return sys.argv[1]
    found = glob.glob(os.path.join(ROOT, ".venv/lib/python3*/site-packages/ocpp/v201/schemas"))
    if not found:
        sys.exit("no ocpp/v201/schemas in .venv; pass the directory")
    return found[0]


def load(directory):
    schemas = {}
    for path in sorted(glob.glob(os.path.join(directory, "*.json"))):
        name = os.path.basename(path)[:-5]
        with open(path, encoding="utf-8") as handle:
            schemas[name] = json.load(handle)
    return schemas


def doc(description, indent):
    """The last meaningful line of a schema description, as a doc comment."""
    if not description:
        return ""
    lines = [l.strip() for l in description.replace("\r", "").split("\n")]
    lines = [l for l in lines if l and not l.startswith("urn:")]
    # Keep the prose: the data dictionary's names ("Charge_ Point", "ID_ Token. Type. ID") go.
    prose = [l for l in lines if "_ " not in l and not re.match(r"^[A-Z][\w ]*(\. [\w ]+)+\.?$", l)]
    text = " ".join(prose or lines).replace("*/", "* /")
    # AsciiDoc cross references: <<cmn_registrationstatusenumtype,Status>> -> Status.
    text = re.sub(r"&lt;&lt;[^,&]*,([^&]*)&gt;&gt;", r"\1", text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    if len(text) > 300:
        text = text[:297].rstrip() + "..."
    return f"{indent}/// {text}\n" if text else ""


def case_name(value):
    """A Swift case name for an enum's wire value: lowerCamelCase, keywords escaped."""
    parts = [p for p in re.split(r"[^A-Za-z0-9]+", value) if p]
    if not parts:
        sys.exit(f"enum value {value!r} gives no name")
    first = parts[0]
    # Lower the leading run of capitals, except the last one when a lower-case letter follows
    # ("ISO15118" -> "iso15118", "EVConnected" -> "evConnected", "SoC" -> "soC").
    m = re.match(r"^([A-Z]+)(?=[A-Z][a-z])|^([A-Z]+)", first)
    if m:
        run = m.group(1) or m.group(2)
        first = run.lower() + first[len(run):]
    name = first + "".join(p[0].upper() + p[1:] for p in parts[1:])
    if name[0].isdigit():
        name = "_" + name
    return f"`{name}`" if name in SWIFT_KEYWORDS else name


def prop_name(name):
    return f"`{name}`" if name in SWIFT_KEYWORDS else name


class Model:
    def __init__(self, schemas):
        self.schemas = schemas
        self.definitions = {}   # definition name -> schema node
        self.users = {}         # definition name -> set of actions using it
        for action in IN_SCOPE:
            for kind in ("Request", "Response"):
                schema = schemas[action + kind]
                for name, node in schema.get("definitions", {}).items():
                    self.definitions[name] = node
                    self.users.setdefault(name, set()).add(action)

    def type_name(self, definition):
        return self.definitions[definition]["javaType"]

    def is_enum(self, definition):
        return "enum" in self.definitions[definition]


def ref_name(node):
    ref = node.get("$ref")
    return ref.split("/")[-1] if ref else None


class Field:
    """One property of an object schema, as the generator needs it."""

    def __init__(self, model, name, node, required):
        self.model = model
        self.name = name
        self.node = node
        self.required = required
        self.is_array = node.get("type") == "array"
        self.element = node["items"] if self.is_array else node

    @property
    def element_kind(self):
        element = self.element
        ref = ref_name(element)
        if ref == "CustomDataType":
            return "custom"
        if ref:
            return "enum" if self.model.is_enum(ref) else "object"
        t = element.get("type")
        if t is None:
            return "any"  # DataTransfer's data: any JSON value
        if t == "string" and element.get("format") == "date-time":
            return "timestamp"
        return {"string": "string", "integer": "integer", "number": "number", "boolean": "bool"}[t]

    @property
    def element_type(self):
        kind = self.element_kind
        if kind == "custom":
            return "CustomData"
        if kind in ("enum", "object"):
            return self.model.type_name(ref_name(self.element))
        return {"any": "JSONValue", "timestamp": "Timestamp", "string": "String", "integer": "Int", "number": "Double",
                "bool": "Bool"}[kind]

    @property
    def swift_type(self):
        base = f"[{self.element_type}]" if self.is_array else self.element_type
        return base if self.required else base + "?"

    def decode(self, reader="r"):
        key = json.dumps(self.name)
        kind = self.element_kind
        opt = "" if self.required else "optional"
        if self.is_array:
            bounds = f"minItems: {self.node.get('minItems', 0)}"
            if "maxItems" in self.node:
                bounds += f", maxItems: {self.node['maxItems']}"
            length = self.element.get("maxLength")
            helper = {"object": "objects", "custom": "objects", "enum": "enumerations", "string": "strings",
                      "integer": "integers", "number": "numbers", "timestamp": "timestamps", "bool": "bools"}[kind]
            extra = f", maxLength: {length}" if kind == "string" and length else ""
            method = helper if self.required else "optional" + helper[0].upper() + helper[1:]
            return f"try {reader}.{method}({key}, {bounds}{extra})"
        if kind == "any":
            return f"{reader}.value({key})"
        if kind in ("object", "custom"):
            return f"try {reader}.{opt + 'Object' if opt else 'object'}({key})"
        if kind == "enum":
            return f"try {reader}.{opt + 'Enumeration' if opt else 'enumeration'}({key})"
        if kind == "string":
            length = self.node.get("maxLength")
            suffix = f", maxLength: {length}" if length else ""
            return f"try {reader}.{opt + 'String' if opt else 'string'}({key}{suffix})"
        method = {"timestamp": "timestamp", "integer": "integer", "number": "number", "bool": "bool"}[kind]
        name = (opt + method[0].upper() + method[1:]) if opt else method
        return f"try {reader}.{name}({key})"

    def range_checks(self, indent):
        lines = []
        var = prop_name(self.name)
        for bound, op, words in (("minimum", "<", "at least"), ("maximum", ">", "at most")):
            if bound in self.node:
                limit = self.node[bound]
                limit = int(limit) if float(limit).is_integer() else limit
                cond = f"{var} {op} {limit}" if self.required else f"let value = {var}, value {op} {limit}"
                lines.append(f"{indent}if {cond} {{ throw r.outOfRange({json.dumps(self.name)}, \"must be {words} {limit}\") }}")
        return lines

    def encode(self, writer="w"):
        return f"{writer}.field({json.dumps(self.name)}, {prop_name(self.name)})"


def struct(model, name, node, indent, conformance, extra_lines=()):
    required = set(node.get("required", []))
    fields = [Field(model, key, value, key in required) for key, value in node.get("properties", {}).items()]
    # Required fields first in the initializer, schema order otherwise.
    ordered = sorted(fields, key=lambda f: (f.name == "customData",))
    out = []
    out.append(doc(node.get("description"), indent))
    out.append(f"{indent}public struct {name}: {conformance} {{\n")
    for line in extra_lines:
        out.append(f"{indent}    {line}\n")
    if extra_lines:
        out.append("\n")
    for field in fields:
        out.append(doc(field.node.get("description"), indent + "    "))
        out.append(f"{indent}    public var {prop_name(field.name)}: {field.swift_type}\n")
    params = ", ".join(
        f"{prop_name(f.name) if f.name not in SWIFT_KEYWORDS else f.name}: {f.swift_type}{'' if f.required else ' = nil'}"
        for f in ordered)
    out.append("\n")
    out.append(f"{indent}    public init({params}) {{\n")
    for f in fields:
        out.append(f"{indent}        self.{prop_name(f.name)} = {prop_name(f.name)}\n")
    out.append(f"{indent}    }}\n\n")
    members = ", ".join(json.dumps(f.name) for f in fields)
    out.append(f"{indent}    public static let members = [{members}]\n\n")
    out.append(f"{indent}    public init(reader r: PayloadReader) throws(CallError) {{\n")
    for f in fields:
        out.append(f"{indent}        {prop_name(f.name)} = {f.decode()}\n")
        for line in f.range_checks(indent + "        "):
            out.append(line + "\n")
    out.append(f"{indent}    }}\n\n")
    out.append(f"{indent}    public func encode(to w: inout JSONWriter) {{\n")
    if fields:
        out.append(f"{indent}        w.object {{ w in\n")
        for f in fields:
            out.append(f"{indent}            {f.encode()}\n")
        out.append(f"{indent}        }}\n")
    else:
        out.append(f"{indent}        w.object {{ _ in }}\n")
    out.append(f"{indent}    }}\n")
    out.append(f"{indent}}}\n")
    return "".join(out)


def enum(model, definition, indent):
    node = model.definitions[definition]
    name = model.type_name(definition)
    out = [doc(node.get("description"), indent), f"{indent}public enum {name}: String, OCPPEnum {{\n"]
    seen = set()
    for value in node["enum"]:
        case = case_name(value)
        if case in seen:
            sys.exit(f"{name}: two values give the case {case}")
        seen.add(case)
        out.append(f"{indent}    case {case} = {json.dumps(value)}\n")
    out.append(f"{indent}}}\n")
    return "".join(out)


def definition_code(model, definition, indent):
    if definition == "CustomDataType":
        return ""  # hand-written: CustomData.swift (open object)
    if model.is_enum(definition):
        return enum(model, definition, indent)
    return struct(model, model.type_name(definition), model.definitions[definition], indent, "SchemaObject")


HEADER = "// Generated by scripts/generate-v201.py from the OCPP 2.0.1 JSON schemas. Do not edit.\n\n"


def action_file(model, action):
    out = [HEADER, "extension V201 {\n"]
    for kind in ("Request", "Response"):
        schema = model.schemas[action + kind]
        if kind == "Request":
            extra = [f"public typealias Response = {action}Response",
                     f"public static let action = Action.{case_name(action)}.rawValue"]
            conformance = "OCPPRequest, SchemaObject"
        else:
            extra = []
            conformance = "SchemaObject"
        schema = dict(schema)
        if not schema.get("description"):
            schema["description"] = (f"{action}Request: a CALL of the {'charging station' if action in CP_INITIATED else 'CSMS'}."
                                     if kind == "Request" else f"The answer to {action}Request.")
        out.append(struct(model, action + kind, schema, "    ", conformance, extra))
        out.append("\n")
    own = sorted(d for d, users in model.users.items() if users == {action})
    for definition in own:
        code = definition_code(model, definition, "    ")
        if code:
            out.append(code)
            out.append("\n")
    text = "".join(out).rstrip("\n") + "\n}\n"
    return text


def shared_files(model):
    shared = sorted(d for d, users in model.users.items() if len(users) > 1 and d != "CustomDataType")
    enums = [d for d in shared if model.is_enum(d)]
    objects = [d for d in shared if not model.is_enum(d)]
    files = {}

    def chunked(prefix, definitions, limit=550):
        chunk, lines, index = [], 0, 1
        for d in definitions:
            code = definition_code(model, d, "    ")
            n = code.count("\n") + 1
            if chunk and lines + n > limit:
                files[f"V201+{prefix}{index}.swift"] = chunk
                chunk, lines, index = [], 0, index + 1
            chunk.append(code)
            lines += n
        if chunk:
            files[f"V201+{prefix}{index if index > 1 else ''}.swift"] = chunk

    chunked("SharedEnums", enums)
    chunked("SharedTypes", objects)
    return {name: HEADER + "extension V201 {\n" + "\n".join(chunk).rstrip("\n") + "\n}\n" for name, chunk in files.items()}


def actions_file(model, all_actions):
    out = [HEADER, "extension V201 {\n",
           "    /// Every action of OCPP 2.0.1. An action missing here is unknown (NotImplemented); one here\n",
           "    /// without `payloadTypes` is outside this simulator's scope (NotSupported).\n",
           "    public enum Action: String, Sendable, CaseIterable {\n"]
    for action in all_actions:
        out.append(f"        case {case_name(action)} = {json.dumps(action)}\n")
    out.append("    }\n}\n\nextension V201.Action {\n")
    out.append("    /// Whether the charging station sends this action as a CALL (DataTransfer: both sides do).\n")
    out.append("    public var initiatedByChargingStation: Bool {\n        switch self {\n")
    cp = [a for a in all_actions if a in CP_INITIATED]
    cs = [a for a in all_actions if a not in CP_INITIATED]
    out.append("        case " + ", ".join("." + case_name(a) for a in cp) + ":\n            return true\n")
    out.append("        case " + ", ".join("." + case_name(a) for a in cs) + ":\n            return false\n")
    out.append("        }\n    }\n\n")
    out.append("    /// The typed request and response of each action in scope; nil for the others.\n")
    out.append("    public var payloadTypes: (request: any OCPPPayload.Type, response: any OCPPPayload.Type)? {\n")
    out.append("        switch self {\n")
    for action in all_actions:
        if action in IN_SCOPE:
            out.append(f"        case .{case_name(action)}: (V201.{action}Request.self, V201.{action}Response.self)\n")
    out_of_scope = [a for a in all_actions if a not in IN_SCOPE]
    out.append("        case " + ", ".join("." + case_name(a) for a in out_of_scope) + ": nil\n")
    out.append("        }\n    }\n}\n")
    return "".join(out)


# MARK: samples

class SampleMaker:
    """Rich (every optional member, every array filled) and minimal payloads from a schema."""

    def __init__(self, schema):
        self.schema = schema
        self.counter = 0

    def resolve(self, node):
        ref = ref_name(node)
        return self.schema["definitions"][ref] if ref else node

    def value(self, node, key, rich, enum_index):
        node = self.resolve(node)
        if "enum" in node:
            values = node["enum"]
            return values[enum_index % len(values)]
        t = node.get("type")
        if t is None:
            return {"any": [1, "two", {"three": 3.5}]} if rich else "text"
        if t == "object":
            return self.obj(node, rich, enum_index)
        if t == "array":
            count = node.get("minItems", 0)
            if rich:
                count = max(count, min(2, node.get("maxItems", 2)))
            return [self.value(node["items"], key, rich, enum_index + i) for i in range(count)]
        if t == "string":
            if node.get("format") == "date-time":
                return "2024-03-01T12:00:00.000Z"
            self.counter += 1
            text = f"{key[:12]}-{self.counter}"
            return text[: node.get("maxLength", 1000)]
        if t == "integer":
            return max(int(node.get("minimum", 0)), 1) if "maximum" not in node else int(node["maximum"])
        if t == "number":
            return 12.5 if "maximum" not in node else float(node["maximum"])
        if t == "boolean":
            return True
        sys.exit(f"no sample for {node}")

    def obj(self, node, rich, enum_index=0):
        required = set(node.get("required", []))
        result = {}
        for key, child in node.get("properties", {}).items():
            if key == "customData":
                if rich:
                    result[key] = {"vendorId": "org.example", "note": "kept"}
                continue
            wanted = rich or key in required
            if wanted:
                result[key] = self.value(child, key, rich, enum_index)
        return result


def samples(model):
    result = []
    for action in IN_SCOPE:
        for kind in ("Request", "Response"):
            schema = model.schemas[action + kind]
            for label, rich in (("rich", True), ("minimal", False)):
                maker = SampleMaker(schema)
                result.append({"action": action, "kind": kind.lower(), "label": label,
                               "payload": maker.obj(schema, rich)})
    return result


def main():
    schemas = load(schema_dir())
    model = Model(schemas)
    all_actions = sorted({name[: -len("Request")] for name in schemas if name.endswith("Request")})
    missing = [a for a in IN_SCOPE if a not in all_actions]
    if missing:
        sys.exit(f"not in the schemas: {missing}")
    os.makedirs(OUT, exist_ok=True)
    for old in glob.glob(os.path.join(OUT, "*.swift")):
        os.remove(old)
    files = {f"V201+{action}.swift": action_file(model, action) for action in IN_SCOPE}
    files.update(shared_files(model))
    files["V201+Actions.swift"] = actions_file(model, all_actions)
    for name, text in files.items():
        with open(os.path.join(OUT, name), "w", encoding="utf-8") as handle:
            handle.write(text)
    os.makedirs(os.path.dirname(SAMPLES), exist_ok=True)
    with open(SAMPLES, "w", encoding="utf-8") as handle:
        for sample in samples(model):
            handle.write(json.dumps(sample, ensure_ascii=False, separators=(",", ":")) + "\n")
    print(f"{len(files)} Swift files in {os.path.relpath(OUT, ROOT)}, samples in {os.path.relpath(SAMPLES, ROOT)}")


if __name__ == "__main__":
    main()
