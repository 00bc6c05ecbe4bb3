import Testing

@testable import FleetSpec

private func fleet(_ counts: [Int]) -> FleetSpec {
    FleetSpec(
        groups: counts.enumerated().map { offset, count in
            GroupSpec(name: "g\(offset)", count: count, idPattern: "G\(offset)-{index:03}", connectors: offset + 1)
        },
        behaviours: [BehaviourSpec.defaultName: .default]
    )
}

@Suite("Expanding groups into charge points")
struct ExpansionTests {
    @Test("Without an override every group keeps its count and indices run on across groups")
    func noOverride() {
        let plans = fleet([2, 3]).chargePoints()
        #expect(plans.map(\.index) == [1, 2, 3, 4, 5])
        #expect(plans.map(\.id) == ["G0-001", "G0-002", "G1-003", "G1-004", "G1-005"])
        #expect(plans.map(\.group) == [0, 0, 1, 1, 1])
        #expect(plans.map(\.connectors) == [1, 1, 2, 2, 2])
        #expect(plans[0] == ChargePointPlan(
            index: 1, id: "G0-001", group: 0, vendor: "ocpp-fleet", model: "ocpp-fleet-sim", firmwareVersion: nil,
            connectors: 1, behaviour: "default", config: []))
    }

    @Test("An override total is split in proportion with largest remainders", arguments: [
        ([70, 30], 10, [7, 3]),
        ([1, 1, 1], 10, [4, 3, 3]),
        ([1, 1, 1], 2, [1, 1, 0]),
        ([5, 3, 2], 7, [4, 2, 1]),
        ([100], 1234, [1234]),
        ([2, 998], 10, [0, 10]),
        ([10, 20], 0, [0, 0]),
        ([10, 20], -5, [0, 0]),
    ])
    func split(counts: [Int], total: Int, expected: [Int]) {
        let plans = fleet(counts).chargePoints(overrideTotal: total)
        let perGroup = counts.indices.map { group in plans.filter { $0.group == group }.count }
        #expect(perGroup == expected)
        #expect(plans.map(\.index) == Array(stride(from: 1, through: plans.count, by: 1)))
    }

    @Test("An override keeps global indices, so ids follow the new counts")
    func overrideIDs() {
        let ids = fleet([70, 30]).chargePoints(overrideTotal: 10).map(\.id)
        #expect(ids == ["G0-001", "G0-002", "G0-003", "G0-004", "G0-005", "G0-006", "G0-007", "G1-008", "G1-009", "G1-010"])
    }

    @Test("The split is exact for many totals")
    func splitIsExact() {
        for total in 0...200 {
            let shares = FleetSpec.split(total: total, weights: [3, 7, 11, 1])
            #expect(shares.reduce(0, +) == total)
            #expect(shares.allSatisfy { $0 >= 0 })
        }
    }
}

@Suite("Id patterns")
struct PatternTests {
    @Test("Placeholders format the index", arguments: [
        ("CP-{index:05}", 7, "CP-00007"),
        ("CP-{index}", 7, "CP-7"),
        ("CP-{index:02}", 1234, "CP-1234"),
        ("{index}", 1, "1"),
        ("site-{index:03}-cp-{index}", 42, "site-042-cp-42"),
        ("CP-{index:00}", 5, "CP-5"),
        ("CP-{idx}-{index}", 3, "CP-{idx}-3"),
    ])
    func format(pattern: String, index: Int, expected: String) {
        #expect(formatPattern(pattern, index: index) == expected)
    }

    @Test("Malformed patterns are explained", arguments: [
        ("CP-{index", "has '{' without a closing '}'"),
        ("CP-index}", "has '}' without a matching '{'"),
        ("CP-{index:5}", "has unknown placeholder '{index:5}'; use {index} or {index:0N}"),
        ("CP-{index:021}", "pads to 21 digits in '{index:021}'; the most is 20"),
        ("CP", "must contain {index} or {index:0N}"),
    ])
    func malformed(pattern: String, message: String) {
        #expect(IDPattern.parse(pattern) == .failure(IDPattern.Problem(message)))
    }
}

@Suite("Charge point id uniqueness")
struct IDUniquenessTests {
    @Test("Only patterns whose frames can overlap are compared id by id", arguments: [
        ("CP-{index}", "CP-{index:05}", false),
        ("DEPOT-{index:04}", "PARK-{index:03}", false),
        ("X{index}5", "X{index}", true),
        ("A-{index}", "A-1{index}", true),
        ("A-{index}", "AB-{index}", false),
        ("CP-{index}", "CP-{index}", false),
        ("{index}-{index}", "{index}-{index}", true),
    ])
    func mayCollide(lhs: String, rhs: String, expected: Bool) throws {
        let left = try IDPattern.parse(lhs).get()
        let right = try IDPattern.parse(rhs).get()
        #expect(IDPattern.mayCollide(left, right) == expected)
        #expect(IDPattern.mayCollide(right, left) == expected)
    }

    @Test("The same pattern in two groups gives unique ids because indices run on")
    func samePatternTwice() throws {
        let yaml = "groups:\n  - {count: 20, idPattern: \"CP-{index}\"}\n  - {count: 20, idPattern: \"CP-{index:05}\"}\n"
        let ids = try FleetSpec.parse(yaml: yaml, file: "s.yaml").chargePoints().map(\.id)
        #expect(Set(ids).count == 40)
        #expect(ids[19...20] == ["CP-20", "CP-00021"])
    }

