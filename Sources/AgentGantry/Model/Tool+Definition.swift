import Foundation

extension Tool {
    /// The tool of a stored definition (the JSON `ToolRecord` writes), nil when the text is not
    /// a tool's JSON. Read through `JSONValue(parsing:)` when it can (the time of an open of
    /// 100,000 tools was mostly `Codable`'s); `JSONDecoder` decides the rest (unusual JSON,
    /// damaged rows). Both read what the synthesized `Decodable` asks: every field but
    /// `parameters` present, of its type; `parameters` absent or null for none; other keys ignored.
    init?(definition text: String) {
        if let parsed = JSONValue(parsing: text), let tool = Tool(parsed) {
            self = tool
        } else {
            guard let tool = try? JSONDecoder().decode(Tool.self, from: Data(text.utf8)) else { return nil }
            self = tool
        }
    }

    /// The tool `value` holds, read as the synthesized `Decodable` reads it.
    private init?(_ value: JSONValue) {
        guard case .object(let fields) = value,
              case .string(let name)? = fields["name"], case .string(let description)? = fields["description"],
              case .string(let namespace)? = fields["namespace"], case .bool(let deprecated)? = fields["deprecated"],
              let tags = fields["tags"].flatMap(Self.strings), let examples = fields["examples"].flatMap(Self.strings)
        else { return nil }
        let parameters = fields["parameters"].flatMap { $0 == .null ? nil : $0 }
        self.init(name: name, description: description, tags: tags, namespace: namespace, parameters: parameters,
                  examples: examples, deprecated: deprecated)
    }

    /// The strings of a JSON array of strings, nil for anything else.
    private static func strings(_ value: JSONValue) -> [String]? {
        guard case .array(let elements) = value else { return nil }
        var strings = [String]()
        strings.reserveCapacity(elements.count)
        for case .string(let string) in elements { strings.append(string) }
        return strings.count == elements.count ? strings : nil
    }
}
