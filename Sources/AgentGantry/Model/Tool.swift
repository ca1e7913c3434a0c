import Foundation
import GantryIO
import GantryMath

/// A tool an agent can call, as registered with `AgentGantry`.
public struct Tool: Sendable, Hashable, Codable {
    /// Unique name: 1 to `Limits.toolNameBytes` UTF-8 bytes, no whitespace or control characters;
    /// registered in Unicode NFC. (OpenAI's function names are stricter, `[A-Za-z0-9_-]{1,64}`;
    /// `openAIFunction` exports the name as it is.)
    public var name: String
    /// What the tool does, embedded after the name: up to `Limits.descriptionBytes`, and it may be
    /// empty (`name: ` alone is still a meaningful text to embed).
    public var description: String
    /// Labels that `RoutingContext.tags` filters on: names of 1 to `Limits.tagBytes`, kept in NFC.
    public var tags: [String]
    /// Tools of different namespaces can be kept apart with `RoutingContext.namespace`.
    public var namespace: String
    /// JSON Schema of the parameters (an object schema: `{"type": "object", "properties": …}`).
    public var parameters: JSONValue?
    /// Example requests the tool answers (the first five are embedded with it).
    public var examples: [String]
    /// Deprecated tools are never returned.
    public var deprecated: Bool

    /// A tool definition as given; nothing is checked until `validate()` or `register`.
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

    /// Checks the name, the sizes (UTF-8 bytes), the examples and the schema against `Limits`;
    /// throws `GantryError.invalidTool` naming what is wrong. Names (name, namespace, tags) must fit
    /// both as given and in Unicode NFC, the form `AgentGantry` keeps them in.
    public func validate() throws(GantryError) {
        _ = try normalized()
    }

    /// This tool as the registry keeps it: checked as `validate()` says, with its name, namespace
    /// and tags in Unicode NFC (a name typed precomposed or decomposed is one name).
    func normalized() throws(GantryError) -> Tool {
        func fail(_ reason: String) -> GantryError { .invalidTool(name: name, reason: reason) }
        var tool = self
        do {
            tool.name = try Limits.normalize(name: name, maxBytes: Limits.toolNameBytes, refusing: Self.refusedInNames,
                                             refusedWhat: "spaces or control characters")
        } catch {
            throw fail("the name \(error.reason)")
        }
        let descriptionBytes = description.utf8.count
        guard descriptionBytes <= Limits.descriptionBytes else {
            throw fail("the description has \(descriptionBytes) bytes; the limit is \(Limits.descriptionBytes)")
        }
        guard !Self.refusedInDescriptions.matchesAny(in: description) else {
            throw fail("the description holds control characters")
        }
        guard tags.count <= Limits.tagsPerTool else { throw fail("at most \(Limits.tagsPerTool) tags") }
        guard examples.count <= Limits.examplesPerTool else { throw fail("at most \(Limits.examplesPerTool) examples") }
        do {
            tool.tags = try tags.map { (tag) throws(Limits.Violation) in try Limits.normalize(name: tag, maxBytes: Limits.tagBytes) }
        } catch {
            throw fail("a tag \(error.reason)")
        }
        for example in examples {
            do { try Limits.check(text: example, maxBytes: Limits.exampleBytes) } catch { throw fail("an example \(error.reason)") }
        }
        do {
            tool.namespace = try Limits.normalize(name: namespace, maxBytes: Limits.contextBytes)
        } catch {
            throw fail("the namespace \(error.reason)")
        }
        if let parameters {
            guard case .object = parameters else { throw fail("parameters must be a JSON Schema object") }
            guard parameters.depth <= Limits.schemaDepth else { throw fail("the parameter schema nests deeper than \(Limits.schemaDepth) levels") }
            let bytes = parameters.canonicalText.utf8.count
            guard bytes <= Limits.schemaBytes else { throw fail("the parameter schema has \(bytes) bytes of JSON; the limit is \(Limits.schemaBytes)") }
        }
        return tool
    }

    /// What a tool name may not hold: whitespace, control and format characters, unassigned and
    /// private-use code points.
    private static let refusedInNames = ScalarRule {
        $0.properties.isWhitespace || [.control, .format, .unassigned, .privateUse, .surrogate].contains($0.properties.generalCategory)
    }
    /// What a description may not hold: control characters other than newline and tab.
    private static let refusedInDescriptions = ScalarRule { $0.properties.generalCategory == .control && $0 != "\n" && $0 != "\t" }

    /// Parameter names of the schema's `properties`, sorted.
    public var parameterNames: [String] {
        guard case .object(let properties)? = parameters?["properties"] else { return [] }
        return properties.keys.sorted()
    }

    /// The text the encoder embeds: `name: description`, then the parameter names and up to five
    /// examples when there are any.
    public var embeddingText: String {
        Self.embeddingText(name: name, description: description, parameterNames: parameterNames, examples: examples)
    }

    /// The one definition of a tool's embedded text, shared by registered tools, datasets and
    /// `gantry embed`: `name: description`, then ` Parameters: a, b.` (sorted) and
    /// ` Examples: x; y.` (the first five) when there are any.
    public static func embeddingText(name: String, description: String, parameterNames: [String] = [], examples: [String] = []) -> String {
        var text = "\(name): \(description)"
        if !parameterNames.isEmpty { text += " Parameters: " + parameterNames.sorted().joined(separator: ", ") + "." }
        if !examples.isEmpty { text += " Examples: " + examples.prefix(5).joined(separator: "; ") + "." }
        return text
    }

    /// The text the lexical index holds for the tool (`ToolCatalog`): its name, description,
    /// every parameter's name and description, its tags and its examples, in one field —
    /// weighting them apart (BM25F) measured no better (the README's hybrid table).
    public var lexicalText: String {
        var parts = [name, description]
        if case .object(let properties)? = parameters?["properties"] {
            for (parameter, schema) in properties.sorted(by: { $0.key < $1.key }) {
                parts.append(parameter)
                if case .string(let text)? = schema["description"] { parts.append(text) }
            }
        }
        return (parts + tags + examples).joined(separator: "\n")
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
