import Foundation
import GantryAdapt
import GantryMath

/// A tool an agent can call, as registered with `AgentGantry`.
public struct Tool: Sendable, Hashable, Codable {
    /// Unique name: 1 to 128 characters, no whitespace or control characters. (OpenAI's function
    /// names are stricter, `[A-Za-z0-9_-]{1,64}`; `openAIFunction` exports the name as it is.)
    public var name: String
    public var description: String
    public var tags: [String]
    /// Tools of different namespaces can be kept apart with `RoutingContext.namespace`.
    public var namespace: String
    /// JSON Schema of the parameters (an object schema: `{"type": "object", "properties": …}`).
    public var parameters: JSONValue?
    /// Example requests the tool answers (the first five are embedded with it).
    public var examples: [String]
    /// Deprecated tools are never returned.
    public var deprecated: Bool

    public init(name: String, description: String, tags: [String] = [], namespace: String = "default",
                parameters: JSONValue? = nil, examples: [String] = [], deprecated: Bool = false) {
        self.name = name
        self.description = description
        self.tags = tags
        self.namespace = namespace
        self.parameters = parameters
        self.examples = examples
        self.deprecated = deprecated
    }

    /// Limits enforced on registration.
    public static let maxNameLength = 128, maxDescriptionLength = 8_000, maxTags = 32

    /// Checks the name, the lengths and the schema; throws `GantryError.invalidTool`.
    public func validate() throws(GantryError) {
        func fail(_ reason: String) -> GantryError { .invalidTool(name: name, reason: reason) }
        guard !name.isEmpty, name.count <= Self.maxNameLength else { throw fail("the name must have 1 to \(Self.maxNameLength) characters") }
        guard !name.unicodeScalars.contains(where: { $0.properties.isWhitespace || [.control, .format, .unassigned, .privateUse, .surrogate].contains($0.properties.generalCategory) }) else {
            throw fail("the name may not hold spaces or control characters")
        }
        guard description.count <= Self.maxDescriptionLength else { throw fail("the description exceeds \(Self.maxDescriptionLength) characters") }
        guard !description.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\n" && $0 != "\t" }) else {
            throw fail("the description holds control characters")
        }
        guard tags.count <= Self.maxTags, tags.allSatisfy({ !$0.isEmpty && $0.count <= 64 }) else {
            throw fail("at most \(Self.maxTags) tags of 1 to 64 characters")
        }
        guard !namespace.isEmpty, namespace.count <= 128 else { throw fail("the namespace must have 1 to 128 characters") }
        if let parameters {
            guard case .object = parameters else { throw fail("parameters must be a JSON Schema object") }
        }
    }

    /// Parameter names of the schema's `properties`, sorted.
    public var parameterNames: [String] {
        guard case .object(let properties)? = parameters?["properties"] else { return [] }
        return properties.keys.sorted()
    }

    /// The text the encoder embeds: `name: description`, then the parameter names and up to five
    /// examples when there are any.
    public var embeddingText: String {
        RetrievalDataset.toolText(name: name, description: description, parameterNames: parameterNames, examples: examples)
    }

    /// Identifies the embedded content: a tool whose fingerprint (and model) did not change is not
    /// embedded again.
    public var fingerprint: String {
        let bytes = Array(embeddingText.utf8)
        return String(bytes.withUnsafeBytes { BinaryFile.checksum($0) }, radix: 16) + "-\(bytes.count)"
    }

    /// The OpenAI function-calling definition: `{"type": "function", "function": {name, description, parameters}}`.
    public var openAIFunction: JSONValue {
        .object(["type": .string("function"), "function": .object([
            "name": .string(name), "description": .string(description), "parameters": parameters ?? Self.emptySchema,
        ])])
    }

    /// The Anthropic tool definition: `{name, description, input_schema}`.
    public var anthropicTool: JSONValue {
        .object(["name": .string(name), "description": .string(description), "input_schema": parameters ?? Self.emptySchema])
    }

    static let emptySchema = JSONValue.object(["type": .string("object"), "properties": .object([:])])
}
