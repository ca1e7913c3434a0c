import AgentGantry
import Foundation

/// A request's JSON object, read field by field with errors that name the field: a field of the
/// wrong type, a required field missing and a field the endpoint does not know (a misspelt
/// `"limt"` must not silently become the default) are each a 400.
struct RequestFields {
    private let fields: [String: JSONValue]

    /// The object `data` holds, given the fields the endpoint knows.
    init(_ data: Data, known: Set<String>) throws(APIError) {
        guard case .object(let fields) = try Self.json(data) else { throw .badRequest("the body must be a JSON object") }
        if let unknown = fields.keys.filter({ !known.contains($0) }).sorted().first {
            throw .badRequest("unknown field \"\(unknown)\"; this endpoint takes \(known.sorted().joined(separator: ", "))")
        }
        self.fields = fields
    }

    /// The deepest nesting a body may have (a tool's schema may nest 32 levels inside it).
    static let maxDepth = 64

    /// The JSON value of `data`, read by the library's linear parser (`JSONValue(parsing:)`: a
    /// body nested a thousand levels deep costs no more than a flat one); what is wrong with it,
    /// as Foundation's parser words it, when it is not one.
    static func json(_ data: Data) throws(APIError) -> JSONValue {
        guard let text = String(data: data, encoding: .utf8) else { throw .badRequest("the body is not UTF-8 text") }
        if let value = JSONValue(parsing: text, maxDepth: maxDepth) { return value }
        do { _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) } catch {
            throw .badRequest("the body is not JSON: \((error as NSError).userInfo[NSDebugDescriptionErrorKey] ?? error.localizedDescription)")
        }
        throw .badRequest("the body nests deeper than \(maxDepth) levels, repeats a key in an object, or holds a number beyond double range")
    }

    func value(_ key: String) -> JSONValue? {
        if case .null? = fields[key] { return nil }
        return fields[key]
    }

    func string(_ key: String) throws(APIError) -> String? {
        switch value(key) {
        case nil: return nil
        case .string(let value)?: return value
        default: throw .badRequest("\"\(key)\" must be a string")
        }
    }

    func requiredString(_ key: String) throws(APIError) -> String {
        guard let value = try string(key) else { throw .badRequest("\"\(key)\" is required (a string)") }
        return value
    }

    func integer(_ key: String) throws(APIError) -> Int? {
        switch value(key) {
        case nil: return nil
        case .number(let value)? where value.rounded() == value && abs(value) < 1e15: return Int(value)
        default: throw .badRequest("\"\(key)\" must be an integer")
        }
    }

    func number(_ key: String) throws(APIError) -> Double? {
        switch value(key) {
        case nil: return nil
        case .number(let value)?: return value
        default: throw .badRequest("\"\(key)\" must be a number")
        }
    }

    func strings(_ key: String) throws(APIError) -> [String]? {
        guard let value = value(key) else { return nil }
        guard let strings = value.strings else { throw .badRequest("\"\(key)\" must be an array of strings") }
        return strings
    }

    /// The routing context of `user`, `team`, `session`, `namespace` and `tags`.
    func context() throws(APIError) -> RoutingContext {
        RoutingContext(user: try string("user"), team: try string("team"), session: try string("session"),
                       namespace: try string("namespace"), tags: Set(try strings("tags") ?? []))
    }

    /// The fields `context()` reads.
    static let contextFields: Set<String> = ["user", "team", "session", "namespace", "tags"]
}

extension JSONValue {
    /// The strings of an array of strings; nil for any other value.
    var strings: [String]? {
        guard case .array(let values) = self else { return nil }
        var strings = [String]()
        for case .string(let string) in values { strings.append(string) }
        return strings.count == values.count ? strings : nil
    }
}
