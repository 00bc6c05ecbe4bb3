/// One problem in a fleet spec, located in the user's file: `file:line:column: field: message`.
///
/// `field` is a dotted path with 0-based list indices (`groups[1].count`,
/// `behaviours.commuter.powerKW`); problems that belong to no key use a pseudo-field in
/// parentheses: `(file)` when the file cannot be read, `(yaml)` for YAML syntax, `(root)` for the
/// document as a whole. Lines and columns count from 1, columns in Unicode scalars.
public struct SpecError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public var field: String
    public var message: String

    public init(file: String, line: Int, column: Int, field: String, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.field = field
        self.message = message
    }

    public var description: String { "\(file):\(line):\(column): \(field): \(message)" }
}

/// Every problem found in a fleet spec, in file order (by line, then column).
public struct SpecErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [SpecError]

    public init(errors: [SpecError]) {
        self.errors = errors
    }

    /// One error per line, ready for stderr.
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
