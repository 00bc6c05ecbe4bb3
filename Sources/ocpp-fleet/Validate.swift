import ArgumentParser
import FleetSpec
import OCPP

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a fleet spec; print every error as file:line:column: field: message.")

    @Argument(help: "The fleet spec (YAML).")
    var spec: String

    func run() throws {
        try check(output: { print($0) }, errors: printError)
    }

    /// Prints a one-line summary of a valid spec to `output`, or every problem to `errors` and
    /// exits 2.
    func check(output: (String) -> Void, errors: (String) -> Void) throws {
        let fleet = try loadFleetSpec(spec, errors: errors)
        let profiles = Set(fleet.groups.map(\.security.profile.rawValue)).sorted().map(String.init)
        output("\(spec): ok — \(fleet.totalCount) charge points in \(fleet.groups.count) group(s), "
               + "\(fleet.behaviours.count) behaviour(s), duration \(formatDuration(fleet.run.duration)), "
               + "security profile\(profiles.count == 1 ? "" : "s") \(profiles.joined(separator: ", "))")
    }
}

/// Loads a spec for `validate` and `run`: on failure every problem goes to `errors`, one per line
/// (`file:line:column: field: message`, in file order), and the command exits 2.
func loadFleetSpec(_ path: String, ocppVersion: OCPPVersion? = nil, errors: (String) -> Void) throws -> FleetSpec {
    do {
        return try FleetSpec.load(path: path, ocppVersion: ocppVersion)
    } catch {
        for problem in error.errors { errors(problem.description) }
        if error.errors.count > 1 { errors("\(path): \(error.errors.count) problems") }
        throw Exit(code: ExitStatus.badInput)
    }
}
