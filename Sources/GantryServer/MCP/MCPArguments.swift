import AgentGantry

/// The arguments of a tool call, read with the checks an agent's mistakes need: an unknown
/// argument, a missing one or one of the wrong type is a `MCPArguments.Mistake` naming it,
/// which the call answers as a tool error (the model reads it and can call again).
struct MCPArguments {
    /// What was wrong with the arguments, in words for the model.
    struct Mistake: Error {
        let message: String
    }

    private let values: [String: JSONValue]
    private let tool: String

    /// `values`, the arguments of a call of `tool`, each a key of `known`.
    init(_ values: [String: JSONValue]?, of tool: String, known: Set<String>) throws(Mistake) {
        (self.values, self.tool) = (values ?? [:], tool)
        if let unknown = self.values.keys.sorted().first(where: { !known.contains($0) }) {
            throw Mistake(message: "\(tool) takes no argument \"\(unknown)\"; its arguments: \(known.sorted().joined(separator: ", "))")
        }
    }

    /// The string argument `key`, nil when absent or null.
    func string(_ key: String) throws(Mistake) -> String? {
        switch values[key] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default: throw Mistake(message: "\(tool): \"\(key)\" must be a string")
        }
    }

    /// The string argument `key`, which must be there.
    func requiredString(_ key: String) throws(Mistake) -> String {
        guard let text = try string(key) else { throw Mistake(message: "\(tool) needs \"\(key)\" (a string)") }
        return text
    }

    /// The whole-number argument `key`, nil when absent or null.
    func integer(_ key: String) throws(Mistake) -> Int? {
        switch values[key] {
        case nil, .null?: return nil
        case .number(let value)? where value.rounded() == value && abs(value) < 0x1p53: return Int(value)
        default: throw Mistake(message: "\(tool): \"\(key)\" must be a whole number")
        }
    }

    /// The object argument `key`, nil when absent or null.
    func object(_ key: String) throws(Mistake) -> [String: JSONValue]? {
        switch values[key] {
        case nil, .null?: return nil
        case .object(let fields)?: return fields
        default: throw Mistake(message: "\(tool): \"\(key)\" must be an object")
        }
    }

    /// The number argument `key`, nil when absent or null.
    func number(_ key: String) throws(Mistake) -> Double? {
        switch values[key] {
        case nil, .null?: return nil
        case .number(let value)?: return value
        default: throw Mistake(message: "\(tool): \"\(key)\" must be a number")
        }
    }
}
