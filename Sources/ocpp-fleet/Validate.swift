import ArgumentParser
import FleetSpec

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a fleet spec; print every error as file:line:column: field: message.")

    @Argument(help: "The fleet spec (YAML).")
    var spec: String

    func run() throws {
        do {
            let fleet = try FleetSpec.load(path: spec)
            let profiles = Set(fleet.groups.map(\.security.profile.rawValue)).sorted().map(String.init)
            print("\(spec): ok — \(fleet.totalCount) charge points in \(fleet.groups.count) group(s), "
                  + "\(fleet.behaviours.count) behaviour(s), duration \(formatDuration(fleet.run.duration)), "
                  + "security profile\(profiles.count == 1 ? "" : "s") \(profiles.joined(separator: ", "))")
        } catch {
            for problem in error.errors { printError(problem.description) }
            throw Exit(code: ExitStatus.badInput)
        }
    }
}
