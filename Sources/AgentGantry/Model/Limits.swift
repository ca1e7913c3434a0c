/// The documented maximums of the facade, enforced at every public entry point with
/// `GantryError.invalidInput` / `.invalidTool` naming the limit. They bound memory and time per
/// call; none of them is close to what a tool catalog or a request needs.
public enum Limits {
    /// Characters of a query (`retrieveTools`, `recordFeedback`).
    public static let queryCharacters = 10_000
    /// Tools registered in one `AgentGantry`.
    public static let tools = 200_000
    /// Characters of a tool name (no whitespace or control characters).
    public static let toolNameCharacters = 128
    /// Characters of a tool description.
    public static let descriptionCharacters = 8_000
    /// Tags per tool, and characters per tag.
    public static let tagsPerTool = 32, tagCharacters = 64
    /// Usage examples per tool, and characters per example.
    public static let examplesPerTool = 20, exampleCharacters = 1_000
    /// Bytes of a tool's parameter schema (as JSON), and its nesting depth.
    public static let schemaBytes = 64 << 10, schemaDepth = 32
    /// Characters of a user, team, session, namespace or intent name (no control characters).
    public static let contextCharacters = 256
    /// Embedding dimensions an embedder may produce.
    public static let dimensions = 1...4_096
    /// Bytes of one `importEvents` call.
    public static let importBytes = 512 << 20

    /// Throws unless `value` (when present) has 1 to `contextCharacters` characters and no
    /// control characters; `field` names it in the message.
    static func checkName(_ value: String?, _ field: String) throws(GantryError) {
        guard let value else { return }
        guard !value.isEmpty, value.count <= contextCharacters else {
            throw .invalidInput("\(field) must have 1 to \(contextCharacters) characters, got \(value.count)")
        }
        guard !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .invalidInput("\(field) may not hold control characters")
        }
    }

    /// Throws unless `query` fits `queryCharacters`.
    static func checkQuery(_ query: String) throws(GantryError) {
        guard query.count <= queryCharacters else {
            throw .invalidInput("the query has \(query.count) characters; the limit is \(queryCharacters)")
        }
    }

    /// Throws unless every field of `context` is a valid name and its budget is positive.
    static func check(_ context: RoutingContext) throws(GantryError) {
        try checkName(context.user, "user")
        try checkName(context.team, "team")
        try checkName(context.session, "session")
        try checkName(context.namespace, "namespace")
        guard context.tags.count <= tagsPerTool else { throw .invalidInput("at most \(tagsPerTool) tags in a routing context") }
        for tag in context.tags { try checkName(tag, "tag") }
        if let budget = context.latencyBudget, budget <= .zero { throw .invalidInput("latencyBudget must be positive") }
    }

    /// Throws unless `vector` has `dimension` finite values, not all zero (a zero vector has no
    /// direction to score; any other, however tiny or large its values, is scaled to unit length).
    static func checkVector(_ vector: [Float], dimension: Int, _ what: String) throws(GantryError) {
        guard vector.count == dimension else {
            throw .invalidInput("\(what) has \(vector.count) values; the model's dimension is \(dimension)")
        }
        guard vector.allSatisfy(\.isFinite) else { throw .invalidInput("\(what) holds NaN or infinite values") }
        guard vector.contains(where: { $0 != 0 }) else {
            throw .invalidInput("\(what) is all zeros, so it has no direction to compare; check the embedder")
        }
    }
}