    @Test("Overlapping frames that never meet are accepted")
    func overlappingFramesAccepted() throws {
        let yaml = "groups:\n  - {count: 5, idPattern: \"A-{index}\"}\n  - {count: 5, idPattern: \"A-{index}-b\"}\n"
        #expect(try FleetSpec.parse(yaml: yaml, file: "o.yaml").chargePoints().count == 10)
    }
}

@Suite("Durations")
struct DurationTests {
    @Test("Durations parse", arguments: [
        ("40s", Duration.seconds(40)), ("15m", .seconds(900)), ("8h", .seconds(28_800)),
        ("1h30m", .seconds(5400)), ("500ms", .milliseconds(500)), ("90", .seconds(90)),
        ("1m30s", .seconds(90)), ("1s500ms", .milliseconds(1500)), ("0s", .zero), (" 10s ", .seconds(10)),
        ("2h0m5s", .seconds(7205)),
    ])
    func parses(text: String, expected: Duration) {
        #expect(parseDuration(text) == expected)
    }

    @Test("Malformed durations are rejected", arguments: [
        "", "s", "-5s", "1.5s", "10 s", "30m1h", "1m1m", "10x", "ms", "5sec", "9999999999999999999h", "+5",
    ])
    func rejects(text: String) {
        #expect(parseDuration(text) == nil)
    }

    @Test("Durations format back to the spec's notation", arguments: [
        (Duration.seconds(5400), "1h30m"), (.milliseconds(500), "500ms"), (.zero, "0s"),
        (.seconds(61), "1m1s"), (.milliseconds(1500), "1s500ms"), (.seconds(-2), "-2s"),
    ])
    func formats(duration: Duration, expected: String) {
        #expect(formatDuration(duration) == expected)
        if duration >= .zero { #expect(parseDuration(expected) == duration) }
    }
}

@Suite("The {group} placeholder")
struct GroupPlaceholderTests {
    @Test("{group} in idPattern and serialPattern is the group's name")
    func groupName() throws {
        let spec = try FleetSpec.parse(yaml: """
            groups:
              - name: depot
                count: 2
                idPattern: "CP-{group}-{index:05}"
                serialPattern: "SN-{group}-{index}"
              - count: 1
                idPattern: "CP-{group}-{index}"
            """, file: "group.yaml")
        let plans = spec.chargePoints()
        #expect(plans.map(\.id) == ["CP-depot-00001", "CP-depot-00002", "CP-group-2-3"])
        #expect(plans.first?.serialNumber == "SN-depot-1")
    }

    @Test("A group name with characters an id may not have is an error naming the pattern")
    func badName() {
        #expect(throws: SpecErrors.self) {
            try FleetSpec.parse(yaml: """
                groups:
                  - name: "north depot"
                    count: 1
                    idPattern: "CP-{group}-{index}"
                """, file: "group.yaml")
        }
    }
}

@Suite("csms.ocppVersion")
struct OCPPVersionTests {
    @Test("1.6 (quoted or not) and 2.0.1 are accepted; 1.6 is the default; anything else is refused naming its line")
    func versions() throws {
        let groups = "groups: [{count: 1, idPattern: 'A-{index}'}]\n"
        #expect(try FleetSpec.parse(yaml: groups, file: "v.yaml").groups[0].ocppVersion == .v16)
        #expect(try FleetSpec.parse(yaml: "csms: {ocppVersion: 1.6}\n" + groups, file: "v.yaml").groups[0].ocppVersion == .v16)
        #expect(try FleetSpec.parse(yaml: "csms: {ocppVersion: \"1.6\"}\n" + groups, file: "v.yaml").groups[0].ocppVersion == .v16)
        #expect(try FleetSpec.parse(yaml: "csms: {ocppVersion: 2.0.1}\n" + groups, file: "v.yaml").groups[0].ocppVersion == .v201)
        for (text, message) in [("\"2.0\"", "OCPP 2.0 is not simulated; write \"2.0.1\""),
                                ("\"3\"", "must be \"1.6\" or \"2.0.1\", got '3'")] {
            do {
                _ = try FleetSpec.parse(yaml: "csms:\n  ocppVersion: \(text)\n" + groups, file: "v.yaml")
                Issue.record("\(text) was accepted")
            } catch {
                #expect(error.description.contains("v.yaml:2:16: csms.ocppVersion: \(message)"), "\(error.description)")
            }
        }
    }

    @Test("a group's csms.ocppVersion overrides the top-level one; its charge point plans carry it")
    func groupOverride() throws {
        let spec = try FleetSpec.parse(yaml: """
            csms: {ocppVersion: "2.0.1"}
            groups:
              - {name: new, count: 2, idPattern: 'N-{index}'}
              - {name: old, count: 1, idPattern: 'O-{index}', csms: {ocppVersion: "1.6"}}
            """, file: "mixed.yaml")
        #expect(spec.groups.map(\.ocppVersion) == [.v201, .v16])
        #expect(spec.chargePoints().map(\.ocppVersion) == [.v201, .v201, .v16])
    }
}
