import Testing
@testable import OCPP

@Suite("JSON parser and writer")
struct JSONTests {
    @Test("Documents survive parse, write, parse unchanged", arguments: [
        #"{}"#, #"[]"#, #"null"#, #"true"#, #"false"#, #"0"#, #"-0"#, #"42"#, #"-9223372036854775808"#,
        #"9223372036854775807"#, #"1.5"#, #"-2.25e-3"#, #"1E+300"#, #""""#, #""plain""#,
        #"[2,"19223201","BootNotification",{"chargePointVendor":"VendorX","chargePointModel":"SingleSocketCharger"}]"#,
        #"{"a":[1,2,{"b":null}],"c":{"d":[[],{}]},"e":"x"}"#,
        #"{"dup":1,"dup":2}"#,
    ])
    func roundTrip(text: String) throws {
        let value = try JSONParser.parse(text)
        let written = value.text
        #expect(try JSONParser.parse(written) == value)
        #expect(try JSONParser.parse(written).text == written)
    }

    @Test("Object members keep their wire order")
    func memberOrder() throws {
        let value = try JSONParser.parse(#" { "z" : 1 , "a" : [ true , false ] , "m" : { } } "#)
        #expect(value.text == #"{"z":1,"a":[true,false],"m":{}}"#)
        guard case .object(let members) = value else { Issue.record("not an object"); return }
        #expect(members.map(\.key) == ["z", "a", "m"])
    }

    @Test("Integers and numbers keep their kind")
    func numberKinds() throws {
        #expect(try JSONParser.parse("7") == .integer(7))
        #expect(try JSONParser.parse("7.0") == .number(7))
        #expect(try JSONParser.parse("1e2") == .number(100))
        // Beyond Int64 the parser falls back to a double rather than failing.
        #expect(try JSONParser.parse("18446744073709551616") == .number(18_446_744_073_709_551_616))
        var writer = JSONWriter()
        writer.number(32)
        writer.number(0.1)
        writer.number(-2.5)
        #expect(writer.text == "32,0.1,-2.5")
    }

    @Test("Escapes are decoded", arguments: [
        (#""\"\\\/\b\f\n\r\t""#, "\"\\/\u{08}\u{0C}\n\r\t"),
        (#""\u0041\u00e9\u20AC""#, "Aé€"),
        (#""\ud83d\ude97""#, "🚗"),
        (#""\uD834\uDD1E x""#, "𝄞 x"),
        (#""a\u0000b""#, "a\u{0}b"),
        ("\"é€🚗\"", "é€🚗"),
    ])
    func escapes(text: String, expected: String) throws {
        #expect(try JSONParser.parse(text) == .string(expected))
    }

    @Test("Strings are written with the escapes JSON requires and read back", arguments: [
        "plain", "quote \" backslash \\ slash /", "\n\r\t\u{08}\u{0C}", "\u{0}\u{1}\u{1F}\u{7F}",
        "é€🚗 𝄞", "</script>", "",
    ])
    func writeString(value: String) throws {
        let text = JSONValue.string(value).text
        #expect(!text.utf8.dropFirst().dropLast().contains(where: { $0 < 0x20 }), "raw control character in \(text)")
        #expect(try JSONParser.parse(text) == .string(value))
    }

    @Test("Invalid documents are a Failure with an offset, never a crash", arguments: [
        "", " ", "{", "}", "[", "]", "[1,]", "[,1]", "{,}", #"{"a"}"#, #"{"a":}"#, #"{"a":1,}"#, #"{a:1}"#,
        "{'a':1}", "[1 2]", #"{"a":1 "b":2}"#, "01", "-", "1.", ".5", "1e", "1e+", "+1", "0x10", "NaN",
        "Infinity", "tru", "nul", "falsey", "[true false]", #"""#, #""abc"#, #""\"#, #""\x""#, #""\u12""#,
        #""\u12G4""#, #""\ud83d""#, #""\ud83d x""#, #""\ude97""#, #""\ud83d\u0041""#, "\"a\u{01}b\"",
        "\"tab\there\"", "[1] [2]", "{} x",
    ])
    func invalid(text: String) {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(text) }
    }

    @Test("A number beyond Double's range is a Failure, not infinity")
    func overflow() {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse("1e999") }
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse("-1e999") }
    }

    @Test("Invalid UTF-8 inside a string is a Failure", arguments: [
        [0x22, 0xFF, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0x5C, 0x6E, 0xC0, 0xAF, 0x22],
    ] as [[UInt8]])
    func invalidUTF8(bytes: [UInt8]) {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(bytes) }
    }

    @Test("The failure says where the document broke")
    func offset() {
        do {
            _ = try JSONParser.parse(#"{"a":[1,2,x]}"#)
            Issue.record("parsed")
        } catch {
            #expect(error.offset == 10)
            #expect(error.description.contains("byte 10"))
        }
    }

    @Test("Nesting is limited to maximumDepth")
    func depth() throws {
        let limit = JSONParser.maximumDepth
        let deepest = String(repeating: "[", count: limit) + String(repeating: "]", count: limit)
        #expect(throws: Never.self) { try JSONParser.parse(deepest) }
        let tooDeep = String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1)
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(tooDeep) }
        let objects = String(repeating: #"{"a":"#, count: limit + 1) + "1" + String(repeating: "}", count: limit + 1)
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(objects) }
        // A hostile frame does not exhaust the stack.
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(String(repeating: "[", count: 1_000_000)) }
    }

    @Test("JSONValue equality compares integers and doubles by value")
    func equality() {
        #expect(JSONValue.integer(3) == .number(3))
        #expect(JSONValue.object([("a", .integer(1))]) != .object([("b", .integer(1))]))
        #expect(JSONValue.array([.null]) != .array([]))
        #expect(JSONValue.string("1") != .integer(1))
    }
}
